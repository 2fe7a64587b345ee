"""Approval policy: which approval chain an invoice needs, or whether it goes straight
through. Pure functions over plain data, like the matching engine, so the whole decision
table is tested without a database.

A policy is an ordered list of rules. The first rule whose conditions all hold decides;
when none does, the default rule does. A rule gives an approval chain: levels in order,
each naming who may decide (a role, a group or named users) and whether any one of them
or all of them must approve.

Whether a person is needed at all is decided first, from the vendor's automation level:
    manual    every invoice goes through the chain
    assisted  an invoice that could go straight through is proposed to a clerk, who
              confirms it in one click; anything else goes through the chain
    auto      an invoice that could go straight through is approved without a person
"Could go straight through" means: matched to a purchase order within tolerance, in the
company currency, with no open exception, at or under the always-a-human amount, and no
rule says a person must see it.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from core.formatting import format_amount

MANUAL, ASSISTED, AUTO = "manual", "assisted", "auto"
ANY, ALL = "any", "all"
ESCALATE_TO = ("manager", "next")
# Who confirms a proposal for an `assisted` vendor.
PROPOSAL_LEVEL_SPEC = "role:clerk"


class PolicyError(ValueError):
    """A rule's chain is not well formed; the message says where."""


@dataclass(frozen=True)
class Level:
    approvers: tuple[str, ...]  # "role:approver", "group:Finance directors", "user:alice"
    mode: str = ANY
    count: int = 1  # distinct approvals a level in `any` mode needs
    sla_hours: int = 24
    escalate_to: str = "manager"

    def describe(self) -> str:
        who = ", ".join(spec.replace(":", " ", 1) for spec in self.approvers)
        if self.mode == ALL:
            need = "all of"
        elif self.count > 1:
            need = f"{self.count} different people of"
        else:
            need = "any one of"
        return f"{need} {who}, within {self.sla_hours} h"

    def as_dict(self) -> dict:
        return {
            "approvers": list(self.approvers),
            "mode": self.mode,
            "count": self.count,
            "sla_hours": self.sla_hours,
            "escalate_to": self.escalate_to,
        }


