"""The EN 16931-1 business rules on an invoice's sums: plain amounts in, failed rules out.

Pure code (no Django, no database), so matching, posting and tests use the same rules. Each
rule below quotes EN 16931-1:2017 in its docstring. How equal is equal follows the CEN
validation artefacts (github.com/ConnectingEurope/eInvoicing-EN16931, the UBL and CII model
schematrons of release 1.3.x):

- BR-CO-10 to BR-CO-16 compare the stated value with the computed one rounded to two
  decimals: `round(x * 100) div 100`, XPath's round (half a cent rounds up, towards plus
  infinity: see `xpath_round`). No tolerance beyond that rounding.
- BR-S-08 and BR-S-09 accept a difference of less than one unit of the currency: the
  taxable amount within +-1 of the sum of its lines, allowances and charges, the VAT
  amount within +-1 of round(taxable amount x rate).
- BR-Z-08, BR-E-08, BR-AE-08, BR-IC-08 (category K), BR-G-08 and BR-O-08 compare the
  taxable amount with the sum exactly (here: with the sum rounded to two decimals), and
  their -09 rules require a VAT amount of exactly 0.

A rule is checked only where its terms are stated. A printed document (PDF, scan) states
lines, net, tax and total only: a missing BT-106 is the sum of the counted lines, missing
allowance and charge sums (BT-107, BT-108) are those of the stated allowances and charges
(zero when none), so "the lines add up to the net" is BR-CO-10 with BR-CO-13 and "net plus
tax is the total" is BR-CO-15. Without a stated VAT breakdown (BG-23) the breakdown is
derived from the lines' rates, and BR-CO-14 compares the VAT total with it.

Read documents get the caller's tolerances (`check`'s `lines_tolerance` for a sum of read
lines, which can each miss a cent; `sums_tolerance` for the other sums); e-invoices only the
rounding the rules allow.
"""

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import NamedTuple

from core.formatting import format_amount

ZERO = Decimal(0)
CENT = Decimal("0.01")
# BR-S-08, BR-S-09: less than one unit of the currency either way.
VAT_CATEGORY_TOLERANCE = Decimal(1)


@dataclass(frozen=True, slots=True)
class Line:
    """One invoice line (BG-25)."""

    amount: Decimal  # BT-131, the line net amount (line allowances and charges applied)
    counted: bool = True  # False: a GROUP or INFORMATION sub-line the sums leave out
    category: str = ""  # BT-151 VAT category code
    rate: Decimal | None = None  # BT-152 VAT rate, percent


@dataclass(frozen=True, slots=True)
class AllowanceCharge:
    """A document-level allowance (BG-20) or charge (BG-21), its amount positive."""

    amount: Decimal  # BT-92 (allowance) or BT-99 (charge)
    charge: bool
    category: str = ""  # BT-95 / BT-102
    rate: Decimal | None = None  # BT-96 / BT-103
    reason: str = ""  # BT-97 / BT-104


@dataclass(frozen=True, slots=True)
class VatBreakdown:
    """One row of the VAT breakdown (BG-23)."""

    category: str  # BT-118
    rate: Decimal | None  # BT-119
    taxable_amount: Decimal | None  # BT-116
    tax_amount: Decimal | None  # BT-117


