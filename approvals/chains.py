"""Approval routes in the database: the policy applied to an invoice, the route it starts,
who may decide at the level deciding now (in person, as an out-of-office delegate, or
after escalation), and who is mailed.

Everything that moves an invoice into `pending_approval` calls `request_approval`, so
every waiting invoice has exactly one open route saying which rule and version chose it.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from approvals import policy
from approvals.models import Approval, ApprovalRoute, ApprovalRule, Delegation
from audit import chain
from core import exception_codes, exchange_rates
from core.document_types import Kind
from core.models import Invoice, Status

ACTOR = "system:routing"
# The rule used when the policy has no default rule (a fresh database gets one by migration).
FALLBACK = policy.Rule(
    name="Built-in default", version=0, levels=(policy.Level(("role:approver",)),)
)


class NotEligible(PermissionDenied):
    """This person may not decide this invoice at the level deciding now; says why."""


@dataclass(frozen=True)
class Standing:
    """In what capacity a person decides the current level, and for whom."""

    principal: object  # the User whose place at the level this decision fills
    capacity: str  # Approval.Capacity


def conversion(invoice: Invoice) -> exchange_rates.Conversion:
    """The rate that converts the invoice into the company currency: the one valid on its
    invoice date (BT-2), or the latest before it (core.exchange_rates.rate_on); the day it
    was received when it has no date."""
    currency = invoice.currency or settings.COMPANY_CURRENCY
    if invoice.invoice_date is not None:
        return exchange_rates.rate_on(currency, invoice.invoice_date)
    received = timezone.localdate(invoice.created_at or timezone.now())
    return replace(exchange_rates.rate_on(currency, received), day_is="the day it was received")


def company_amount(invoice: Invoice) -> Decimal | None:
    """The invoice total in the company currency, None if the total or the rate is unknown."""
    return conversion(invoice).convert(invoice.total_amount)


def approvers_required(invoice: Invoice) -> int:
    """Two when any finding on the invoice, open or resolved, is one that only two
    different approvers may approve over (core.exception_codes: BANK_DETAILS_CHANGED),
    else one."""
    codes = set(invoice.exceptions.values_list("code", flat=True))
    return 2 if codes & exception_codes.needing_two_approvers() else 1


def routing_facts(invoice: Invoice, *, straight_through_possible: bool) -> policy.RoutingFacts:
    """What the policy needs to know about the invoice. `straight_through_possible` is
    False when a person already sent the invoice for approval."""
    findings = list(invoice.exceptions.values_list("code", "resolved_at", "details"))
    open_codes = {code for code, resolved_at, _ in findings if resolved_at is None}
    accepted = {code for code, _, details in findings if "accepted" in (details or {})}
    po_lines = invoice.purchase_order.lines.all() if invoice.purchase_order_id else []
    amount = company_amount(invoice)
    why_not = ""
    if not straight_through_possible:
        why_not = "it was sent for approval by a person"
    elif invoice.document_kind == Kind.RECEIPT:
        why_not = "a till receipt is a non-PO expense: it needs an approver"
    elif invoice.purchase_order_id is None:
        why_not = "an invoice without a purchase order needs an approver"
    elif invoice.currency not in ("", settings.COMPANY_CURRENCY):
        why_not = f"it is in {invoice.currency}, not {settings.COMPANY_CURRENCY}"
    elif open_codes:
        why_not = f"it has open exceptions ({exception_codes.labels(sorted(open_codes))})"
    return policy.RoutingFacts(
        amount=amount,
        currency=settings.COMPANY_CURRENCY,
        automation_level=invoice.vendor.automation_level if invoice.vendor else "manual",
        straight_through=not why_not,
        not_straight_through=why_not,
        vendor_id=invoice.vendor_id,
        cost_centers=frozenset(
            [line.cost_center for line in invoice.lines.all() if line.cost_center]
            + [line.cost_center for line in po_lines if line.cost_center]
        ),
        departments=frozenset(
            [invoice.purchase_order.department]
            if invoice.purchase_order_id and invoice.purchase_order.department
            else []
        ),
        categories=frozenset(line.category for line in po_lines if line.category),
        exception_codes=frozenset(open_codes | accepted),
        accepted_variance=bool(accepted),
        approvers_required=approvers_required(invoice),
    )


def current_policy() -> tuple[list[policy.Rule], policy.Rule]:
    """The active rules in priority order, and the default rule."""
    rules, default = [], FALLBACK
    for row in ApprovalRule.objects.filter(active=True).select_related(None):
        if row.is_default:
            default = row.facts()
        else:
            rules.append(row.facts())
    return rules, default


def plan(invoice: Invoice, *, straight_through_possible: bool) -> policy.Outcome:
    """The policy's outcome for the invoice. For an invoice in another currency the reason
    ends with the conversion that decided the amount band (the rate, the day it is valid
    from and its source), or says that no rate was known and the amount was taken as above
    every band; the route's inputs keep the same as `exchange_rate`."""
    rules, default = current_policy()
    outcome = policy.route(
        routing_facts(invoice, straight_through_possible=straight_through_possible),
        rules,
        default,
        settings.AUTO_APPROVE_LIMIT,
    )
    converted = conversion(invoice)
    if converted.identity:
        return outcome
    said = converted.sentence(invoice.total_amount)
    if not converted.missing:
        said = f"Amount in {converted.base}: {said}"
    return replace(
        outcome,
        reason=f"{outcome.reason}. {said}.",
        inputs={**outcome.inputs, "exchange_rate": converted.as_dict()},
    )