def parse_chain(data) -> tuple[Level, ...]:
    """A chain as stored in a rule (a list of level objects), checked field by field."""
    if not isinstance(data, list) or not data:
        raise PolicyError("The chain is a list of one or more levels.")
    levels = []
    for number, item in enumerate(data, start=1):
        where = f"Level {number}"
        if not isinstance(item, dict):
            raise PolicyError(f"{where} is not an object.")
        unknown = set(item) - {"approvers", "mode", "count", "sla_hours", "escalate_to"}
        if unknown:
            raise PolicyError(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
        approvers = item.get("approvers")
        if isinstance(approvers, str):
            approvers = [approvers]
        if not isinstance(approvers, list) or not approvers:
            raise PolicyError(f'{where} names no approvers ("role:…", "group:…", "user:…").')
        for spec in approvers:
            kind, _, name = str(spec).partition(":")
            if kind not in ("role", "group", "user") or not name.strip():
                raise PolicyError(
                    f'{where}: "{spec}" is not "role:NAME", "group:NAME" or "user:USERNAME".'
                )
        mode = item.get("mode", ANY)
        if mode not in (ANY, ALL):
            raise PolicyError(f'{where}: mode is "any" or "all", not "{mode}".')
        count, sla = item.get("count", 1), item.get("sla_hours", 24)
        if not isinstance(count, int) or count < 1:
            raise PolicyError(f"{where}: count is a whole number of at least 1.")
        if not isinstance(sla, int) or not 1 <= sla <= 24 * 90:
            raise PolicyError(f"{where}: sla_hours is a whole number of hours, 1 to 2160.")
        escalate_to = item.get("escalate_to", "manager")
        if escalate_to not in ESCALATE_TO:
            raise PolicyError(f'{where}: escalate_to is "manager" or "next".')
        levels.append(
            Level(tuple(str(s).strip() for s in approvers), mode, count, sla, escalate_to)
        )
    return tuple(levels)


@dataclass(frozen=True)
class Rule:
    name: str
    levels: tuple[Level, ...]
    id: int | None = None
    version: int = 1
    min_amount: Decimal | None = None  # in the company currency, inclusive
    max_amount: Decimal | None = None  # exclusive: bands [min, max) do not overlap
    vendor_id: int | None = None
    cost_centers: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    exception_codes: frozenset[str] = frozenset()
    accepted_variance: bool = False  # only when a clerk accepted a variance
    always_human: bool = False  # invoices under this rule never go straight through

    def applies(self, facts: "RoutingFacts") -> bool:
        return not self.mismatch(facts)

    def mismatch(self, facts: "RoutingFacts") -> str:
        """Why this rule does not apply ("" when it does)."""
        amount = facts.amount  # None: not known in the company currency, taken as high
        if self.min_amount is not None and amount is not None and amount < self.min_amount:
            return f"amount {amount} is under {self.min_amount}"
        if self.max_amount is not None and (amount is None or amount >= self.max_amount):
            return f"amount {amount} is not under {self.max_amount}"
        if self.vendor_id is not None and facts.vendor_id != self.vendor_id:
            return "another vendor"
        for wanted, have, what in (
            (self.cost_centers, facts.cost_centers, "cost center"),
            (self.departments, facts.departments, "department"),
            (self.categories, facts.categories, "category"),
            (self.exception_codes, facts.exception_codes, "exception"),
        ):
            if wanted and not wanted & have:
                return f"no {what} in {', '.join(sorted(wanted))}"
        if self.accepted_variance and not facts.accepted_variance:
            return "no accepted variance"
        return ""

    @property
    def label(self) -> str:
        return f"{self.name} (v{self.version})"


@dataclass(frozen=True)
class RoutingFacts:
    """What routing knows about an invoice, in plain values."""

    amount: Decimal | None  # total in the company currency; None when it cannot be known
    currency: str = ""  # the company currency's ISO code, for the sentences
    automation_level: str = MANUAL
    # Matched within tolerance, company currency, no open exception: what "auto" needs.
    straight_through: bool = False
    not_straight_through: str = ""  # why not, in words, when it is not
    vendor_id: int | None = None
    cost_centers: frozenset[str] = frozenset()
    departments: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    exception_codes: frozenset[str] = frozenset()  # raised on it, open or accepted
    accepted_variance: bool = False
    approvers_required: int = 1  # 2 when bank details changed


@dataclass(frozen=True)
class Outcome:
    kind: str  # "auto", "propose" or "chain"
    rule: Rule
    levels: tuple[Level, ...]
    reason: str
    inputs: dict = field(default_factory=dict)


def choose_rule(rules: list[Rule], default: Rule, facts: RoutingFacts) -> Rule:
    """The first rule (in the given order) that applies, else the default."""
    return next((rule for rule in rules if rule.applies(facts)), default)


def route(
    facts: RoutingFacts, rules: list[Rule], default: Rule, always_human_above: Decimal
) -> Outcome:
    rule = choose_rule(rules, default, facts)
    inputs = {
        "amount_company_currency": None if facts.amount is None else str(facts.amount),
        "automation_level": facts.automation_level,
        "always_human_above": str(always_human_above),
        "rule": rule.name,
        "rule_id": rule.id,
        "rule_version": rule.version,
        "exception_codes": sorted(facts.exception_codes),
        "accepted_variance": facts.accepted_variance,
    }
    levels = _with_enough_approvers(rule.levels, facts.approvers_required)
    chain = Outcome("chain", rule, levels, "", inputs)
    if not facts.straight_through:
        return _because(chain, facts.not_straight_through or "it needs a person")
    if facts.amount is None or facts.amount > always_human_above:
        return _because(
            chain,
            f"the total ({_money(facts.amount, facts.currency)}) is above "
            f"{_money(always_human_above, facts.currency)}, where a person "
            "always decides",
        )
    if rule.always_human:
        return _because(chain, f"rule {rule.label} says a person always decides")
    if facts.automation_level == AUTO:
        return Outcome(
            "auto",
            rule,
            (),
            f"Matched within tolerance, {_money(facts.amount, facts.currency)} is within "
            f"{_money(always_human_above, facts.currency)}, "
            "and the vendor's automation level is auto",
            inputs,
        )
    if facts.automation_level == ASSISTED:
        proposal = Level((PROPOSAL_LEVEL_SPEC,), sla_hours=levels[0].sla_hours)
        return Outcome(
            "propose",
            rule,
            (proposal,),
            "The system proposes approval (matched within tolerance); the vendor is on "
            "assisted, so a clerk confirms it",
            inputs,
        )
    return _because(chain, "the vendor's automation level is manual: a person reviews each")


def _because(outcome: Outcome, why: str) -> Outcome:
    steps = "; then ".join(level.describe() for level in outcome.levels)
    return Outcome(
        outcome.kind,
        outcome.rule,
        outcome.levels,
        f"{why[:1].upper()}{why[1:]}. Rule {outcome.rule.label}: {steps}",
        outcome.inputs,
    )


def _with_enough_approvers(levels: tuple[Level, ...], required: int) -> tuple[Level, ...]:
    """A chain gives at least `required` different approvers: when its levels together
    ask for fewer, the first level asks for more (nobody decides twice on one invoice)."""
    given = sum(level.count if level.mode == ANY else 1 for level in levels)
    if given >= required:
        return levels
    first = levels[0]
    extra = required - given
    if first.mode == ALL:
        # An all-of level of one person still needs another: add a second any-one level.
        return (*levels, Level(first.approvers, ANY, extra, first.sla_hours, "manager"))
    more = Level(first.approvers, ANY, first.count + extra, first.sla_hours, first.escalate_to)
    return (more, *levels[1:])


def _money(amount: Decimal | None, currency: str) -> str:
    """An amount in a reason, as screens write it (core.formatting); None: not known."""
    return (
        "not known in the company currency" if amount is None else format_amount(amount, currency)
    )
