"""The path every invoice takes, in order, in one place.

    received  --extract-->  extracted  --match-->  matched  --route-->  approved  --post-->  posted
        \\                      \\                      \\
         needs_review            needs_review           pending_approval (a person decides)

Each stage lives in the app that owns it and is called from here only. `advance()` runs
every automatic stage that applies to the invoice's current status and stops where a person
has to act (needs_review, pending_approval) or the invoice is done. A worker claims the
invoice (compare-and-set) before each stage, so two workers never run one stage twice.

The claim is a short lease (CLAIM_LEASE_SECONDS, 45 s by default) that a heartbeat renews
while the stage runs, however long it takes (a 50-page OCR); a worker that dies stops
renewing, its lease runs out, and the "resume stalled invoices" schedule (every minute,
core.tasks.resume_stalled) queues the invoice again: a crash costs at most the lease plus
a minute, well under two. The next claim counts the run that died (`crashed_runs`); a
document whose reading has killed MAX_CRASHED_RUNS workers is not read again but sent to a
clerk as UNREADABLE (extraction.services.extract_invoice), so it cannot kill workers for ever.
"""

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

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
        invoice.refresh_from_db()  # as claimed: crashed_runs counted, another's changes seen
        try:
            with holding_claim(invoice.pk, worker):
                stage(invoice)
        finally:
            Invoice.objects.release(invoice.pk, worker)
        invoice.refresh_from_db()
        if invoice.status == before:  # a stage that did not move the invoice must not loop
            log.warning("stage %s left invoice %s in %s", stage.__name__, invoice.pk, before)
            break
    return invoice


@contextmanager
def holding_claim(invoice_id: int, worker: str) -> Iterator[None]:
    """While the block runs, renew `worker`'s claim on the invoice every third of
    CLAIM_LEASE_SECONDS, from a thread with its own database connection, so the lease
    outlives a long stage yet runs out within CLAIM_LEASE_SECONDS of a crash. A renewal
    that fails is logged and tried again at the next beat; the end of the block waits at
    most a second for a renewal under way."""
    stop = threading.Event()
    interval = settings.CLAIM_LEASE_SECONDS / 3

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    Invoice.objects.renew(invoice_id, worker)
                except Exception:  # the database away for a moment: the next beat retries
                    log.exception("could not renew the claim on invoice %s", invoice_id)
        finally:
            connection.close()

    heartbeat = threading.Thread(target=beat, name=f"claim-{invoice_id}", daemon=True)
    heartbeat.start()
    try:
        yield
    finally:
        stop.set()
        heartbeat.join(timeout=1)