def request_approval(
    invoice: Invoice, *, actor, reason: str, inputs=None, outcome: policy.Outcome | None = None
) -> ApprovalRoute:
    """Move the invoice to pending_approval with the route the policy gives it, in one
    transaction; the move's audit event carries the rule, its version and the chain."""
    with transaction.atomic():
        # Locked first: two people sending it at once start one route, not two.
        Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
        outcome = outcome or plan(invoice, straight_through_possible=False)
        route = start_route(invoice, outcome)
        invoice.transition(
            Status.PENDING_APPROVAL,
            actor=actor,
            reason=reason,
            inputs={**(inputs or {}), **route_inputs(route, outcome)},
        )
    return route


def reroute_for_rates(currencies, *, actor: str) -> list[int]:
    """After exchange rates were added or changed (admin, import): each invoice waiting for
    approval in one of `currencies` whose route nobody has decided on yet, and whose route
    the policy would now give differently (another rule, or another conversion: a rate
    where none was known, or a changed rate for its day), gets the route the policy gives
    now, planned as routing after matching plans it (approvals.routing); one
    `invoice.rerouted` audit event each, with the old and new rule and the conversion.
    Returns the invoice ids routed again. Routes with a decision on them stay as they are
    (re-checked under the invoice's lock): an approval given is not taken back."""
    codes = sorted({code.upper() for code in currencies})
    routes = (
        ApprovalRoute.objects.filter(
            state=ApprovalRoute.State.OPEN,
            kind=ApprovalRoute.Kind.CHAIN,
            invoice__status=Status.PENDING_APPROVAL,
            invoice__currency__in=codes,
            decisions__isnull=True,
        )
        .select_related("invoice")
        .order_by("pk")
    )
    done = []
    for stale in routes:
        with transaction.atomic():
            invoice = Invoice.objects.select_for_update().filter(pk=stale.invoice_id).first()
            if invoice is None:
                continue
            # As routing after matching asks (approvals.routing), so the reason keeps why the
            # invoice needs a person; a foreign-currency invoice never goes straight through.
            outcome = plan(invoice, straight_through_possible=True)
            if outcome.kind != "chain":
                outcome = plan(invoice, straight_through_possible=False)
            rate_words = conversion(invoice).sentence(invoice.total_amount)
            if (outcome.rule.id, outcome.rule.version) == (stale.rule_id, stale.rule_version) and (
                rate_words in stale.reason
            ):
                continue  # the same rule with the same conversion: the route (and SLA) stays
            # Re-checked under the invoice's lock: a decision or a move since the routes
            # were listed keeps the route as it is.
            undecided = ApprovalRoute.objects.filter(
                pk=stale.pk, state=ApprovalRoute.State.OPEN, decisions__isnull=True
            )
            if invoice.status != Status.PENDING_APPROVAL or not undecided.exists():
                continue
            route = start_route(invoice, outcome)
            chain.record(
                "invoice.rerouted",
                actor=actor,
                invoice_id=invoice.pk,
                payload={
                    "reason": "The exchange rates changed",
                    "previous": {"route": stale.pk, "policy": stale.policy_label},
                    **route_inputs(route, outcome),
                },
            )
        done.append(invoice.pk)
    return done


def start_route(invoice: Invoice, outcome: policy.Outcome) -> ApprovalRoute:
    """A new open route for the invoice (any open one is closed: the invoice changed)."""
    now = timezone.now()
    ApprovalRoute.objects.filter(invoice=invoice, state=ApprovalRoute.State.OPEN).update(
        state=ApprovalRoute.State.CLOSED, closed_at=now
    )
    kind = ApprovalRoute.Kind.PROPOSE if outcome.kind == "propose" else ApprovalRoute.Kind.CHAIN
    return ApprovalRoute.objects.create(
        invoice=invoice,
        kind=kind,
        rule_id=outcome.rule.id,
        rule_name=outcome.rule.name,
        rule_version=outcome.rule.version,
        reason=outcome.reason,
        levels=[resolve_level(level) for level in outcome.levels],
        level_started_at=now,
    )


