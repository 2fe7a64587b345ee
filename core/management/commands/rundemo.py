"""What `make run` runs after migrate and seed_demo: the workers (the default cluster and
the "ocr" one, see core.queues), the demo inbox through the real pipeline, a report, then
the web server.

Ctrl-C (SIGINT) and SIGTERM (`kill`, or `make run` stopped with SIGTERM, which make
passes on to this command) stop everything it started. Each child runs in a session and
process group of its own, so a signal reaches it only through this command: each qcluster
is asked to stop (it stops its pool once the tasks under way are done), the server stops
at once, and whatever of a group is still there after --stop-timeout seconds (a worker in
the middle of a long scan) is killed; an invoice whose worker was killed is queued again
by "resume stalled invoices" on the next run.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from core import demo, queues
from core.tasks import resume_stalled

# Ctrl-C, `kill`, and the terminal or ssh session closing: the children run in sessions of
# their own, so the hangup reaches them only through this command.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived: stop what was started (BaseException, like Ctrl-C's
    KeyboardInterrupt, so no `except Exception` on the way swallows it)."""


class Command(BaseCommand):
    help = "Run the demo: start the workers, ingest the demo inbox, report, and serve."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--wait", type=int, default=300)
        parser.add_argument("--no-serve", action="store_true", help="Stop after the report")
        parser.add_argument(
            "--no-demo",
            action="store_true",
            help="Start the workers and serve, without taking in the demo inbox or reporting",
        )
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=10.0,
            help="Seconds the workers and the server get to stop before they are killed",
        )

    def handle(self, *args, addr, wait, no_serve, no_demo, stop_timeout, **options):
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        children: list[subprocess.Popen] = []
        for signum in STOP_SIGNALS:
            signal.signal(signum, _raise_stopped)
        try:
            children.append(_start([sys.executable, manage, "qcluster"]))
            if settings.Q_CLUSTER["ALT_CLUSTERS"][queues.OCR]["workers"] > 0:
                ocr = {**os.environ, "Q_CLUSTER_NAME": queues.OCR}
                children.append(_start([sys.executable, manage, "qcluster"], env=ocr))
            resumed = resume_stalled()
            if resumed:
                self.stdout.write(f"Queued {resumed} invoices left unfinished by an earlier run")
            if not no_demo:
                self.stdout.write("Workers started; taking in the demo inbox:")
                call_command("ingest", str(demo.demo_inbox_dir()), stdout=self.stdout)
                call_command("demo_report", wait=wait, addr=addr, stdout=self.stdout)
            if not no_serve:
                # --insecure: static files served with DEBUG off too (the Makefile's demo).
                server = _start(
                    [sys.executable, manage, "runserver", addr, "--noreload", "--insecure"]
                )
                children.append(server)
                server.wait()
        except Stopped:
            pass
        finally:
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut this short
            stop(children, timeout=stop_timeout)


def _raise_stopped(signum, frame):
    raise Stopped(signal.Signals(signum).name)


def _start(command: list[str], **options) -> subprocess.Popen:
    """`command` as the leader of a new session and process group (its pgid is its pid)."""
    return subprocess.Popen(command, start_new_session=True, **options)  # noqa: S603


def stop(children: list[subprocess.Popen], *, timeout: float) -> None:
    """Stop each child and every process in its group, all children at once: SIGTERM to
    the leader (a qcluster stops its pool once the tasks under way are done, the server
    stops at once), then SIGKILL to each group still there `timeout` seconds later.
    Returns when every child has exited."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        with suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
    for child in children:
        # The group: what the leader left behind (nothing, and so no group, after a clean stop).
        with suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()
