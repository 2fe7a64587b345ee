"""A person's decision on an invoice: approve or reject, with the reason kept.

Posting after an approval is the pipeline's job; the caller queues it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from approvals.models import Approval
from audit import chain
from audit.models import AuditEvent
from core import roles
from core.models import Invoice, Status
from core.models.invoices import actor_name

DECIDABLE = (Status.PENDING_APPROVAL, Status.NEEDS_REVIEW)


class SeparationOfDuties(PermissionDenied):
    """This approver may approve invoices, but not this one: they had a hand in it."""


def approve(invoice: Invoice, user, comment: str = "") -> bool:
    """Approve: True once the invoice is approved; False when this approval is recorded
    and another, different approver is still needed (bank details changed)."""
    _check(invoice, user)
    separation_of_duties(invoice, user)
    open_codes = list(invoice.open_exceptions().values_list("code", flat=True))
    if open_codes and not comment.strip():
        raise ValidationError(
            f"Approving over open exceptions ({', '.join(open_codes)}) needs a comment."
        )
    needed = approvers_required(invoice)
    with transaction.atomic():
        # The invoice row is locked first, so two approvers (or one double click) at the
        # same moment are counted one after the other.
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status not in DECIDABLE:
            raise ValidationError(
                f"This invoice is {locked.get_status_display()} already; nothing to decide."
            )
        if Approval.objects.filter(invoice=locked, user=user).exists():
            raise ValidationError(
                "You have approved this invoice already; a second, different approver is needed."
            )
        Approval.objects.create(invoice=locked, user=user, comment=comment.strip())
        given = Approval.objects.filter(invoice=locked).count()
        if given < needed:
            chain.record(
                "invoice.approval_recorded",
                actor=actor_name(user),
                invoice_id=locked.pk,
                payload={"approvals": given, "required": needed, "comment": comment.strip()},
            )
            if locked.status == Status.NEEDS_REVIEW:
                locked.transition(
                    Status.PENDING_APPROVAL,
                    actor=user,
                    reason=f"Approved by {user.get_username()}; {needed - given} more "
                    "approver needed",
                )
            invoice.refresh_from_db()
            return False
        for finding in locked.open_exceptions():
            finding.resolved_at = timezone.now()
            finding.resolved_by = user
            finding.save()
        locked.transition(
            Status.APPROVED,
            actor=user,
            reason=comment.strip() or "Approved",
            inputs={
                "overridden_exceptions": open_codes,
                "total_amount": str(locked.total_amount),
                "approvers": list(
                    Approval.objects.filter(invoice=locked).values_list("user__username", flat=True)
                ),
            },
        )
    invoice.refresh_from_db()
    return True


def approvers_required(invoice: Invoice) -> int:
    """Two when any finding on the invoice said so (bank details changed), else one."""
    return max(
        [1]
        + [
            int(details.get("approvers_required", 1))
            for details in invoice.exceptions.values_list("details", flat=True)
            if isinstance(details, dict)
        ]
    )


def separation_of_duties(invoice: Invoice, user) -> None:
    """Whoever corrected the invoice's fields or accepted a variance on it, or requested
    its purchase order, does not approve it."""
    did = set(
        AuditEvent.objects.filter(
            invoice_id=invoice.pk,
            actor=actor_name(user),
            action__in=("invoice.fields_corrected", "invoice.variance_accepted"),
        ).values_list("action", flat=True)
    )
    if "invoice.fields_corrected" in did:
        raise SeparationOfDuties(
            "You corrected this invoice's fields; someone else approves it (separation of duties)."
        )
    if "invoice.variance_accepted" in did:
        raise SeparationOfDuties(
            "You accepted a variance on this invoice; someone else approves it (separation "
            "of duties)."
        )
    if invoice.purchase_order_id and invoice.purchase_order.requested_by_id == user.pk:
        raise SeparationOfDuties(
            f"You requested purchase order {invoice.purchase_order.number}; someone else "
            "approves its invoice (separation of duties)."
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