@dataclass(frozen=True)
class Amounts:
    """An invoice's amounts as the document states them (None: not stated)."""

    currency: str = ""
    lines: tuple[Line, ...] = ()
    allowances_charges: tuple[AllowanceCharge, ...] = ()  # on the document, not on lines
    breakdown: tuple[VatBreakdown, ...] = ()
    line_total: Decimal | None = None  # BT-106
    allowance_total: Decimal | None = None  # BT-107
    charge_total: Decimal | None = None  # BT-108
    net: Decimal | None = None  # BT-109, invoice total amount without VAT
    tax: Decimal | None = None  # BT-110, invoice total VAT amount
    total: Decimal | None = None  # BT-112, invoice total amount with VAT
    prepaid: Decimal | None = None  # BT-113
    rounding: Decimal | None = None  # BT-114
    amount_due: Decimal | None = None  # BT-115
    third_party: Decimal | None = None  # XRechnung extension: Σ BT-DEX-002

    @property
    def counted_lines(self) -> list[Line]:
        return [line for line in self.lines if line.counted]

    @property
    def lines_sum(self) -> Decimal:
        return sum((line.amount for line in self.counted_lines), ZERO)

    @property
    def allowances(self) -> list[AllowanceCharge]:
        return [item for item in self.allowances_charges if not item.charge]

    @property
    def charges(self) -> list[AllowanceCharge]:
        return [item for item in self.allowances_charges if item.charge]

    def tax_total(self) -> Decimal | None:
        """BT-110 as stated; where it is not, the sum of the stated VAT breakdown's VAT
        amounts (BT-117), when every row states one; else None. A CII invoice may leave out
        TaxTotalAmount (the CEN schematron's BR-CO-15 then wants the total to be the net
        alone); summing the breakdown holds such an invoice to its own VAT instead, so a
        total that adds VAT the breakdown does not state is caught either way."""
        if self.tax is not None:
            return self.tax
        if self.breakdown and all(row.tax_amount is not None for row in self.breakdown):
            return sum((row.tax_amount for row in self.breakdown), ZERO)
        return None

    def allowance_sum(self) -> Decimal:
        """BT-107 as stated, else the sum of the stated allowances (zero when none)."""
        if self.allowance_total is not None:
            return self.allowance_total
        return sum((item.amount for item in self.allowances), ZERO)

    def charge_sum(self) -> Decimal:
        """BT-108 as stated, else the sum of the stated charges (zero when none)."""
        if self.charge_total is not None:
            return self.charge_total
        return sum((item.amount for item in self.charges), ZERO)


@dataclass(frozen=True)
class Failure:
    """A rule the amounts break: what the document says, what it should say, and why."""

    rule: str  # "BR-CO-13"
    actual: Decimal  # the value stated
    expected: Decimal  # what the rule makes of the other values
    tolerance: Decimal  # the difference accepted (less than it for BR-S-08/09)
    message: str  # one sentence for a clerk, starting with the rule id
    terms: dict[str, str] = field(default_factory=dict)  # what `expected` was made of
    # True when the caller's tolerance for read lines was applied (a sum of printed lines).
    read_lines: bool = False

    @property
    def variance(self) -> Decimal:
        return self.actual - self.expected


def xpath_round(value: Decimal) -> Decimal:
    """`round(value * 10 * 10) div 100` as the CEN schematrons compute it: XPath's round
    takes half up towards plus infinity (2.345 -> 2.35, -2.345 -> -2.34)."""
    return ((value * 100 + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR) / 100).quantize(
        CENT
    )


def money(value: Decimal, currency: str = "") -> str:
    """An amount in a rule's sentence, written as every screen writes it (core.formatting):
    "9,312.00 EUR", "9,312 JPY"; without a currency two decimals, no code."""
    return format_amount(value, currency)


def check(
    amounts: Amounts, *, lines_tolerance: Decimal = ZERO, sums_tolerance: Decimal = ZERO
) -> list[Failure]:
    """Every rule below whose terms the amounts state; the failed ones, in rule order."""
    found = [
        br_co_10(amounts, lines_tolerance),
        br_co_11(amounts, sums_tolerance),
        br_co_12(amounts, sums_tolerance),
        br_co_13(amounts, lines_tolerance, sums_tolerance),
        br_co_14(amounts, sums_tolerance),
        br_co_15(amounts, sums_tolerance),
        br_co_16(amounts, sums_tolerance),
        *vat_category_rules(amounts),
    ]
    return [failure for failure in found if failure is not None]


def _fails(actual: Decimal, expected: Decimal, tolerance: Decimal, strict: bool = False) -> bool:
    gap = abs(actual - expected)
    return gap >= tolerance if strict else gap > tolerance


def _within(tolerance: Decimal, currency: str, strict: bool = False) -> str:
    if not tolerance:
        return ""
    limit = "under" if strict else "up to"
    return f" (a difference {limit} {money(tolerance, currency)} is accepted)"


def _total_rule(rule, actual, expected, tolerance, currency, what, how, terms, read_lines=False):
    """The failure of a rule that compares one stated total with a sum, or None."""
    if not _fails(actual, expected, tolerance):
        return None
    message = (
        f"{rule}: the {what} {money(actual, currency)} should be {how} = "
        f"{money(expected, currency)}{_within(tolerance, currency)}."
    )
    terms = {name: str(value) for name, value in terms.items()}
    return Failure(rule, actual, expected, tolerance, message, terms, read_lines)


