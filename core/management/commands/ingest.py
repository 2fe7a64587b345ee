"""`manage.py ingest FILE... [--sync]`: what an upload does, from the command line.

Prints one JSON object per file (JSON Lines): the invoice id, its status and its exception
codes; a file that is no possible invoice (extraction.channels.kinds, the rule every
channel follows) kept as left out, with the reason; or the file and an error. A bad file
never stops the others.
"""

import getpass
import json
from pathlib import Path

from django.core.management.base import BaseCommand

from core import pipeline
from core.models import Document
from core.models.documents import safe_file_name
from core.tasks import enqueue_invoice
from extraction.channels import kinds
from extraction.channels.files import LeftOut, keep_left_out
from extraction.intake import RefusedFile, receive


def expand(paths: list[str]) -> list[Path]:
    """Files as given; a directory stands for the files directly inside it, sorted."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            )
        else:
            found.append(path)
    return found


class Command(BaseCommand):
    help = "Take invoice files in as an upload would, and run (or queue) the pipeline."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="Files or directories of files")
        parser.add_argument(
            "--sync", action="store_true", help="Run the pipeline inline instead of queueing it"
        )

    def handle(self, *args, files, sync, **options):
        failed = 0
        actor = f"cli:{getpass.getuser()}"
        for path in expand(files):
            line = self.ingest_one(path, actor=actor, sync=sync)
            failed += "error" in line
            self.stdout.write(json.dumps(line))
        if failed:
            raise SystemExit(1)

    def ingest_one(self, path: Path, *, actor: str, sync: bool) -> dict:
        source = {"path": str(path)}
        try:
            data = path.read_bytes()
            verdict = kinds.classify(path.name, data)
            if not verdict.invoice:
                left_out = LeftOut(safe_file_name(path.name), verdict.reason, data)
                [kept] = keep_left_out(
                    [left_out], channel=Document.Channel.COMMAND, actor=actor, source=source
                )
                return {"file": str(path), "left_out": verdict.reason, "left_out_id": kept.pk}
            received = receive(
                data,
                name=path.name,
                channel=Document.Channel.COMMAND,
                actor=actor,
                source=source,
            )
        except (OSError, RefusedFile) as exc:
            return {"file": str(path), "error": str(exc)}
        invoice = received.invoice
        if received.created:
            if sync:
                invoice = pipeline.advance(invoice.pk)
            else:
                enqueue_invoice(invoice.pk)
        return {
            "file": str(path),
            "id": invoice.pk,
            "document_id": received.document.pk,
            "status": invoice.status,
            "exceptions": list(invoice.open_exceptions().values_list("code", flat=True)),
            "already_received": not received.created,
        }
