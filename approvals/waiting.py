"""What waits for one approver: the invoices whose current approval level they can decide
now, in person, as an out-of-office delegate, or after escalation added them (issue 19).

The work queue opens on this for approvers. It is the batch form of `chains.standing`:
one query for the open routes, one for their decisions, one for today's delegations, and
one per distinct approver spec (`role:approver`), however many invoices wait. Separation of
duties is not asked here (it needs each invoice's history): an invoice the approver may
not decide for that reason still shows, and its screen says why.
"""

from django.utils import timezone

from approvals import chains
from approvals.models import Approval, ApprovalRoute, Delegation
from core import roles
from core.models import Status


def invoice_ids_waiting_for(user, day=None) -> list[int]:
    """Ids of the invoices pending approval whose current level waits for `user`: they
    may decide it (core.roles.can_approve), stand at it by its approvers, were added to
    it by escalation, or stand in for someone it waits for (a delegation active `day`,
    default today); and have not decided on the invoice already."""
    if not user.is_authenticated or not roles.can_approve(user):
        return []
    name = user.get_username()
    principals = set(
        Delegation.objects.active_on(day or timezone.localdate())
        .filter(delegate=user)
        .values_list("principal__username", flat=True)
    )
    routes = list(
        ApprovalRoute.objects.filter(
            state=ApprovalRoute.State.OPEN,
            kind=ApprovalRoute.Kind.CHAIN,
            invoice__status=Status.PENDING_APPROVAL,
        ).values_list("pk", "invoice_id", "levels", "level")
    )
    decided: dict[int, set[str]] = {}
    filled: dict[int, set[str]] = {}
    for route_id, level, decision, by, for_whom in Approval.objects.filter(
        route_id__in=[route[0] for route in routes]
    ).values_list("route_id", "level", "decision", "user__username", "on_behalf_of__username"):
        decided.setdefault(route_id, set()).add(by)
        if decision == Approval.Decision.APPROVE:
            filled.setdefault((route_id, level), set()).add(for_whom or by)
    people: dict[str, set[str]] = {}

    def eligible(level: dict) -> set[str]:
        names = set()
        for spec in level["approvers"]:
            if spec not in people:
                people[spec] = chains.people(spec)
            names |= people[spec]
        if not names:
            names = people.setdefault("role:admin", chains.people("role:admin"))
        return names

    waiting = []
    for route_id, invoice_id, levels, number in routes:
        if name in decided.get(route_id, ()) or number >= len(levels):
            continue
        level = levels[number]
        filled_here = filled.get((route_id, number), set())
        open_places = eligible(level) - filled_here
        added = {entry["user"] for entry in level.get("added", []) if entry["for"] is None}
        escalated_for = {
            entry["for"]
            for entry in level.get("added", [])
            if entry["user"] == name and entry["for"] is not None
        }
        if (
            name in open_places
            or name in added
            or escalated_for - filled_here
            or principals & open_places
        ):
            waiting.append(invoice_id)
    return waiting
