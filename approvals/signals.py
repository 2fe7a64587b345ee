"""After an invoice's move commits: the people its approval waits for are mailed, and an
approval route the invoice left behind (sent back to review, say) is closed."""

import logging

from django.dispatch import receiver
from django.utils import timezone

from approvals.models import ApprovalRoute
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


@receiver(status_changed, dispatch_uid="approvals.close_left_routes")
def close_left_routes(sender, invoice_id: int, source: str, target: str, **kwargs):
    # Routes are open only while an invoice waits for approval (or, within one approval,
    # in review): other moves, most of them, cannot leave one behind and cost no query.
    if target == Status.PENDING_APPROVAL or source not in (
        Status.PENDING_APPROVAL,
        Status.NEEDS_REVIEW,
    ):
        return
    ApprovalRoute.objects.filter(invoice_id=invoice_id, state=ApprovalRoute.State.OPEN).exclude(
        invoice__status=Status.PENDING_APPROVAL
    ).update(state=ApprovalRoute.State.CLOSED, closed_at=timezone.now())
