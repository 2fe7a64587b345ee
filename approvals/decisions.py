"""A person's decision on an invoice: approve or reject, with the reason kept.

Posting after an approval is the pipeline's job; the caller queues it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core import roles
from core.models import Invoice, Status

DECIDABLE = (Status.PENDING_APPROVAL, Status.NEEDS_REVIEW)


def approve(invoice: Invoice, user, comment: str = "") -> None:
    _check(invoice, user)
    open_codes = list(invoice.open_exceptions().values_list("code", flat=True))
    if open_codes and not comment.strip():
        raise ValidationError(
            f"Approving over open exceptions ({', '.join(open_codes)}) needs a comment."
        )
    with transaction.atomic():
        for finding in invoice.open_exceptions():
            finding.resolved_at = timezone.now()
            finding.resolved_by = user
            finding.save()
        invoice.transition(
            Status.APPROVED,
            actor=user,
            reason=comment.strip() or "Approved",
            inputs={"overridden_exceptions": open_codes, "total_amount": str(invoice.total_amount)},
        )


def reject(invoice: Invoice, user, comment: str) -> None:
    _check(invoice, user)
    if not comment.strip():
        raise ValidationError("Rejecting an invoice needs a reason the vendor can be told.")
    invoice.transition(Status.REJECTED, actor=user, reason=comment.strip())


def _check(invoice: Invoice, user) -> None:
    if not roles.can_approve(user):
        raise PermissionDenied("Only approvers can approve or reject invoices.")
    if invoice.status not in DECIDABLE:
        raise ValidationError(
            f"This invoice is {invoice.get_status_display()}; there is nothing to decide."
        )


def send_back_to_matching(invoice: Invoice, user, reason: str) -> None:
    """After corrections, match again: the open exceptions were about the old values."""
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError("Only an invoice in review can be matched again.")
    with transaction.atomic():
        superseded = []
        for finding in invoice.open_exceptions():
            finding.resolved_at = timezone.now()
            finding.resolved_by = user
            finding.save()
            superseded.append(finding.code)
        invoice.transition(
            Status.EXTRACTED,
            actor=user,
            reason=reason,
            inputs={"superseded_exceptions": superseded},
        )