# --- document totals (BR-CO-10 to BR-CO-16) ------------------------------------------------


def br_co_10(a: Amounts, lines_tolerance: Decimal = ZERO) -> Failure | None:
    """BR-CO-10: Sum of Invoice line net amount (BT-106) = Σ Invoice line net amount
    (BT-131).

    Only the counted lines: a GROUP or INFORMATION sub-line (CII) or the sub-lines of a UBL
    line are not summed. Checked where BT-106 is stated and there are lines."""
    lines = a.counted_lines
    if a.line_total is None or not lines:
        return None
    expected = xpath_round(a.lines_sum)
    count = f"{len(lines)} counted line{'s' if len(lines) != 1 else ''}"
    return _total_rule(
        "BR-CO-10", a.line_total, expected, lines_tolerance, a.currency,
        "sum of line net amounts", f"the sum of the {count}", {"lines": a.lines_sum},
        read_lines=bool(lines_tolerance),
    )  # fmt: skip


def br_co_11(a: Amounts, tolerance: Decimal = ZERO) -> Failure | None:
    """BR-CO-11: Sum of allowances on document level (BT-107) = Σ Document level allowance
    amount (BT-92).

    Checked where BT-107 is stated."""
    if a.allowance_total is None:
        return None
    stated = sum((item.amount for item in a.allowances), ZERO)
    return _total_rule(
        "BR-CO-11", a.allowance_total, xpath_round(stated), tolerance, a.currency,
        "sum of allowances", f"the sum of the {len(a.allowances)} allowances on the document",
        {"allowances": stated},
    )  # fmt: skip


def br_co_12(a: Amounts, tolerance: Decimal = ZERO) -> Failure | None:
    """BR-CO-12: Sum of charges on document level (BT-108) = Σ Document level charge amount
    (BT-99).

    Checked where BT-108 is stated."""
    if a.charge_total is None:
        return None
    stated = sum((item.amount for item in a.charges), ZERO)
    return _total_rule(
        "BR-CO-12", a.charge_total, xpath_round(stated), tolerance, a.currency,
        "sum of charges", f"the sum of the {len(a.charges)} charges on the document",
        {"charges": stated},
    )  # fmt: skip


def br_co_13(
    a: Amounts, lines_tolerance: Decimal = ZERO, tolerance: Decimal = ZERO
) -> Failure | None:
    """BR-CO-13: Invoice total amount without VAT (BT-109) = Σ Invoice line net amount
    (BT-131) - Sum of allowances on document level (BT-107) + Sum of charges on document
    level (BT-108).

    The schematrons take BT-106 for the sum of the lines; where it is not stated (a printed
    document), the sum of the counted lines is taken, with the tolerance for read lines.
    Checked where the net is stated and BT-106 or lines are."""
    if a.net is None or (a.line_total is None and not a.counted_lines):
        return None
    derived = a.line_total is None
    lines = a.lines_sum if derived else a.line_total
    allowances, charges = a.allowance_sum(), a.charge_sum()
    expected = xpath_round(lines - allowances + charges)
    if allowances or charges:
        how = f"lines {money(lines)} - allowances {money(allowances)} + charges {money(charges)}"
    else:
        how = "the sum of the lines" if derived else "the sum of line net amounts (BT-106)"
    return _total_rule(
        "BR-CO-13", a.net, expected, lines_tolerance if derived else tolerance, a.currency,
        "net", how, {"lines": lines, "allowances": allowances, "charges": charges},
        read_lines=derived and bool(lines_tolerance),
    )  # fmt: skip


