"""A person's decision on an invoice: approve or reject, with the reason kept.

Every decision, wherever it is made (the invoice screen, an email link, as a delegate,
after escalation), goes through `check_decision`, the one rule (issue 16, "One rule for
deciding"):
- permission: approving or rejecting needs core.approve_invoice (core.roles.can_approve);
  confirming the system's proposal for an `assisted` vendor needs a clerk's
  core.change_invoice (core.roles.can_work_queue). A delegate or a person added by
  escalation needs it themselves, whoever they stand in for;
- the route: the people of the level deciding now, their out-of-office delegates, and
  whoever escalation added (approvals.chains.standing);
- separation of duties, for approvals (`separation_of_duties`);
- the comment rule: rejecting needs a reason; approving over open exceptions needs a
  comment; approving over a blocking exception is refused whatever the comment
  (core.exception_codes declares which block). Changed bank details need two different
  approvers.
Posting after an approval is the pipeline's job; the caller queues it.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from approvals import chains
from approvals.models import Approval, ApprovalRoute, Delegation
from audit import chain
from audit.models import AuditEvent
from core import exception_codes, roles
from core.models import Invoice, Status
from core.models.invoices import actor_name

DECIDABLE = (Status.PENDING_APPROVAL, Status.NEEDS_REVIEW)
approvers_required = chains.approvers_required


class SeparationOfDuties(PermissionDenied):
    """This approver may approve invoices, but not this one: they had a hand in it."""


class CommentRequired(ValidationError):
    """The decision is allowed with a comment, and none was given."""


def approve(invoice: Invoice, user, comment: str = "") -> bool:
    """Approve at the level deciding now: True once the whole route is approved (the
    invoice is approved); False when this approval is recorded and the route waits for
    more (another person at this level, or the next level).

    Raises chains.NotEligible or SeparationOfDuties (PermissionDenied) when `user` may not
    decide, CommentRequired or ValidationError when the comment rule or a blocking
    exception refuses, and core.erp.posting.NotPostable (a ValidationError) when the ERP
    could not book the invoice. Nothing is recorded when it raises."""
    comment = comment.strip()
    _check_status(invoice)
    with transaction.atomic():
        # The invoice row is locked first, so two approvers (or one double click) at the
        # same moment are counted one after the other.
        locked = _lock(invoice)
        open_codes = list(locked.open_exceptions().values_list("code", flat=True))
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
        two = [c for c in open_codes if c in exception_codes.needing_two_approvers()]
        approvers = set(route.decisions.filter(decision="approve").values_list("user", flat=True))
        if two and len(approvers) < 2:
            raise ValidationError(
                f"Approving over {', '.join(two)} needs two different approvers; this route "
                "had one. Send it for approval again."
            )
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
                "comment": comment,
            },
        )
    invoice.refresh_from_db()
    return True


def check_decision(invoice: Invoice, route: ApprovalRoute, user, decision: str, comment):
    """The one rule for deciding (see the module docstring): returns the chains.Standing in
    which `user` decides `invoice` at its route's current level, or raises why not:
    chains.NotEligible (no permission, not at this level), SeparationOfDuties,
    CommentRequired, or ValidationError (a blocking exception is open). `comment` None
    asks only whether the person may decide at all (the screen offering the buttons, an
    email going out), not whether this decision, with this comment, goes through."""
    _check_permission(route.kind, user)
    standing = chains.standing(route, user)
    if decision == Approval.Decision.APPROVE:
        separation_of_duties(invoice, user)
        if standing.principal.pk != user.pk:
            separation_of_duties(invoice, standing.principal, standing_in_for=True)
    if comment is None:
        return standing
    if decision == Approval.Decision.REJECT:
        if not comment:
            raise CommentRequired("Rejecting an invoice needs a reason the vendor can be told.")
        return standing
    open_codes = list(invoice.open_exceptions().values_list("code", flat=True))
    refused = exception_codes.refusal(open_codes)
    if refused:
        raise ValidationError(refused)
    if open_codes and not comment:
        raise CommentRequired(
            f"Approving over open exceptions ({exception_codes.labels(open_codes)}) needs a "
            "comment."
        )
    return standing


def can_decide(invoice: Invoice, user) -> tuple[bool, str]:
    """Whether the screen offers this user a decision, and if not, why (in words): the
    permission, route and separation-of-duties parts of `check_decision`."""
    if invoice.status not in DECIDABLE:
        return False, ""
    route = chains.open_route(invoice)
    try:
        if route is None:  # in review: approving starts the route the policy gives
            outcome = chains.plan(invoice, straight_through_possible=False)
            _check_permission(outcome.kind, user)
            names = set(chains.eligible(outcome.levels[0].as_dict()))
            away = Delegation.objects.active_on(timezone.localdate()).filter(
                principal__username__in=names, delegate=user
            )
            if user.get_username() not in names and not away.exists():
                return False, ""
            separation_of_duties(invoice, user)
        else:
            check_decision(invoice, route, user, Approval.Decision.APPROVE, None)
    except (chains.NotEligible, SeparationOfDuties) as exc:
        return False, str(exc)
    return True, ""


def may_be_asked(route: ApprovalRoute, people) -> list:
    """Of `people`, those who may decide the route's current level (permission, standing,
    separation of duties): the only ones mailed approve links."""
    allowed = []
    for person in people:
        try:
            check_decision(route.invoice, route, person, Approval.Decision.APPROVE, None)
        except (chains.NotEligible, SeparationOfDuties):
            continue
        allowed.append(person)
    return allowed


def _check_permission(route_kind: str, user) -> None:
    if route_kind == ApprovalRoute.Kind.PROPOSE:
        if not roles.can_work_queue(user):
            raise chains.NotEligible("Only clerks confirm the system's proposals.")
    elif not roles.can_approve(user):
        raise chains.NotEligible(
            f"{user.get_username()} does not hold the permission to approve invoices, so "
            "cannot decide this one, in person, as a delegate or after escalation."
        )


def reject(invoice: Invoice, user, comment: str) -> None:
    """Reject at the level deciding now (the route ends, the invoice is rejected). Raises
    as `check_decision` does; rejecting needs a comment (the reason the vendor is told)."""
    comment = comment.strip()
    _check_status(invoice)
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
            inputs={"decision": decided.sentence, "policy": route.policy_label, "comment": comment},
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
    standing = check_decision(invoice, route, user, decision, comment)
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
    """Whoever corrected the invoice's fields, accepted a variance on it or released it as
    not a duplicate, or requested its purchase order, does not approve it, in person or
    through a delegate. Raises SeparationOfDuties saying which."""
    who = f"{user.get_username()} (whom you stand in for)" if standing_in_for else "You"
    did = set(
        AuditEvent.objects.filter(
            invoice_id=invoice.pk,
            actor=actor_name(user),
            action__in=(
                "invoice.fields_corrected",
                "invoice.variance_accepted",
                "invoice.duplicate_released",
            ),
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
    if "invoice.duplicate_released" in did:
        raise SeparationOfDuties(
            f"{who} released this invoice as not a duplicate; someone else approves it "
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
