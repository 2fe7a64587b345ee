"""Approvers are mailed when an invoice starts waiting for them (after the move commits)."""

import logging

from django.dispatch import receiver

from core.models import Invoice, Status
from core.models.invoices import status_changed

log = logging.getLogger(__name__)


@receiver(status_changed, dispatch_uid="approvals.mail_approvers")
def mail_approvers(sender, invoice_id: int, source: str, target: str, **kwargs):
    if target != Status.PENDING_APPROVAL:
        return
    from approvals.email_links import notify_approvers

    try:
        notify_approvers(Invoice.objects.select_related("vendor").get(pk=invoice_id))
    except Exception:  # a mail server down must not undo or block the approval flow
        log.exception("could not mail the approvers of invoice %s", invoice_id)
