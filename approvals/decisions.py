"""A person's decision on an invoice: approve or reject, with the reason kept.

Who may decide is the invoice's approval route (approvals.chains): the people of the level
deciding now, their out-of-office delegates, and whoever escalation added; on top of that,
separation of duties. Posting after an approval is the pipeline's job; the caller queues it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from approvals import chains
from approvals.models import Approval, ApprovalRoute
from audit import chain
from audit.models import AuditEvent
from core.models import Invoice, Status
from core.models.invoices import actor_name

DECIDABLE = (Status.PENDING_APPROVAL, Status.NEEDS_REVIEW)
approvers_required = chains.approvers_required


class SeparationOfDuties(PermissionDenied):
    """This approver may approve invoices, but not this one: they had a hand in it."""


def approve(invoice: Invoice, user, comment: str = "") -> bool:
    """Approve at the level deciding now: True once the whole route is approved (the
    invoice is approved); False when this approval is recorded and the route waits for
    more (another person at this level, or the next level)."""
    comment = comment.strip()
    _check_status(invoice)
    open_codes = list(invoice.open_exceptions().values_list("code", flat=True))
    if open_codes and not comment:
        raise ValidationError(
            f"Approving over open exceptions ({', '.join(open_codes)}) needs a comment."
        )
    with transaction.atomic():
        # The invoice row is locked first, so two approvers (or one double click) at the
        # same moment are counted one after the other.
        locked = _lock(invoice)
        route = chains.open_route(locked) or chains.start_route(
            locked, chains.plan(locked, straight_through_possible=False)
        )
        decided = _decide(locked, route, user, Approval.Decision.APPROVE, comment)
        approvals = [d.sentence for d in route.decisions.filter(decision="approve")]
        if not chains.level_done(route):
            _recorded(locked, route, user, decided, "the level waits for more approvers")
            invoice.refresh_from_db()
            return False
        if route.level + 1 < len(route.levels):
            route.level += 1
            route.level_started_at = timezone.now()
            route.reminded_at = None
            route.save(update_fields=["level", "level_started_at", "reminded_at"])
            passed = f"level {route.level} of {len(route.levels)} passed"
            _recorded(locked, route, user, decided, passed)
            transaction.on_commit(lambda: _mail_level(route.pk))
            invoice.refresh_from_db()
            return False
        route.state, route.closed_at = ApprovalRoute.State.APPROVED, timezone.now()
        route.save(update_fields=["state", "closed_at"])
        for finding in locked.open_exceptions():
            finding.resolved_at = timezone.now()
            finding.resolved_by = user
            finding.save()
        locked.transition(
            Status.APPROVED,
            actor=user,
            reason=f"{decided.sentence}: {comment or 'approved'}",
            inputs={
                "overridden_exceptions": open_codes,
                "total_amount": str(locked.total_amount),
                "policy": route.policy_label,
                "route_kind": route.kind,
                "approvals": approvals,
                "approvers": [d.user.get_username() for d in route.decisions.all()],
            },
        )
    invoice.refresh_from_db()
    return True


def reject(invoice: Invoice, user, comment: str) -> None:
    comment = comment.strip()
    _check_status(invoice)
    if not comment:
        raise ValidationError("Rejecting an invoice needs a reason the vendor can be told.")
    with transaction.atomic():
        locked = _lock(invoice)
        route = chains.open_route(locked) or chains.start_route(
            locked, chains.plan(locked, straight_through_possible=False)
        )
        decided = _decide(locked, route, user, Approval.Decision.REJECT, comment)
        route.state, route.closed_at = ApprovalRoute.State.REJECTED, timezone.now()
        route.save(update_fields=["state", "closed_at"])
        locked.transition(
            Status.REJECTED,
            actor=user,
            reason=comment,
            inputs={"decision": decided.sentence, "policy": route.policy_label},
        )
    invoice.refresh_from_db()


def _lock(invoice: Invoice) -> Invoice:
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status not in DECIDABLE:
        raise ValidationError(
            f"This invoice is {locked.get_status_display()} already; nothing to decide."
        )
    return locked


def _decide(invoice: Invoice, route: ApprovalRoute, user, decision: str, comment: str):
    """Record one person's decision at the current level, after checking they may."""
    standing = chains.standing(route, user)
    if decision == Approval.Decision.APPROVE:
        separation_of_duties(invoice, user)
        if standing.principal.pk != user.pk:
            separation_of_duties(invoice, standing.principal, standing_in_for=True)
    return Approval.objects.create(
        invoice=invoice,
        route=route,
        level=route.level,
        decision=decision,
        user=user,
        on_behalf_of=None if standing.principal.pk == user.pk else standing.principal,
        capacity=standing.capacity,
        rule_name=route.rule_name,
        rule_version=route.rule_version,
        comment=comment,
    )


def _recorded(invoice: Invoice, route: ApprovalRoute, user, decided: Approval, what: str):
    """An approval that does not finish the route: audited, and the invoice waits."""
    chain.record(
        "invoice.approval_recorded",
        actor=actor_name(user),
        invoice_id=invoice.pk,
        payload={
            "reason": f"{decided.sentence}; {what}",
            "level": decided.level + 1,
            "levels": len(route.levels),
            "policy": route.policy_label,
            "waiting_for": chains.waiting_for(route),
            "comment": decided.comment,
        },
    )
    if invoice.status == Status.NEEDS_REVIEW:
        invoice.transition(
            Status.PENDING_APPROVAL,
            actor=user,
            reason=f"{decided.sentence}; {what}",
            inputs={"policy": route.policy_label, "route": route.pk},
        )


def _mail_level(route_id: int) -> None:
    from approvals.email_links import notify_route

    notify_route(ApprovalRoute.objects.select_related("invoice__vendor").get(pk=route_id))


def _check_status(invoice: Invoice) -> None:
    if invoice.status not in DECIDABLE:
        raise ValidationError(
            f"This invoice is {invoice.get_status_display()}; there is nothing to decide."
        )


def separation_of_duties(invoice: Invoice, user, *, standing_in_for=False) -> None:
    """Whoever corrected the invoice's fields or accepted a variance on it, or requested
    its purchase order, does not approve it, in person or through a delegate."""
    who = f"{user.get_username()} (whom you stand in for)" if standing_in_for else "You"
    did = set(
        AuditEvent.objects.filter(
            invoice_id=invoice.pk,
            actor=actor_name(user),
            action__in=("invoice.fields_corrected", "invoice.variance_accepted"),
        ).values_list("action", flat=True)
    )
    if "invoice.fields_corrected" in did:
        raise SeparationOfDuties(
            f"{who} corrected this invoice's fields; someone else approves it (separation "
            "of duties)."
        )
    if "invoice.variance_accepted" in did:
        raise SeparationOfDuties(
            f"{who} accepted a variance on this invoice; someone else approves it "
            "(separation of duties)."
        )
    if invoice.purchase_order_id and invoice.purchase_order.requested_by_id == user.pk:
        raise SeparationOfDuties(
            f"{who} requested purchase order {invoice.purchase_order.number}; someone else "
            "approves its invoice (separation of duties)."
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
