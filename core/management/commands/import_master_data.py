"""`manage.py import_master_data --vendors F --purchase-orders F --receipts F`: master data
from ERP export files (CSV or JSON; columns in core/erp/files.py and the README).

Vendors first, then orders, then receipts. A bad record is reported with its line and the
rest continue; the exit status is 1 when any record was refused, so a scheduler notices.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.erp.files import import_file


class Command(BaseCommand):
    help = "Import vendors, purchase orders and goods receipts from CSV or JSON files."

    def add_arguments(self, parser):
        parser.add_argument("--vendors", type=Path)
        parser.add_argument("--purchase-orders", type=Path, dest="purchase_orders")
        parser.add_argument("--receipts", type=Path)

    def handle(self, *args, vendors, purchase_orders, receipts, **options):
        files = [("vendors", vendors), ("purchase_orders", purchase_orders), ("receipts", receipts)]
        files = [(kind, path) for kind, path in files if path]
        if not files:
            raise CommandError("Name at least one file: --vendors, --purchase-orders, --receipts")
        refused = 0
        for kind, path in files:
            report = import_file(path, kind)
            self.stdout.write(report.summary())
            for problem in report.problems:
                self.stderr.write(problem)
            refused += report.counts["failed"]
        if refused:
            raise CommandError(f"{refused} record(s) refused; the others were imported")
