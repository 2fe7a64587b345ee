"""`manage.py import_exchange_rates FILE [--base CUR] [--source TEXT]`: exchange rates from a
reference-rate CSV file: the ECB's euro foreign exchange reference rates (eurofxref.csv or
eurofxref-hist.csv, "Date, USD, JPY, ..." with units per 1 EUR; cross rates are worked out
when the company currency is not EUR) or plain "currency,rate,date" (what one unit is
worth in the company currency). Layouts: core.exchange_rates.

Each rate is stored on its own, audited as a change of master data; invoices waiting for
approval in a currency whose rates changed are routed again where the policy now gives
another route (approvals.chains.reroute_for_rates). A bad row is reported
with its line and the rest are imported; the exit status is 1 when any row was refused, so
a scheduler notices.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from approvals.chains import reroute_for_rates
from core.exchange_rates import import_rates


class Command(BaseCommand):
    help = "Import exchange rates from an ECB reference-rate CSV or a currency,rate,date CSV."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--base",
            help="The currency the rates are stored against (default: COMPANY_CURRENCY)",
        )
        parser.add_argument(
            "--source",
            default="",
            help="Where the rates come from, kept with each rate (default: by layout)",
        )

    def handle(self, *args, file: Path, base, source, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{file}: cannot be read ({exc})") from exc
        report = import_rates(
            text, name=file.name, actor=f"import:{file.name}", base=base, source=source
        )
        if report.layout:
            self.stdout.write(report.summary())
        moved = reroute_for_rates(report.changed_currencies, actor=f"import:{file.name}")
        if moved:
            self.stdout.write(
                f"{len(moved)} invoice(s) waiting for approval routed again with the new rates"
            )
        for problem in report.problems:
            self.stderr.write(f"{file.name}: {problem}")
        if report.problems:
            raise CommandError(
                f"{len(report.problems)} row(s) or value(s) refused; the others were imported"
            )
