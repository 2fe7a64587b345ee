"""django-q2 task functions: they take ids and call domain code, nothing more."""

import logging

from django.db import transaction
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

from core import pipeline, queues
from core.models import Invoice

log = logging.getLogger(__name__)


def process_invoice(invoice_id: int) -> str:
    return pipeline.advance(invoice_id).status


def enqueue_invoice(invoice_id: int) -> None:
    """Queue the pipeline for an invoice once the current transaction has committed, on the
    cluster its next stage belongs to (core.queues: scans to "ocr")."""
    invoices = Invoice.objects.select_related("document").defer("document__words")
    transaction.on_commit(lambda: queue_invoice(invoices.get(pk=invoice_id)))


def resume_stalled() -> int:
    """Queue every invoice still waiting for an automatic stage (after a crash, a restart,
    or a queue that lost a task), each on its cluster as enqueue_invoice would; returns how
    many were queued. Claims make a second run of a busy invoice harmless, but an invoice
    whose task is still in the queue (waiting behind a backlog of scans, or taken by a
    worker that died, which the broker hands out again after Q_RETRY) is not queued again:
    every pass of this schedule (each minute) would otherwise add one more task per waiting
    scan, and a backlog of 30 scans would grow by 30 tasks a minute."""
    stalled = Invoice.objects.filter(status__in=list(pipeline.STAGES)).exclude(
        claimed_until__gt=timezone.now()
    )
    waiting = queued_invoice_ids()
    invoices = [
        invoice
        for invoice in stalled.select_related("document").defer("document__words")
        if invoice.pk not in waiting
    ]
    backlog = queues.unattended_ocr_backlog()
    if backlog is not None:
        log.error("%s", backlog.sentence())
    for invoice in invoices:
        try:
            queue_invoice(invoice)
        except Exception:  # one invoice's trouble must not hold up the others
            log.exception("invoice %s could not be queued; the next pass tries again", invoice.pk)
    return len(invoices)


def queued_invoice_ids() -> set[int]:
    """Ids of the invoices that have a pipeline task in django-q2's queue, on any cluster,
    waiting or taken by a worker and not yet acknowledged. The ORM broker (Q_CLUSTER "orm",
    the one this project configures) keeps a task's row until it is done; with another
    broker the queue cannot be read here and the set is empty (every stalled invoice is
    queued, as before)."""
    if not Conf.ORM:
        return set()
    ids = set()
    for row in OrmQ.objects.using(Conf.ORM).only("payload"):
        task = row.task  # a payload that cannot be read is {"id": "*Error"}: no args
        if task.get("func") == "core.tasks.process_invoice" and task.get("args"):
            ids.add(task["args"][0])
    return ids


def queue_invoice(invoice: Invoice) -> None:
    """One task for the invoice's pipeline on its cluster. async_task's own default is the
    cluster of the calling process (Q_CLUSTER_NAME: "ocr" inside an OCR worker), so the
    cluster is named only where it differs; in sync mode (Q_SYNC) the task runs here."""
    cluster = Conf.CLUSTER_NAME if Conf.SYNC else queues.cluster_for(invoice)
    if cluster == Conf.CLUSTER_NAME:
        async_task("core.tasks.process_invoice", invoice.pk)
    else:
        async_task("core.tasks.process_invoice", invoice.pk, cluster=cluster)


def poll_mailboxes() -> str:
    """One pass over every AP mailbox (django-q2 schedule); see extraction.channels.mailbox."""
    from extraction.channels.mailbox import poll_all

    results = poll_all()
    return "; ".join(
        f"{r.mailbox}: {r.messages} new, {r.documents} documents"
        + (f", error {r.error}" if r.error else "")
        for r in results
    )


def poll_intake_folder() -> str:
    """One pass over INTAKE_FOLDER, when one is set (django-q2 schedule)."""
    from django.conf import settings

    from extraction.channels.folder import poll_folder

    if not settings.INTAKE_FOLDER:
        return "no INTAKE_FOLDER"
    result = poll_folder()
    return f"{len(result.taken)} taken, {len(result.waiting)} still being written"


def deliver_postings() -> str:
    """Postings due for (another) attempt (django-q2 schedule, every minute)."""
    from core.erp.posting import deliver_due

    return f"{deliver_due()} delivered"


def poll_payments() -> str:
    """Ask the ERP which posted invoices are paid (django-q2 schedule; connectors that can)."""
    from core.erp.posting import poll_payments as poll

    return f"{poll()} paid"
