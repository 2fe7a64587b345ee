import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand

from core import demo, exception_codes, pipeline
from core.models import Invoice, InvoiceException, Status


class Command(BaseCommand):
    help = "Wait for the pipeline to settle, then say what happened and how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=int, default=0, help="Seconds to wait for workers")
        parser.add_argument("--addr", default="127.0.0.1:8000")

    def handle(self, *args, wait, addr, **options):
        deadline = time.monotonic() + wait
        while (busy := Invoice.objects.filter(status__in=list(pipeline.STAGES)).count()) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.5)
        counts = Counter(Invoice.objects.values_list("status", flat=True))
        codes = Counter(
            InvoiceException.objects.filter(resolved_at__isnull=True).values_list("code", flat=True)
        )
        out = self.stdout.write
        out("")
        out(f"Ledgerline: {sum(counts.values())} invoices")
        out(f"  posted to the ERP outbox ({settings.ERP_OUTBOX_DIR}): {counts[Status.POSTED]}")
        out(f"  waiting for approval: {counts[Status.PENDING_APPROVAL]}")
        in_review = ", ".join(
            f"{exception_codes.label(code)} {n}" for code, n in sorted(codes.items())
        )
        out(
            f"  in review (exceptions): {counts[Status.NEEDS_REVIEW]}"
            + (f"  [{in_review}]" if in_review else "")
        )
        for status in (Status.REJECTED, Status.DUPLICATE, Status.PAID):
            if counts[status]:
                out(f"  {status.label}: {counts[status]}")
        if busy:
            out(self.style.WARNING(f"  still in the pipeline after {wait}s: {busy}"))
        out("")
        out(f"Open http://{addr}/ and sign in (password '{demo.DEMO_PASSWORD}'):")
        for username, full_name, role in demo.DEMO_USERS:
            out(f"  {username:<8} {role:<11} {full_name}")
        out("")
