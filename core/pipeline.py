"""The path every invoice takes, in order, in one place.

    received  --extract-->  extracted  --match-->  matched  --route-->  approved  --post-->  posted
        \\                      \\                      \\
         needs_review            needs_review           pending_approval (a person decides)

Each stage lives in the app that owns it and is called from here only. `advance()` runs
every automatic stage that applies to the invoice's current status and stops where a person
has to act (needs_review, pending_approval) or the invoice is done. A worker claims the
invoice (compare-and-set) before each stage, so two workers never run one stage twice.
"""

import logging
import os
import socket
from collections.abc import Callable

from approvals.routing import route_invoice
from core.erp.posting import post_invoice
from core.models import Invoice, Status
from extraction.services import extract_invoice
from matching.services import match_invoice

log = logging.getLogger(__name__)

STAGES: dict[str, Callable[[Invoice], None]] = {
    Status.RECEIVED: extract_invoice,
    Status.EXTRACTED: match_invoice,
    Status.MATCHED: route_invoice,
    Status.APPROVED: post_invoice,
}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def advance(invoice_id: int, *, worker: str | None = None) -> Invoice:
    """Run the automatic stages for one invoice until a person or nothing is left to act."""
    worker = worker or worker_name()
    invoice = Invoice.objects.get(pk=invoice_id)
    while (stage := STAGES.get(before := invoice.status)) is not None:
        if not Invoice.objects.claim(invoice.pk, before, worker):
            log.info("invoice %s (%s) is held by another worker", invoice.pk, before)
            break
        try:
            stage(invoice)
        finally:
            Invoice.objects.release(invoice.pk, worker)
        invoice.refresh_from_db()
        if invoice.status == before:  # a stage that did not move the invoice must not loop
            log.warning("stage %s left invoice %s in %s", stage.__name__, invoice.pk, before)
            break
    return invoice