def br_co_14(a: Amounts, tolerance: Decimal = ZERO) -> Failure | None:
    """BR-CO-14: Invoice total VAT amount (BT-110) = Σ VAT category tax amount (BT-117).

    Checked against the stated VAT breakdown; without one (a printed document), against
    the VAT at the rates of the counted lines (and of the allowances and charges), per
    rate, where every one of them has a rate. Such a derived breakdown is rounded per line
    on many documents: a cent per line, and a cent more, is accepted for it."""
    if a.tax is None:
        return None
    if a.breakdown:
        if any(row.tax_amount is None for row in a.breakdown):
            return None
        stated = sum((row.tax_amount for row in a.breakdown), ZERO)
        return _total_rule(
            "BR-CO-14", a.tax, xpath_round(stated), tolerance, a.currency, "VAT total",
            "the sum of the VAT breakdown", {"breakdown": stated},
        )  # fmt: skip
    by_rate = _taxable_by_rate(a)
    if not by_rate:
        return None
    expected = xpath_round(sum((base * rate / 100 for rate, base in by_rate.items()), ZERO))
    allowed = max(tolerance, CENT * (len(a.counted_lines) + 1))
    rates = ", ".join(f"{_percent(rate)}%" for rate in sorted(by_rate))
    return _total_rule(
        "BR-CO-14", a.tax, expected, allowed, a.currency, "VAT total",
        f"the VAT at the lines' rates ({rates})",
        {f"taxable at {_percent(rate)}%": base for rate, base in sorted(by_rate.items())},
    )  # fmt: skip


def _taxable_by_rate(a: Amounts) -> dict[Decimal, Decimal]:
    """{rate: taxable amount} from the counted lines, allowances and charges; {} when one
    of them has no rate (the VAT cannot be derived)."""
    items = [(line.rate, line.amount) for line in a.counted_lines]
    items += [(item.rate, item.amount if item.charge else -item.amount)
              for item in a.allowances_charges]  # fmt: skip
    if not items or any(rate is None for rate, _ in items):
        return {}
    by_rate: dict[Decimal, Decimal] = {}
    for rate, amount in items:
        by_rate[rate] = by_rate.get(rate, ZERO) + amount
    return by_rate


def br_co_15(a: Amounts, tolerance: Decimal = ZERO) -> Failure | None:
    """BR-CO-15: Invoice total amount with VAT (BT-112) = Invoice total amount without VAT
    (BT-109) + Invoice total VAT amount (BT-110).

    Checked where the total and the net are stated, and the VAT total is or the VAT
    breakdown gives it (`Amounts.tax_total`)."""
    tax = a.tax_total()
    if a.total is None or a.net is None or tax is None:
        return None
    vat = "VAT" if a.tax is not None else "VAT of the breakdown"
    return _total_rule(
        "BR-CO-15", a.total, xpath_round(a.net + tax), tolerance, a.currency, "total",
        f"net {money(a.net)} + {vat} {money(tax)}", {"net": a.net, "tax": tax},
    )  # fmt: skip


def br_co_16(a: Amounts, tolerance: Decimal = ZERO) -> Failure | None:
    """BR-CO-16: Amount due for payment (BT-115) = Invoice total amount with VAT (BT-112)
    - Paid amount (BT-113) + Rounding amount (BT-114).

    Where the invoice states third party payments (XRechnung extension, BG-DEX-09), the
    extension's BR-DEX-09 replaces it: Amount due for payment (BT-115) = Invoice total
    amount with VAT (BT-112) - Paid amount (BT-113) + Rounding amount (BT-114) + Σ Third
    party payment amount (BT-DEX-002) (KoSIT XRechnung schematron; its test case
    ubl-br-dex-09-prepaidpayment is valid).

    Checked where the amount due and the total are stated; a paid or rounding amount not
    stated is zero."""
    if a.amount_due is None or a.total is None:
        return None
    paid, rounding = a.prepaid or ZERO, a.rounding or ZERO
    if a.third_party is not None:
        return _total_rule(
            "BR-DEX-09", a.amount_due,
            xpath_round(a.total - paid + rounding + a.third_party), tolerance, a.currency,
            "amount due",
            f"total {money(a.total)} - paid {money(paid)} + rounding {money(rounding)} + "
            f"third party payments {money(a.third_party)}",
            {"total": a.total, "paid": paid, "rounding": rounding, "third_party": a.third_party},
        )  # fmt: skip
    return _total_rule(
        "BR-CO-16", a.amount_due, xpath_round(a.total - paid + rounding), tolerance,
        a.currency, "amount due",
        f"total {money(a.total)} - paid {money(paid)} + rounding {money(rounding)}",
        {"total": a.total, "paid": paid, "rounding": rounding},
    )  # fmt: skip


# --- VAT categories (BR-S, BR-Z, BR-E, BR-AE, BR-IC, BR-G, BR-O: the rules -08 and -09) ----