def route_inputs(route: ApprovalRoute, outcome: policy.Outcome) -> dict:
    return {
        **outcome.inputs,
        "route": route.pk,
        "route_kind": route.kind,
        "policy": route.policy_label,
        "policy_reason": route.reason,
        "chain": [
            {"level": n, "needs": describe(level), "eligible": level["eligible"]}
            for n, level in enumerate(route.levels, start=1)
        ],
    }


def resolve_level(level: policy.Level) -> dict:
    """The level as stored in a route, with the people who could decide it when the route
    started (for the record; who may decide is `eligible`, asked when it matters)."""
    return {**level.as_dict(), "eligible": eligible(level.as_dict()), "added": []}


def eligible(level: dict) -> list[str]:
    """Who may decide the level now, by its role, group and user names. A level that holds
    nobody active goes to the admins, so nothing waits for no one."""
    names = set().union(*(people(spec) for spec in level["approvers"]))
    return sorted(names or people("role:admin"))


def people(spec: str) -> set[str]:
    kind, _, name = spec.partition(":")
    users = get_user_model().objects.filter(is_active=True)
    if kind == "user":
        found = users.filter(username=name)
    elif kind == "role" and name == "admin":
        found = users.filter(Q(groups__name=name) | Q(is_superuser=True))
    else:  # a role is a group too (core.roles)
        found = users.filter(groups__name=name)
    return set(found.values_list("username", flat=True))


def describe(level: dict) -> str:
    return policy.Level(
        tuple(level["approvers"]), level["mode"], level["count"], level["sla_hours"]
    ).describe()


def open_route(invoice: Invoice) -> ApprovalRoute | None:
    return ApprovalRoute.objects.filter(invoice=invoice, state=ApprovalRoute.State.OPEN).first()


def covered(route: ApprovalRoute) -> set[str]:
    """Whose places at the current level are filled (usernames of the principals)."""
    return {
        (decision.on_behalf_of or decision.user).get_username()
        for decision in route.decisions.filter(
            level=route.level, decision="approve"
        ).select_related("user", "on_behalf_of")
    }


def standing(route: ApprovalRoute, user, day=None) -> Standing:
    """How `user` may decide the current level, or NotEligible saying why not."""
    level = route.current
    if level is None:
        raise NotEligible("This approval is finished; there is nothing left to decide.")
    name = user.get_username()
    earlier = route.decisions.filter(user=user).first()
    if earlier is not None:
        raise NotEligible(
            f"You decided on this invoice already (level {earlier.level + 1}); each level "
            "is someone else."
        )
    filled = covered(route)
    where = f"level {route.level + 1} of {len(route.levels)} ({describe(level)})"
    allowed = eligible(level)
    if name in allowed and name not in filled:
        return Standing(user, Approval.Capacity.SELF)
    for entry in level["added"]:
        if entry["user"] == name and (entry["for"] is None or entry["for"] not in filled):
            if entry["for"] is None:
                return Standing(user, Approval.Capacity.SELF)
            principal = get_user_model().objects.get(username=entry["for"])
            return Standing(principal, Approval.Capacity.ESCALATION)
    day = day or timezone.localdate()
    delegation = (
        Delegation.objects.active_on(day)
        .filter(delegate=user, principal__username__in=set(allowed) - filled)
        .select_related("principal")
        .order_by("principal__username")
        .first()
    )
    if delegation is not None:
        return Standing(delegation.principal, Approval.Capacity.DELEGATE)
    if name in allowed:
        raise NotEligible(f"Your approval at {where} is recorded; the level waits for others.")
    raise NotEligible(f"This invoice waits for {where}; you are not one of them.")


def level_done(route: ApprovalRoute) -> bool:
    level = route.levels[route.level]
    filled = covered(route)
    if level["mode"] == policy.ALL:
        return set(eligible(level)) <= filled
    return len(filled) >= level["count"]


def waiting_for(route: ApprovalRoute) -> list[str]:
    """Usernames of the principals the current level still waits for."""
    level = route.current
    if level is None:
        return []
    filled = covered(route)
    names = set(eligible(level)) | {
        entry["user"] for entry in level["added"] if entry["for"] is None
    }
    return sorted(names - filled)


def recipients(route: ApprovalRoute, day=None) -> list:
    """Whom to mail for the current level: the people it waits for, whoever escalation
    added, and the delegates of those who are out of office."""
    level = route.current
    if level is None:
        return []
    names = set(waiting_for(route)) | {entry["user"] for entry in level["added"]}
    decided = set(route.decisions.values_list("user__username", flat=True))
    away = Delegation.objects.active_on(day or timezone.localdate()).filter(
        principal__username__in=names
    )
    names |= set(away.values_list("delegate__username", flat=True))
    return list(
        get_user_model()
        .objects.filter(username__in=names - decided, is_active=True)
        .exclude(email="")
        .order_by("username")
    )
