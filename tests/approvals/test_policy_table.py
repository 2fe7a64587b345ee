"""The approval policy as a decision table: facts in, outcome out (no database).

The policy under test is a realistic one: amount bands, a vendor, IT cost centers, a
department, a capex category, exception codes and accepted variances, and a default."""

from decimal import Decimal

import pytest

from approvals.policy import (
    Level,
    PolicyError,
    RoutingFacts,
    Rule,
    choose_rule,
    parse_chain,
    route,
)

APPROVER = Level(("role:approver",))
ADMIN = Level(("role:admin",), sla_hours=48)
CFO = Level(("user:cfo",), mode="all", sla_hours=48)
IT_HEADS = Level(("group:IT heads",))
TREASURY = Level(("group:Treasury", "user:controller"), count=2)

RULES = [
    Rule("Large", (APPROVER, ADMIN, CFO), id=1, version=3, min_amount=Decimal(50000)),
    Rule("Capex", (APPROVER, CFO), id=2, categories=frozenset({"CAPEX"}), always_human=True),
    Rule("Vendor 7", (TREASURY,), id=3, vendor_id=7),
    Rule("IT", (IT_HEADS,), id=4, cost_centers=frozenset({"IT-100", "IT-200"})),
    Rule(
        "Marketing band",
        (APPROVER, ADMIN),
        id=5,
        departments=frozenset({"Marketing"}),
        min_amount=Decimal(1000),
        max_amount=Decimal(50000),
    ),
    Rule("Variance accepted", (ADMIN,), id=6, accepted_variance=True),
    Rule("Tax findings", (ADMIN,), id=7, exception_codes=frozenset({"TAX_MISMATCH"})),
]
DEFAULT = Rule("Default", (APPROVER,), id=99, version=2)
LIMIT = Decimal(5000)


def facts(amount="300", **kw) -> RoutingFacts:
    values = {
        "amount": None if amount is None else Decimal(amount),
        "automation_level": "auto",
        "straight_through": True,
        "vendor_id": 1,
    }
    values.update(kw)
    return RoutingFacts(**values)


# (case, facts, expected kind, expected rule name, expected number of levels)
TABLE = [
    ("auto vendor, matched, small: straight through", facts(), "auto", "Default", 0),
    ("assisted vendor: a clerk confirms", facts(automation_level="assisted"), "propose",
     "Default", 1),
    ("manual vendor: the default chain", facts(automation_level="manual"), "chain",
     "Default", 1),
    ("at the always-human amount exactly: still automatic", facts("5000"), "auto",
     "Default", 0),
    ("one cent above the always-human amount: a person", facts("5000.01"), "chain",
     "Default", 1),
    ("above the limit even for auto vendors", facts("20000"), "chain", "Default", 1),
    ("50,000: the large chain of three", facts("50000"), "chain", "Large", 3),
    ("just under 50,000: not large", facts("49999.99"), "chain", "Default", 1),
    ("amount unknown (no exchange rate): taken as large", facts(None), "chain", "Large", 3),
    ("not straight through (no PO): chain", facts(straight_through=False), "chain",
     "Default", 1),
    ("capex category: always a person, even small and auto",
     facts(categories=frozenset({"CAPEX"})), "chain", "Capex", 2),
    ("large capex: the earlier rule wins", facts("60000", categories=frozenset({"CAPEX"})),
     "chain", "Large", 3),
    ("vendor 7 above the limit: treasury, two people",
     facts("9000", vendor_id=7), "chain", "Vendor 7", 1),
    ("vendor 7 small and auto: straight through", facts(vendor_id=7), "auto", "Vendor 7", 0),
    ("IT cost center on a line: IT heads", facts("8000", cost_centers=frozenset({"IT-200"})),
     "chain", "IT", 1),
    ("another cost center: default", facts("8000", cost_centers=frozenset({"FIN-1"})),
     "chain", "Default", 1),
    ("marketing at 1,000: the marketing band", facts("1000", departments=frozenset({"Marketing"}),
     straight_through=False), "chain", "Marketing band", 2),
    ("marketing under the band: default", facts("999.99", departments=frozenset({"Marketing"}),
     straight_through=False), "chain", "Default", 1),
    ("accepted variance: an admin decides",
     facts(accepted_variance=True, exception_codes=frozenset({"PRICE_VARIANCE"}),
           straight_through=False), "chain", "Variance accepted", 1),
    ("tax finding: an admin decides", facts(exception_codes=frozenset({"TAX_MISMATCH"}),
     straight_through=False), "chain", "Tax findings", 1),
    ("price variance without acceptance: default",
     facts(exception_codes=frozenset({"PRICE_VARIANCE"}), straight_through=False), "chain",
     "Default", 1),
    ("bank details changed: two approvers even when the chain has one level",
     facts("100", approvers_required=2, straight_through=False), "chain", "Default", 1),
    ("assisted but above the limit: the chain, not a proposal",
     facts("7000", automation_level="assisted"), "chain", "Default", 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "given", "kind", "rule", "levels"), TABLE, ids=[row[0] for row in TABLE]
)
def test_policy_table(case, given, kind, rule, levels):
    outcome = route(given, RULES, DEFAULT, LIMIT)
    assert (outcome.kind, outcome.rule.name, len(outcome.levels)) == (kind, rule, levels), case
    assert outcome.inputs["rule"] == rule
    assert outcome.inputs["rule_version"] == outcome.rule.version
    assert outcome.reason  # every outcome says why, in words