class Category(NamedTuple):
    rule: str  # the prefix of its rules, "BR-S"
    name: str  # as EN 16931 names the category in its rules
    rated: bool  # True: one breakdown row per rate, VAT = taxable x rate; False: VAT is 0


# UNTDID 5305 as EN 16931 uses it (BT-118). K is "BR-IC" in the standard.
CATEGORIES: dict[str, Category] = {
    "S": Category("BR-S", "Standard rated", rated=True),
    "Z": Category("BR-Z", "Zero rated", rated=False),
    "E": Category("BR-E", "Exempt from VAT", rated=False),
    "AE": Category("BR-AE", "Reverse charge", rated=False),
    "K": Category("BR-IC", "Intra-community supply", rated=False),
    "G": Category("BR-G", "Export outside the EU", rated=False),
    "O": Category("BR-O", "Not subject to VAT", rated=False),
}


def vat_category_rules(a: Amounts) -> list[Failure]:
    """The -08 and -09 rules of each category for each row of the stated VAT breakdown,
    after BR-45 and BR-46 (a row states its taxable and its VAT amount)."""
    failures = [failure for row in a.breakdown for failure in breakdown_row_rules(a, row)]
    for row in a.breakdown:
        category = CATEGORIES.get(row.category.strip().upper())
        if category is None:
            continue
        failures += [taxable_amount_rule(a, row, category), vat_amount_rule(a, row, category)]
    return [failure for failure in failures if failure is not None]


def breakdown_row_rules(a: Amounts, row: VatBreakdown) -> list[Failure]:
    """BR-45: Each VAT breakdown (BG-23) shall have a VAT category taxable amount (BT-116).
    BR-46: Each VAT breakdown (BG-23) shall have a VAT category tax amount (BT-117).

    A row without one (or with one that is not a number) would leave the VAT unchecked, so
    it fails here, the missing amount taken as 0; where the VAT can be worked out (a rated
    category with its taxable amount and rate, or any category without a rate), the
    failure says what it should be."""
    category = CATEGORIES.get(row.category.strip().upper())
    name = _row_name(row, category) if category else f"of category {row.category}"
    failures = []
    if row.taxable_amount is None:
        message = f"BR-45: the VAT breakdown row {name} states no taxable amount."
        failures.append(Failure("BR-45", ZERO, ZERO, ZERO, message, {"category": row.category}))
    if row.tax_amount is None:
        expected = ZERO
        known = row.taxable_amount is not None and row.rate is not None
        if category and category.rated and known:
            expected = xpath_round(row.taxable_amount * row.rate / 100)
        how = f"; it should be {money(expected, a.currency)}" if expected or category else ""
        message = f"BR-46: the VAT breakdown row {name} states no VAT amount{how}."
        terms = {"category": row.category, "rate": _rate_text(row.rate)}
        failures.append(Failure("BR-46", ZERO, expected, ZERO, message, terms))
    return failures


