"""The EN 16931 business rules on sums (core.business_rules): for each rule a set of
amounts that keeps it and one that breaks it, the rounding the CEN artefacts allow, and the
amounts of the reported cases c01 (allowance and charge on the document) and c19 (sub-lines).
Pure: no database."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from core.business_rules import (
    AllowanceCharge,
    Amounts,
    Line,
    VatBreakdown,
    check,
    xpath_round,
)


def s19(amount: str, counted: bool = True) -> Line:
    return Line(D(amount), counted, "S", D(19))


# c01: lines 600 + 400, an allowance of 50 and a charge of 20 (S 19%) on the document.
C01 = Amounts(
    currency="EUR",
    lines=(s19("600.00"), s19("400.00")),
    allowances_charges=(
        AllowanceCharge(D("50.00"), False, "S", D(19), "Volume discount"),
        AllowanceCharge(D("20.00"), True, "S", D(19), "Freight"),
    ),
    breakdown=(VatBreakdown("S", D(19), D("970.00"), D("184.30")),),
    line_total=D("1000.00"),
    allowance_total=D("50.00"),
    charge_total=D("20.00"),
    net=D("970.00"),
    tax=D("184.30"),
    total=D("1154.30"),
    amount_due=D("1154.30"),
)
# c19: a GROUP line of 500 (not counted), its DETAIL lines 300 and 200, a line of 100.
C19 = Amounts(
    currency="EUR",
    lines=(s19("500.00", counted=False), s19("300.00"), s19("200.00"), s19("100.00")),
    breakdown=(VatBreakdown("S", D(19), D("600.00"), D("114.00")),),
    line_total=D("600.00"),
    allowance_total=D("0.00"),
    charge_total=D("0.00"),
    net=D("600.00"),
    tax=D("114.00"),
    total=D("714.00"),
    amount_due=D("714.00"),
)
# Each category that is not standard rated, with 100.00 of lines in it.
NOT_RATED = ["Z", "E", "AE", "K", "G", "O"]
RULE_PREFIX = {"Z": "BR-Z", "E": "BR-E", "AE": "BR-AE", "K": "BR-IC", "G": "BR-G", "O": "BR-O"}


def rules(amounts: Amounts, **tolerances) -> list[str]:
    return [failure.rule for failure in check(amounts, **tolerances)]


def not_rated(category: str, taxable="100.00", tax="0.00") -> Amounts:
    rate = None if category == "O" else D(0)
    return Amounts(
        currency="EUR",
        lines=(Line(D("60.00"), True, category, rate), Line(D("40.00"), True, category, rate)),
        breakdown=(VatBreakdown(category, rate, D(taxable), D(tax)),),
        line_total=D("100.00"),
        net=D("100.00"),
        tax=D(tax),
        total=D("100.00") + D(tax),
    )


def test_c01_an_allowance_and_a_charge_on_the_document_add_up():
    assert check(C01) == []


def test_c19_only_the_counted_lines_are_summed():
    assert check(C19) == []


def test_c19_with_the_group_line_counted_breaks_br_co_10():
    counted = replace(C19, lines=(s19("500.00"), *C19.lines[1:]))

    (failure, *others) = check(counted)

    assert failure.rule == "BR-CO-10"
    assert (failure.actual, failure.expected) == (D("600.00"), D("1100.00"))
    assert [other.rule for other in others] == ["BR-S-08"]  # the taxable amount too


@pytest.mark.parametrize(
    ("rule", "broken"),
    [
        ("BR-CO-10", {"line_total": D("1010.00")}),
        ("BR-CO-11", {"allowance_total": D("40.00")}),
        ("BR-CO-12", {"charge_total": D("25.00")}),
        ("BR-CO-14", {"tax": D("190.00"), "total": D("1160.00"), "amount_due": D("1160.00")}),
        ("BR-CO-15", {"total": D("1155.30"), "amount_due": D("1155.30")}),
        ("BR-CO-16", {"amount_due": D("1100.00")}),
    ],
)
def test_each_document_total_rule_holds_for_c01_and_breaks_alone(rule, broken):
    assert rule not in rules(C01)

    assert rules(replace(C01, **broken))[0] == rule


def test_br_co_13_the_net_is_lines_less_allowances_plus_charges():
    wrong = replace(C01, net=D("1020.00"), total=D("1204.30"), amount_due=D("1204.30"))

    (failure,) = check(wrong)

    assert failure.rule == "BR-CO-13"
    assert failure.message == (
        "BR-CO-13: the net 1,020.00 EUR should be lines 1,000.00 - allowances 50.00 + charges "
        "20.00 = 970.00 EUR."
    )
    assert (failure.expected, failure.actual, failure.variance) == (
        D("970.00"),
        D("1020.00"),
        D("50.00"),
    )
    assert failure.terms == {"lines": "1000.00", "allowances": "50.00", "charges": "20.00"}


def test_br_co_16_counts_the_paid_and_the_rounding_amounts():
    paid = replace(C01, prepaid=D("154.30"), rounding=D("0.01"), amount_due=D("1000.01"))

    assert check(paid) == []
    assert rules(replace(paid, amount_due=D("1154.31"))) == ["BR-CO-16"]


def test_br_s_08_the_taxable_amount_per_rate_is_within_one_of_its_lines():
    # 970.00 taxable; the artefacts accept a difference under 1.00.
    near = replace(C01, breakdown=(VatBreakdown("S", D(19), D("970.99"), D("184.30")),))
    off = replace(C01, breakdown=(VatBreakdown("S", D(19), D("971.00"), D("184.30")),))

    assert rules(near) == []
    assert rules(off) == ["BR-S-08"]


def test_br_s_08_takes_each_rate_on_its_own():
    two_rates = replace(
        C01,
        lines=(s19("600.00"), Line(D("400.00"), True, "S", D(7))),
        breakdown=(
            VatBreakdown("S", D(19), D("570.00"), D("108.30")),
            VatBreakdown("S", D(7), D("400.00"), D("28.00")),
        ),
        tax=D("136.30"),
        total=D("1106.30"),
        amount_due=D("1106.30"),
    )
    swapped = replace(
        two_rates,
        breakdown=(
            VatBreakdown("S", D(19), D("400.00"), D("76.00")),
            VatBreakdown("S", D(7), D("570.00"), D("39.90")),
        ),
        tax=D("115.90"),
        total=D("1085.90"),
        amount_due=D("1085.90"),
    )

    assert rules(two_rates) == []
    assert rules(swapped) == ["BR-S-08", "BR-S-08"]


def test_br_s_09_the_vat_is_the_taxable_amount_times_the_rate_within_one():
    near = replace(C01, breakdown=(VatBreakdown("S", D(19), D("970.00"), D("185.29")),),
                   tax=D("185.29"), total=D("1155.29"), amount_due=D("1155.29"))  # fmt: skip
    off = replace(C01, breakdown=(VatBreakdown("S", D(19), D("970.00"), D("185.30")),),
                  tax=D("185.30"), total=D("1155.30"), amount_due=D("1155.30"))  # fmt: skip

    assert rules(near) == []
    (failure,) = check(off)
    assert failure.rule == "BR-S-09"
    assert failure.expected == D("184.30")
    assert "970.00 x 19% = 184.30 EUR" in failure.message


def test_br_s_09_compares_without_the_sign_as_the_artefacts_do():
    credit = VatBreakdown("S", D(19), D("-970.00"), D("-184.30"))
    amounts = Amounts(currency="EUR", breakdown=(credit,), tax=D("-184.30"))

    assert check(amounts) == []


@pytest.mark.parametrize("category", NOT_RATED)
def test_the_taxable_amount_of_a_category_without_vat_is_its_lines(category):
    assert check(not_rated(category)) == []

    (failure,) = check(not_rated(category, taxable="100.50"))

    assert failure.rule == f"{RULE_PREFIX[category]}-08"
    assert failure.expected == D("100.00")
    assert failure.tolerance == 0


@pytest.mark.parametrize("category", NOT_RATED)
def test_the_vat_of_a_category_without_vat_is_zero(category):
    taxed = not_rated(category, tax="19.00")

    assert f"{RULE_PREFIX[category]}-09" in rules(taxed)
    assert f"{RULE_PREFIX[category]}-09" not in rules(not_rated(category))


def test_the_categories_are_summed_apart():
    mixed = replace(
        C01,
        lines=(s19("600.00"), Line(D("400.00"), True, "E", D(0))),
        allowances_charges=(),
        allowance_total=None,
        charge_total=None,
        breakdown=(
            VatBreakdown("S", D(19), D("600.00"), D("114.00")),
            VatBreakdown("E", D(0), D("400.00"), D("0.00")),
        ),
        net=D("1000.00"),
        tax=D("114.00"),
        total=D("1114.00"),
        amount_due=D("1114.00"),
    )

    assert check(mixed) == []
    assert rules(replace(mixed, breakdown=(mixed.breakdown[0], replace(mixed.breakdown[1],
                 taxable_amount=D("1000.00"))))) == ["BR-E-08"]  # fmt: skip


def test_the_official_rounding_example_passes():
    """CII-BR-CO-10-RoundingIssue.xml of the EN 16931 examples: lines that cancel out to
    zero in two categories, which a sum in binary floating point misses."""
    lines = (
        s19("720.81"),
        Line(D("0.01"), True, "Z", D(0)),
        s19("-720.81"),
        Line(D("-0.01"), True, "Z", D(0)),
    )
    amounts = Amounts(
        currency="EUR",
        lines=lines,
        breakdown=(
            VatBreakdown("Z", D(0), D("0.00"), D("0.00")),
            VatBreakdown("S", D(19), D("0.00"), D("0.00")),
        ),
        line_total=D("0.00"),
        allowance_total=D(0),
        charge_total=D(0),
        net=D("0.00"),
        tax=D("0.00"),
        total=D("0.00"),
        prepaid=D(0),
        amount_due=D("0.00"),
    )

    assert check(amounts) == []


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.34"), ("-2.346", "-2.35"),
     ("183.3", "183.30"), ("-0.001", "0.00")],
)  # fmt: skip
def test_sums_are_rounded_as_xpath_rounds(value, rounded):
    assert xpath_round(D(value)) == D(rounded)


def test_a_sum_is_compared_after_rounding_to_cents():
    # Three lines of 33.333 state 99.999: BT-106 of 100.00 is right.
    thirds = Amounts(currency="EUR", lines=(s19("33.333"),) * 3, line_total=D("100.00"))

    assert check(thirds) == []
    assert rules(replace(thirds, line_total=D("99.99"))) == ["BR-CO-10"]


# --- a printed document: lines, net, tax and total only -------------------------------------


def printed(net="250.00", tax="47.50", total="297.50", *amounts) -> Amounts:
    lines = tuple(Line(D(amount), rate=D(19)) for amount in amounts or ("100.00", "150.00"))
    return Amounts(currency="EUR", lines=lines, net=D(net), tax=D(tax), total=D(total))


def test_a_printed_document_that_adds_up_passes():
    assert check(printed()) == []


def test_the_lines_of_a_printed_document_against_its_net_are_br_co_13():
    (failure,) = check(printed("260.00", "47.50", "307.50"), lines_tolerance=D("1.00"))

    assert failure.rule == "BR-CO-13"
    assert failure.read_lines
    assert failure.message == (
        "BR-CO-13: the net 260.00 EUR should be the sum of the lines = 250.00 EUR (a difference "
        "up to 1.00 EUR is accepted)."
    )
    # ... and within the tolerance for read lines it passes.
    assert check(printed("250.90", "47.50", "298.40"), lines_tolerance=D("1.00")) == []


def test_net_plus_tax_of_a_printed_document_is_br_co_15():
    assert rules(printed(total="300.00")) == ["BR-CO-15"]
    assert rules(printed(total="297.51"), sums_tolerance=D("0.01")) == []


def test_the_tax_of_a_printed_document_is_checked_at_its_lines_rates():
    (failure,) = check(printed(tax="30.00", total="280.00"))

    assert failure.rule == "BR-CO-14"
    assert failure.expected == D("47.50")
    # Lines rounded one by one: a cent a line and a cent more.
    assert failure.tolerance == D("0.03")
    assert rules(printed(tax="47.53", total="297.53")) == []


def test_a_line_without_a_rate_leaves_the_tax_unchecked():
    no_rate = replace(printed(tax="30.00", total="280.00"), lines=(Line(D("250.00")),))

    assert check(no_rate) == []


def test_nothing_stated_nothing_checked():
    assert check(Amounts()) == []
    assert check(Amounts(lines=(Line(D("10.00")),))) == []


# --- found by review: sums that passed unchecked ------------------------------------------

# One line of 240.00 at 19%: VAT 45.60, total 285.60 (the review's reproducer, as amounts).
ONE_LINE = Amounts(
    currency="EUR",
    lines=(s19("240.00"),),
    breakdown=(VatBreakdown("S", D(19), D("240.00"), D("45.60")),),
    line_total=D("240.00"),
    net=D("240.00"),
    total=D("285.60"),
    amount_due=D("285.60"),
)


def test_without_a_vat_total_the_total_is_checked_against_the_breakdowns_vat():
    assert rules(ONE_LINE) == []  # no BT-110 stated: its breakdown states 45.60
    overcharged = replace(ONE_LINE, total=D("295.60"), amount_due=D("295.60"))

    assert rules(overcharged) == ["BR-CO-15"]
    [failure] = check(overcharged)
    assert failure.expected == D("285.60")
    assert "VAT of the breakdown 45.60" in failure.message


def test_a_breakdown_row_without_its_vat_amount_fails_br_46_and_says_what_it_should_be():
    missing = replace(
        ONE_LINE,
        breakdown=(VatBreakdown("S", D(19), D("240.00"), None),),
        tax=D("55.60"),
        total=D("295.60"),
        amount_due=D("295.60"),
    )

    [failure] = check(missing)
    assert failure.rule == "BR-46"
    assert failure.expected == D("45.60")
    assert "states no VAT amount; it should be 45.60 EUR" in failure.message


def test_a_breakdown_row_without_its_taxable_amount_fails_br_45():
    missing = replace(ONE_LINE, breakdown=(VatBreakdown("S", D(19), None, D("45.60")),))

    assert rules(missing) == ["BR-45"]


def test_a_breakdown_row_of_a_category_without_vat_and_no_vat_amount_fails_br_46():
    exempt = Amounts(
        currency="EUR",
        lines=(Line(D("100.00"), True, "E", D(0)),),
        breakdown=(VatBreakdown("E", D(0), D("100.00"), None),),
        net=D("100.00"),
        total=D("100.00"),
    )

    assert rules(exempt) == ["BR-46"]


def test_third_party_payments_replace_br_co_16_by_br_dex_09():
    """XRechnung extension (found by review): the amount due adds the third party payments
    (BT-DEX-002) to what BR-CO-16 makes of the total."""
    fee = replace(C01, amount_due=D("1164.30"), third_party=D("10.00"))
    assert rules(fee) == []
    assert rules(replace(C01, amount_due=D("1164.30"))) == ["BR-CO-16"]

    wrong = replace(fee, amount_due=D("1154.30"))
    [failure] = check(wrong)
    assert (failure.rule, failure.expected) == ("BR-DEX-09", D("1164.30"))
    assert "third party payments 10.00" in failure.message