def test_the_table_has_at_least_twenty_cases():
    assert len(TABLE) >= 20


def test_bank_details_raise_the_first_level_to_two_different_people():
    outcome = route(facts(approvers_required=2, straight_through=False), RULES, DEFAULT, LIMIT)
    assert outcome.levels[0].count == 2
    assert "2 different people of role approver" in outcome.reason


def test_a_chain_of_two_levels_already_gives_two_different_approvers():
    outcome = route(
        facts("60000", approvers_required=2, categories=frozenset({"CAPEX"})),
        RULES,
        DEFAULT,
        LIMIT,
    )
    assert [level.count for level in outcome.levels] == [1, 1, 1]


def test_the_reason_names_the_rule_its_version_and_the_chain():
    outcome = route(facts("60000"), RULES, DEFAULT, LIMIT)
    assert "Rule Large (v3)" in outcome.reason
    assert "any one of role approver, within 24 h; then any one of role admin" in outcome.reason
    assert "all of user cfo" in outcome.reason


def test_rules_are_tried_in_order_and_the_first_that_applies_wins():
    reordered = [RULES[1], RULES[0]]
    given = facts("60000", categories=frozenset({"CAPEX"}))
    assert choose_rule(reordered, DEFAULT, given).name == "Capex"
    assert choose_rule(RULES, DEFAULT, given).name == "Large"


def test_why_a_rule_does_not_apply_is_said():
    assert RULES[0].mismatch(facts("10")) == "amount 10 is under 50000"
    assert RULES[3].mismatch(facts()) == "no cost center in IT-100, IT-200"


@pytest.mark.parametrize(
    ("chain", "message"),
    [
        ([], "one or more levels"),
        ([{"approvers": []}], "names no approvers"),
        ([{"approvers": ["boss"]}], '"boss" is not'),
        ([{"approvers": ["role:approver"], "mode": "most"}], 'mode is "any" or "all"'),
        ([{"approvers": ["role:approver"], "count": 0}], "count is a whole number"),
        ([{"approvers": ["role:approver"], "sla_hours": 0}], "sla_hours"),
        ([{"approvers": ["role:approver"], "escalate_to": "ceo"}], "escalate_to"),
        ([{"approvers": ["role:approver"], "approver": "x"}], "unknown keys: approver"),
    ],
)
def test_a_malformed_chain_is_refused_with_where_and_why(chain, message):
    with pytest.raises(PolicyError, match=message):
        parse_chain(chain)


def test_a_well_formed_chain_reads_back():
    levels = parse_chain(
        [{"approvers": "role:approver"}, {"approvers": ["user:cfo"], "mode": "all", "sla_hours": 8}]
    )
    assert levels == (Level(("role:approver",)), Level(("user:cfo",), "all", 1, 8))