def taxable_amount_rule(a: Amounts, row: VatBreakdown, category: Category) -> Failure | None:
    """BR-S-08: For each different value of VAT category rate (BT-119) where the VAT category
    code (BT-118) is "Standard rated", the VAT category taxable amount (BT-116) in a VAT
    breakdown (BG-23) shall equal the sum of Invoice line net amounts (BT-131) plus the sum
    of document level charge amounts (BT-99) minus the sum of document level allowance
    amounts (BT-92) where the VAT category code (BT-151, BT-102, BT-95) is "Standard rated"
    and the VAT rate (BT-152, BT-103, BT-96) equals the VAT category rate (BT-119).

    BR-Z-08 (and likewise BR-E-08 "Exempt from VAT", BR-AE-08 "Reverse charge", BR-IC-08
    "Intra-community supply", BR-G-08 "Export outside the EU", BR-O-08 "Not subject to
    VAT"): In a VAT breakdown (BG-23) where VAT category code (BT-118) is "Zero rated" the
    VAT category taxable amount (BT-116) shall equal the sum of Invoice line net amount
    (BT-131) minus the sum of Document level allowance amounts (BT-92) plus the sum of
    Document level charge amounts (BT-99) where the VAT category codes (BT-151, BT-95,
    BT-102) are "Zero rated".

    Checked where the taxable amount and lines (or allowances and charges) are stated, and
    every counted line, allowance and charge states its category (else the sums per
    category are not known)."""
    items = [*a.counted_lines, *a.allowances_charges]
    if row.taxable_amount is None or not items:
        return None
    if any(not item.category.strip() for item in items):
        return None

    def of_row(item) -> bool:
        if item.category.strip().upper() != row.category.strip().upper():
            return False
        return not category.rated or item.rate == row.rate

    lines = sum((line.amount for line in a.counted_lines if of_row(line)), ZERO)
    allowances = sum((item.amount for item in a.allowances if of_row(item)), ZERO)
    charges = sum((item.amount for item in a.charges if of_row(item)), ZERO)
    unrounded = lines - allowances + charges
    if category.rated:
        expected, tolerance = unrounded, VAT_CATEGORY_TOLERANCE
    else:
        expected, tolerance = xpath_round(unrounded), ZERO
    if not _fails(row.taxable_amount, expected, tolerance, strict=category.rated):
        return None
    rule = f"{category.rule}-08"
    what = _row_name(row, category)
    message = (
        f"{rule}: the taxable amount {what} {money(row.taxable_amount, a.currency)} should be "
        f"lines {money(lines)} - allowances {money(allowances)} + charges {money(charges)} "
        f"of that {'category and rate' if category.rated else 'category'} = "
        f"{money(expected, a.currency)}{_within(tolerance, a.currency, strict=True)}."
    )
    terms = {"lines": str(lines), "allowances": str(allowances), "charges": str(charges),
             "category": row.category, "rate": _rate_text(row.rate)}  # fmt: skip
    return Failure(rule, row.taxable_amount, expected, tolerance, message, terms)


def vat_amount_rule(a: Amounts, row: VatBreakdown, category: Category) -> Failure | None:
    """BR-S-09: The VAT category tax amount (BT-117) in a VAT breakdown (BG-23) where VAT
    category code (BT-118) is "Standard rated" shall equal the VAT category taxable amount
    (BT-116) multiplied by the VAT category rate (BT-119).

    BR-Z-09 (and likewise BR-E-09, BR-AE-09, BR-IC-09, BR-G-09, BR-O-09): The VAT category
    tax amount (BT-117) in a VAT breakdown (BG-23) where VAT category code (BT-118) is
    "Zero rated" shall equal 0 (zero).

    BR-S-09 compares the amounts without their sign, as the schematrons do (a credit note
    may state them negative). Checked where the VAT amount (and, for a rated category, the
    taxable amount and the rate) are stated."""
    if row.tax_amount is None:
        return None
    rule = f"{category.rule}-09"
    what = _row_name(row, category)
    if not category.rated:
        if row.tax_amount == 0:
            return None
        message = (
            f"{rule}: the VAT {what} {money(row.tax_amount, a.currency)} should be "
            f"{money(ZERO, a.currency)}."
        )
        return Failure(rule, row.tax_amount, ZERO, ZERO, message, {"category": row.category})
    if row.taxable_amount is None or row.rate is None:
        return None
    product = xpath_round(abs(row.taxable_amount) * row.rate / 100)
    if not _fails(abs(row.tax_amount), product, VAT_CATEGORY_TOLERANCE, strict=True):
        return None
    expected = -product if row.taxable_amount < 0 else product
    message = (
        f"{rule}: the VAT {what} {money(row.tax_amount, a.currency)} should be "
        f"{money(row.taxable_amount)} x {_percent(row.rate)}% = {money(expected, a.currency)}"
        f"{_within(VAT_CATEGORY_TOLERANCE, a.currency, strict=True)}."
    )
    terms = {"taxable_amount": str(row.taxable_amount), "rate": _rate_text(row.rate),
             "category": row.category}  # fmt: skip
    return Failure(rule, row.tax_amount, expected, VAT_CATEGORY_TOLERANCE, message, terms)


def _row_name(row: VatBreakdown, category: Category) -> str:
    if category.rated and row.rate is not None:
        return f"at {_percent(row.rate)}% ({row.category}, {category.name.lower()})"
    return f"of category {row.category} ({category.name.lower()})"


def _percent(rate: Decimal) -> str:
    return f"{rate.normalize():f}"


def _rate_text(rate: Decimal | None) -> str:
    return "" if rate is None else _percent(rate)
