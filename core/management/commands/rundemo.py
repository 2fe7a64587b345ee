"""What `make run` runs after migrate and seed_demo: a worker, the demo inbox through the
real pipeline, a report, then the web server. Ctrl-C stops the server and the worker."""

import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core import demo
from core.tasks import resume_stalled


class Command(BaseCommand):
    help = "Run the demo: start a worker, ingest the demo inbox, report, and serve."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--wait", type=int, default=300)
        parser.add_argument("--no-serve", action="store_true", help="Stop after the report")

    def handle(self, *args, addr, wait, no_serve, **options):
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        worker = subprocess.Popen([sys.executable, manage, "qcluster"])  # noqa: S603
        try:
            resumed = resume_stalled()
            if resumed:
                self.stdout.write(f"Queued {resumed} invoices left unfinished by an earlier run")
            self.stdout.write("Worker started; taking in the demo inbox:")
            call_command("ingest", str(demo.demo_inbox_dir()), stdout=self.stdout)
            call_command("demo_report", wait=wait, addr=addr, stdout=self.stdout)
            if not no_serve:
                subprocess.run(  # noqa: S603
                    [sys.executable, manage, "runserver", addr, "--noreload"], check=False
                )
        except KeyboardInterrupt:
            pass
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
