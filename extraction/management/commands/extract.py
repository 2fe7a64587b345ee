"""`manage.py extract FILE... [--json]`: read invoices without touching the database.

This is a stable interface (see DESIGN.md): one JSON object per file per line, a bad file
reported in its own line and never stopping the others, exit status 1 if any failed.
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from extraction.extract import extract_path
from extraction.types import HEADER_FIELDS, UnreadableDocument


class Command(BaseCommand):
    help = "Extract invoice fields from PDFs, e-invoice XML and scans (no database needed)."
    # It must work before `migrate`, so skip the checks that would look at the database.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--json", action="store_true", help="print JSON Lines")

    def handle(self, *files, **options):
        failed = 0
        for path in options["files"]:
            report = extract_report(path)
            failed += "error" in report
            if options["json"]:
                self.stdout.write(json.dumps(report, ensure_ascii=False))
            else:
                self.stdout.write(summary(report))
        if failed:
            raise CommandError(f"{failed} of {len(options['files'])} files could not be read")


def extract_report(path: str) -> dict:
    started = time.perf_counter()
    try:
        report = {"file": path, **extract_path(path).as_json()}
    except UnreadableDocument as exc:
        report = {"file": path, "error": str(exc)}
    report["seconds"] = round(time.perf_counter() - started, 4)
    return report


def summary(report: dict) -> str:
    if "error" in report:
        return f"{report['file']}: ERROR {report['error']}"
    fields = report["fields"]
    found = sum(fields[name] is not None for name in HEADER_FIELDS)
    return (
        f"{report['file']}: {report['format']}, {found}/{len(HEADER_FIELDS)} fields, "
        f"{len(fields['lines'])} lines; {fields['vendor_name']} "
        f"{fields['invoice_number']} {fields['total_amount']} {fields['currency']}"
    )
