"""Matching as pure functions: plain facts in, typed findings out. No database here.

An invoice is matched against the purchase order(s) it names, line by line: each invoice
line is paired with a PO line (by item code, else by description and unit price), its
unit price is checked against the PO's, and the quantity billed so far (by earlier
invoices, less credit notes, plus this one) against what was received (three-way) or
ordered (two-way). Freight and surcharges are allowed by rule. An invoice without lines is
checked at header level. Tolerances are data (see `Tolerances.for_item`: the most specific
rule wins), and every finding names the rule and its version.

Only the counted lines take part: a GROUP or INFORMATION sub-line (CII) or a UBL sub-line
is described by the lines that count, and would bill its goods twice. Charges on the document
(not on a line) beyond its allowances are unplanned charges unless the order has a charge
line like them.

The invoice's own sums are checked with the EN 16931 business rules (core.business_rules),
one TAX_MISMATCH per failed rule; its document type (BT-3, UNTDID 1001) decides whether it is
paid at all (DOCUMENT_TYPE) and whether it replaces an earlier invoice (CORRECTED_INVOICE).

Each finding is an exception code from a fixed vocabulary with a sentence a clerk
understands and the numbers behind it: expected, actual, variance, tolerance.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from rapidfuzz import fuzz

from core import business_rules
from core.business_rules import AllowanceCharge, VatBreakdown, money
from core.document_types import Kind, document_type
from core.exception_codes import ExceptionCode
from core.formatting import format_date, format_number
from core.identifiers import normalise_po_number
from core.money import cents
from extraction.types import field_label

REQUIRED_FIELDS = ("invoice_number", "invoice_date", "currency", "total_amount")
ZERO = Decimal(0)
CENT = Decimal("0.01")
# Formats (Invoice.format) read from an e-invoice's XML rather than from a printed page.
E_INVOICE_FORMATS = ("ubl", "cii", "zugferd")
# Lines that bill delivery or a surcharge rather than goods, in the languages we read.
CHARGE_WORDS = re.compile(
    r"\b(freight|shipping|delivery|carriage|postage|handling|surcharge|fuel|packaging|"
    r"fracht|versand|lieferung|porto|zuschlag|verpackung|"
    r"frais de port|port|livraison|transport|emballage|suppl[ée]ment)\b",
    re.IGNORECASE,
)
# How alike two descriptions must be (rapidfuzz token set ratio, 0-100) to pair lines.
DESCRIPTION_MATCH = 80


@dataclass(frozen=True, slots=True)
class ToleranceRule:
    """How far an invoice may differ from its purchase order before a person looks."""

    id: int | None
    version: int
    scope: str  # "global", "vendor", "category" or "vendor+category"
    vendor_id: int | None = None
    category: str = ""
    price_percent: Decimal = Decimal("0.5")  # of the PO's unit price
    price_absolute: Decimal = Decimal("0.01")  # per unit, in the invoice currency
    quantity_percent: Decimal = ZERO  # of the ordered quantity
    total_absolute: Decimal = Decimal("1.00")  # header totals, and unplanned charges

    def price_allowed(self, unit_price: Decimal) -> Decimal:
        return max(self.price_absolute, abs(unit_price) * self.price_percent / 100)

    def quantity_allowed(self, ordered: Decimal) -> Decimal:
        return abs(ordered) * self.quantity_percent / 100

    def total_allowed(self, base: Decimal, percent: Decimal = ZERO) -> Decimal:
        return max(self.total_absolute, cents(abs(base) * percent / 100))

    @property
    def label(self) -> str:
        where = {
            "global": "the global tolerance",
            "vendor": "the vendor's tolerance",
            "category": f"the tolerance for category {self.category}",
            "vendor+category": f"the vendor's tolerance for category {self.category}",
        }[self.scope]
        return f"{where} (v{self.version})"

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "version": self.version,
            "scope": self.scope,
            "vendor_id": self.vendor_id,
            "category": self.category,
            "price_percent": str(self.price_percent),
            "price_absolute": str(self.price_absolute),
            "quantity_percent": str(self.quantity_percent),
            "total_absolute": str(self.total_absolute),
        }


@dataclass(frozen=True)
class Tolerances:
    rules: tuple[ToleranceRule, ...]

    def for_item(self, vendor_id: int | None, category: str = "") -> ToleranceRule:
        """The most specific rule: the vendor's for the category, the category's, the
        vendor's, the global one."""
        best, rank = None, -1
        for rule in self.rules:
            if rule.vendor_id is not None and rule.vendor_id != vendor_id:
                continue
            if rule.category and rule.category != category:
                continue
            this = (2 if rule.category else 0) + (1 if rule.vendor_id is not None else 0)
            if this > rank:
                best, rank = rule, this
        return best or ToleranceRule(None, 0, "global")


@dataclass(frozen=True, slots=True)
class LineFacts:
    """One invoice line."""

    position: int
    description: str
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None
    item_code: str = ""
    tax_rate: Decimal | None = None
    tax_category: str = ""  # BT-151
    counted: bool = True  # False: a sub-line the invoice's sums leave out (GROUP, ...)
    # The clerk's coding (core.coding), which an invoice without a purchase order needs.
    gl_account: str = ""
    cost_center: str = ""


@dataclass(frozen=True, slots=True)
class POLineFacts:
    id: int
    po_number: str
    line_no: int
    description: str
    ordered: Decimal
    unit_price: Decimal
    item_code: str = ""
    category: str = ""
    tax_rate: Decimal | None = None
    received: Decimal = ZERO
    billed: Decimal = ZERO  # by earlier invoices, credit notes subtracted

    @property
    def is_charge(self) -> bool:
        return bool(CHARGE_WORDS.search(self.description))


@dataclass(frozen=True)
class PurchaseOrderFacts:
    number: str
    vendor_id: int
    vendor_name: str
    currency: str
    status: str
    lines: tuple[POLineFacts, ...] = ()
    three_way: bool = True  # False: invoices are checked against ordered, not received
    id: int | None = None  # the database row, for the caller that records the match

    @property
    def ordered_net(self) -> Decimal:
        return sum((cents(line.ordered * line.unit_price) for line in self.lines), ZERO)

    @property
    def received_net(self) -> Decimal:
        return sum((cents(line.received * line.unit_price) for line in self.lines), ZERO)

    @property
    def billed_net(self) -> Decimal:
        return sum((cents(line.billed * line.unit_price) for line in self.lines), ZERO)


@dataclass(frozen=True)
class InvoiceFacts:
    invoice_number: str
    invoice_date: date | None
    currency: str
    net_amount: Decimal | None
    tax_amount: Decimal | None
    total_amount: Decimal | None
    po_number: str
    vendor_id: int | None
    vendor_name: str
    document_type: str = "invoice"
    vendor_vat_id: str = ""
    vendor_iban: str = ""
    # The IBAN the vendor master holds; a different one on the invoice is held.
    vendor_iban_on_file: str = ""
    # Fields extraction was not sure of: {field name: confidence}.
    low_confidence: dict[str, float] = field(default_factory=dict)
    lines: tuple[LineFacts, ...] = ()
    # How the document was read (Invoice.format): "ubl", "pdf+cii", "pdf-text", ...
    format: str = ""
    type_code: str = ""  # BT-3 as stated; "" for a printed document
    # The rest of the EN 16931 totals, where stated (BT-106, 107, 108, 113, 114, 115).
    line_total_amount: Decimal | None = None
    allowance_total_amount: Decimal | None = None
    charge_total_amount: Decimal | None = None
    prepaid_amount: Decimal | None = None
    rounding_amount: Decimal | None = None
    amount_due: Decimal | None = None
    third_party_payment_amount: Decimal | None = None  # XRechnung extension, Σ BT-DEX-002
    allowances_charges: tuple[AllowanceCharge, ...] = ()  # on the document, not on a line
    tax_breakdown: tuple[VatBreakdown, ...] = ()  # BG-23
    preceding_invoice_number: str = ""  # BT-25
    preceding_invoice_date: date | None = None  # BT-26
    # Invoices of this vendor with the preceding invoice's number (a corrected invoice).
    preceding_invoices: tuple["EarlierInvoice", ...] = ()
    # Problems extraction found in reading the document: {"code", "message", "details"}.
    reading_problems: tuple[dict, ...] = ()

    @property
    def is_credit_note(self) -> bool:
        return self.document_type == "credit_note"

    @property
    def is_e_invoice(self) -> bool:
        return any(name in self.format for name in E_INVOICE_FORMATS)

    @property
    def counted_lines(self) -> list[LineFacts]:
        return [line for line in self.lines if line.counted]

    def amounts(self) -> business_rules.Amounts:
        """The amounts the business rules check: the counted lines with an amount (a read
        line without one adds nothing), the sub-lines marked not counted."""
        return business_rules.Amounts(
            currency=self.currency,
            lines=tuple(
                business_rules.Line(line.amount, line.counted, line.tax_category, line.tax_rate)
                for line in self.lines
                if line.amount is not None
            ),
            allowances_charges=self.allowances_charges,
            breakdown=self.tax_breakdown,
            line_total=self.line_total_amount,
            allowance_total=self.allowance_total_amount,
            charge_total=self.charge_total_amount,
            net=self.net_amount,
            tax=self.tax_amount,
            total=self.total_amount,
            prepaid=self.prepaid_amount,
            rounding=self.rounding_amount,
            amount_due=self.amount_due,
            third_party=self.third_party_payment_amount,
        )

    @property
    def po_numbers(self) -> list[str]:
        return po_numbers(self.po_number)


@dataclass(frozen=True)
class EarlierInvoice:
    """An invoice already in the system that a corrected invoice names as the one it
    corrects (BT-25)."""

    invoice_id: int
    invoice_number: str
    invoice_date: date | None
    status: str


@dataclass(frozen=True)
class Finding:
    code: str  # an ExceptionCode (core.exception_codes); another raises ValueError
    message: str
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        ExceptionCode(self.code)  # the vocabulary is fixed: a typo fails here, not later

    def as_json(self):
        return {"code": self.code, "message": self.message, "details": self.details}


@dataclass(frozen=True)
class LineMatch:
    position: int  # the invoice line
    po_number: str
    po_line_id: int
    line_no: int
    how: str  # "item code", "description", "charge"

    def as_json(self):
        return {
            "position": self.position,
            "po_number": self.po_number,
            "po_line_id": self.po_line_id,
            "line_no": self.line_no,
            "how": self.how,
        }


@dataclass
class MatchResult:
    findings: list[Finding]
    purchase_orders: list[str] = field(default_factory=list)  # [] for a non-PO invoice
    line_matches: list[LineMatch] = field(default_factory=list)
    tolerances: list[ToleranceRule] = field(default_factory=list)  # the rules applied

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    @property
    def purchase_order(self) -> str:
        return self.purchase_orders[0] if self.purchase_orders else ""


def po_numbers(raw: str) -> list[str]:
    """The purchase order numbers in a field: '4500001, 4500002' or '4500001 / 4500002'
    or '4500001 + 4500002' name two; each normalised, in order, once."""
    found: list[str] = []
    for part in re.split(r"[,;/+&]|\s+(?:and|und|et)\s+", raw or ""):
        number = normalise_po_number(part)
        if number and number not in found:
            found.append(number)
    return found


def normalise_invoice_number(raw: str) -> str:
    """'INV-2026/001' and 'inv 2026 001' are the same invoice number."""
    return re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()


def quantity(value: Decimal) -> str:
    """A quantity in a finding's sentence, as screens write it (core.formatting): "12",
    "1,234.5"."""
    return format_number(value)


def match(
    invoice: InvoiceFacts,
    pos: list[PurchaseOrderFacts],
    *,
    duplicates: list[dict],
    tolerances: Tolerances,
    found_by: str = "number",
) -> MatchResult:
    """Match one invoice against the purchase orders it names (or that were found for it);
    `pos` is empty for a non-PO invoice or when none of its numbers exist. `duplicates`
    are the DUPLICATE findings (dicts: code, message, details) matching.duplicates made
    for the earlier invoices this one may copy: found in the database, worded there."""
    findings = [*_header_checks(invoice, duplicates, tolerances)]
    if not invoice.po_numbers and not pos:
        # A non-PO invoice: booked on the GL accounts and cost centers a clerk codes. (A
        # credit note without an order goes to a person as CREDIT_NOTE already.)
        if invoice.document_type != "credit_note":
            findings += _coding_checks(invoice)
        return MatchResult(findings)
    found = {normalise_po_number(po.number) for po in pos}
    for number in invoice.po_numbers:
        if number not in found and found_by == "number":
            findings.append(
                Finding(
                    "PO_NOT_FOUND",
                    f"No purchase order {number} exists in the ERP data.",
                    {"po_number": number},
                )
            )
    usable = []
    for po in pos:
        problems = list(_po_checks(invoice, po))
        findings += problems
        if not any(p.code in ("PO_NOT_FOUND", "CURRENCY_MISMATCH") for p in problems):
            usable.append(po)
    result = MatchResult(findings, purchase_orders=[po.number for po in pos])
    if not usable:
        return result
    if invoice.counted_lines:
        _match_lines(invoice, usable, tolerances, result)
    else:
        _match_header(invoice, usable, tolerances, result)
    return result


def _coding_checks(invoice: InvoiceFacts):
    """NOT_CODED for an invoice without a purchase order whose counted lines are not all
    coded (a GL account and a cost center each; core.coding), or that has no counted line
    to code: with no order to take the coding from, the ERP cannot book it otherwise."""
    counted = invoice.counted_lines
    uncoded = [line.position for line in counted if not (line.gl_account and line.cost_center)]
    if not counted:
        yield Finding(
            "NOT_CODED",
            "No purchase order and no lines to code: add a line with the net amount and "
            "code it (GL account, cost center).",
            {"positions": []},
        )
    elif uncoded:
        yield Finding(
            "NOT_CODED",
            f"No purchase order: {len(uncoded)} of {len(counted)} line(s) need a GL account "
            f"and a cost center (line {', '.join(map(str, uncoded))}).",
            {"positions": uncoded},
        )


def po_by_amount(
    invoice: InvoiceFacts, open_pos: list[PurchaseOrderFacts], tolerances: Tolerances
) -> PurchaseOrderFacts | None:
    """For an invoice that names no PO: the one open PO of its vendor whose open value
    (ordered less billed) is the invoice's net within the total tolerance; None when no
    PO or more than one fits (a person then decides)."""
    if invoice.net_amount is None or invoice.vendor_id is None:
        return None
    rule = tolerances.for_item(invoice.vendor_id)
    fits = [
        po
        for po in open_pos
        if po.vendor_id == invoice.vendor_id
        and po.currency == invoice.currency
        and po.status == "open"
        and abs((po.ordered_net - po.billed_net) - invoice.net_amount) <= rule.total_absolute
    ]
    return fits[0] if len(fits) == 1 else None


# --- header -------------------------------------------------------------------------


def _header_checks(invoice: InvoiceFacts, duplicates: list[dict], tolerances):
    cur = invoice.currency
    for name in REQUIRED_FIELDS:
        if getattr(invoice, name) in (None, ""):
            yield Finding(
                "MISSING_FIELD",
                f"The {field_label(name)} could not be read from the document.",
                {"field": name},
            )
    if invoice.low_confidence:
        names = ", ".join(
            f"{field_label(name)} ({confidence:.0%})"
            for name, confidence in sorted(invoice.low_confidence.items())
        )
        yield Finding(
            "LOW_CONFIDENCE",
            f"Extraction is not sure of: {names}. Check these against the document.",
            {"fields": dict(sorted(invoice.low_confidence.items()))},
        )
    if invoice.is_credit_note and not invoice.po_numbers:
        credit = abs(invoice.total_amount or ZERO)
        yield Finding(
            "CREDIT_NOTE",
            f"This is a credit note for {money(credit, cur)} that names no purchase order: "
            "a clerk books it against the original invoice.",
            {"total_amount": str(invoice.total_amount)},
        )
    yield from _prepaid(invoice)
    if invoice.vendor_id is None:
        yield Finding(
            "VENDOR_UNKNOWN",
            f"The vendor '{invoice.vendor_name or '(no name)'}' is not in the vendor master; "
            "check the vendor or add it before this invoice can be paid.",
            # Proposed, never created here: an admin adds it from these details.
            {
                "proposed_vendor": {
                    "name": invoice.vendor_name,
                    "vat_id": invoice.vendor_vat_id,
                    "iban": invoice.vendor_iban,
                }
            },
        )
    yield from _document_type(invoice)
    yield from _reading_problems(invoice)
    yield from _bank_details(invoice)
    yield from _duplicates(duplicates)
    yield from _arithmetic(invoice, tolerances.for_item(invoice.vendor_id))


def _document_type(invoice: InvoiceFacts):
    """A proforma or an unknown type code is not paid; a corrected invoice names the one it
    replaces, which must not be paid as well."""
    stated = document_type(invoice.type_code)
    numbers = {"type_code": stated.code, "name": stated.name, "kind": str(stated.kind)}
    if stated.kind == Kind.UNKNOWN:
        yield Finding(
            "DOCUMENT_TYPE",
            f"The document's type code {stated.code} is not one of UNTDID 1001's invoice or "
            "credit note types: it is not paid as an invoice until a person checks what it is.",
            numbers,
        )
    elif stated.kind == Kind.NOT_PAYABLE:
        yield Finding(
            "DOCUMENT_TYPE",
            f"This is a {stated.name.lower()} (type code {stated.code}): it claims no payment "
            "and is never paid. Reject it, or ask the vendor for the invoice.",
            numbers,
        )
    elif stated.kind == Kind.CORRECTED:
        yield _corrected_invoice(invoice, numbers)


def _corrected_invoice(invoice: InvoiceFacts, numbers: dict) -> Finding:
    number, day = invoice.preceding_invoice_number, invoice.preceding_invoice_date
    details = {
        **numbers,
        "preceding_invoice_number": number,
        "preceding_invoice_date": day.isoformat() if day else None,
        "invoice_ids": [earlier.invoice_id for earlier in invoice.preceding_invoices],
        "statuses": {str(e.invoice_id): e.status for e in invoice.preceding_invoices},
    }
    if not number:
        return Finding(
            "CORRECTED_INVOICE",
            "This is a corrected invoice (type code 384) but it does not say which invoice it "
            "corrects (BT-25): find the original before paying, so it is not paid twice.",
            details,
        )
    named = f"invoice {number}" + (f" of {format_date(day)}" if day else "")
    if not invoice.preceding_invoices:
        return Finding(
            "CORRECTED_INVOICE",
            f"This corrected invoice (type code 384) replaces {named}, which is not in the "
            "system: check that the original was not paid some other way.",
            details,
        )
    paid = [e for e in invoice.preceding_invoices if e.status in ("posted", "paid")]
    found = ", ".join(f"#{e.invoice_id} ({e.status.replace('_', ' ')})"
                      for e in invoice.preceding_invoices)  # fmt: skip
    advice = (
        "it was already posted to the ERP: cancel or credit it there before this one is paid."
        if paid
        else "reject the original (or have it credited) so that only this one is paid."
    )
    details["already_posted"] = bool(paid)
    return Finding(
        "CORRECTED_INVOICE",
        f"This corrected invoice (type code 384) replaces {named}, invoice {found} here; {advice}",
        details,
    )


def _reading_problems(invoice: InvoiceFacts):
    """What extraction found wrong with how the document could be read (an attached
    e-invoice that could not be used, say), raised with its own code and sentence."""
    for problem in invoice.reading_problems:
        yield Finding(problem["code"], problem["message"], dict(problem.get("details") or {}))


def _bank_details(invoice: InvoiceFacts):
    printed = re.sub(r"\s", "", invoice.vendor_iban).upper()
    on_file = re.sub(r"\s", "", invoice.vendor_iban_on_file).upper()
    if printed and on_file and printed != on_file:
        yield Finding(
            "BANK_DETAILS_CHANGED",
            f"The invoice asks for payment to IBAN {printed}, but the vendor master holds "
            f"{on_file}. Confirm the change with the vendor by phone before paying; two "
            "approvers must approve this invoice.",
            {"expected": on_file, "actual": printed, "approvers_required": 2},
        )


def _prepaid(invoice: InvoiceFacts):
    """PREPAID: the invoice states an amount paid before (BT-113, a prepayment or a
    deposit), so the ERP is to pay the amount due (BT-115), not the total; a person checks
    that the prepayment is booked against it before it is paid (the ERP books the whole
    invoice, and pays what is open of it)."""
    paid = invoice.prepaid_amount
    if not paid:
        return
    cur = invoice.currency
    due = invoice.amount_due
    if due is None and invoice.total_amount is not None:
        due = invoice.total_amount - paid + (invoice.rounding_amount or ZERO)
    yield Finding(
        "PREPAID",
        f"The invoice states {money(paid, cur)} already paid (BT-113): the amount due is "
        f"{money(due or ZERO, cur)}, not the total {money(invoice.total_amount or ZERO, cur)}. "
        "Check that the prepayment is booked in the ERP against this invoice, so only the "
        "amount due is paid.",
        {"prepaid_amount": str(paid), "amount_due": str(due), "total": str(invoice.total_amount)},
    )


def _duplicates(duplicates: list[dict]):
    for finding in duplicates:
        yield Finding(finding["code"], finding["message"], finding.get("details", {}))


def _arithmetic(invoice: InvoiceFacts, rule: ToleranceRule):
    """One TAX_MISMATCH per EN 16931 rule the invoice's own sums break. An e-invoice is
    held to the rounding the rules allow; amounts read from a printed page get the
    tolerance for header totals on a sum of read lines (each can miss a cent) and a cent on
    the other sums."""
    read = not invoice.is_e_invoice
    failures = business_rules.check(
        invoice.amounts(),
        lines_tolerance=rule.total_absolute if read else ZERO,
        sums_tolerance=CENT if read else ZERO,
    )
    for failure in failures:
        message, details = (
            failure.message,
            {
                "rule": failure.rule,
                "expected": str(failure.expected),
                "actual": str(failure.actual),
                "variance": str(failure.variance),
                "tolerance": str(failure.tolerance),
                "terms": failure.terms,
            },
        )
        if failure.read_lines:
            message = f"{message[:-1]}; {rule.label} applies to lines read from a document."
            details["tolerance_rule"] = rule.as_json()
        yield Finding("TAX_MISMATCH", message, details)


def _po_checks(invoice: InvoiceFacts, po: PurchaseOrderFacts):
    if invoice.vendor_id is not None and po.vendor_id != invoice.vendor_id:
        yield Finding(
            "PO_NOT_FOUND",
            f"Purchase order {po.number} belongs to {po.vendor_name}, not to this vendor.",
            {"po_number": po.number, "po_vendor": po.vendor_name},
        )
        return
    if po.status != "open":
        yield Finding(
            "PO_CLOSED",
            f"Purchase order {po.number} is {po.status}.",
            {"po_number": po.number, "po_status": po.status},
        )
    if invoice.currency and po.currency != invoice.currency:
        yield Finding(
            "CURRENCY_MISMATCH",
            f"The invoice is in {invoice.currency} but purchase order {po.number} is in "
            f"{po.currency}.",
            {"expected": po.currency, "actual": invoice.currency, "po_number": po.number},
        )


# --- lines --------------------------------------------------------------------------


def _match_lines(invoice, pos, tolerances, result: MatchResult) -> None:
    cur = invoice.currency
    po_lines = [line for po in pos for line in po.lines]
    three_way = {po.number: po.three_way for po in pos}
    sign = -1 if invoice.is_credit_note else 1
    billed_now: dict[int, Decimal] = {}
    by_id = {line.id: line for line in po_lines}
    rules = {}
    unplanned: list[tuple[str, Decimal]] = []  # (what, amount) of charges not ordered
    for line in invoice.counted_lines:
        paired, how = _pair(line, po_lines)
        if paired is None:
            if CHARGE_WORDS.search(line.description):
                what = f"line {line.position} ({line.description})"
                unplanned.append((what, line.amount or ZERO))
            else:
                result.findings.append(_not_ordered(line, cur, pos))
            continue
        result.line_matches.append(
            LineMatch(line.position, paired.po_number, paired.id, paired.line_no, how)
        )
        rule = tolerances.for_item(invoice.vendor_id, paired.category)
        rules[rule] = None
        if line.unit_price is not None:
            finding = _price(line, paired, rule, cur)
            if finding:
                result.findings.append(finding)
        if line.quantity is not None:
            billed_now[paired.id] = billed_now.get(paired.id, ZERO) + sign * abs(line.quantity)
    for line_id, billed in billed_now.items():
        po_line = by_id[line_id]
        rule = tolerances.for_item(invoice.vendor_id, po_line.category)
        finding = _quantity(po_line, billed, rule, three_way[po_line.po_number], invoice)
        if finding:
            result.findings.append(finding)
    unplanned += _document_charges(invoice, po_lines)
    if unplanned:
        rule = tolerances.for_item(invoice.vendor_id)
        rules[rule] = None
        result.findings += _unplanned_charges(unplanned, rule, cur)
    result.tolerances = list(rules) or [tolerances.for_item(invoice.vendor_id)]


def _pair(line: LineFacts, po_lines: list[POLineFacts]) -> tuple[POLineFacts | None, str]:
    """The PO line an invoice line bills: the same item code (the closest price among
    several), else the most alike description, ties to the closest unit price."""
    code = normalise_invoice_number(line.item_code)
    if code:
        same = [p for p in po_lines if normalise_invoice_number(p.item_code) == code]
        if same:
            return min(same, key=lambda p: _price_gap(line, p)), "item code"
    if not line.description:
        return None, ""
    charge = bool(CHARGE_WORDS.search(line.description))
    best, best_key = None, None
    for candidate in po_lines:
        if candidate.is_charge != charge:
            continue
        score = fuzz.token_set_ratio(line.description.lower(), candidate.description.lower())
        if score < DESCRIPTION_MATCH:
            continue
        key = (score, -_price_gap(line, candidate))
        if best_key is None or key > best_key:
            best, best_key = candidate, key
    return best, ("charge" if charge else "description") if best else ""


def _price_gap(line: LineFacts, po_line: POLineFacts) -> Decimal:
    if line.unit_price is None:
        return Decimal("Infinity")
    return abs(line.unit_price - po_line.unit_price)


def _price(line: LineFacts, po_line: POLineFacts, rule: ToleranceRule, cur: str):
    variance = line.unit_price - po_line.unit_price
    allowed = rule.price_allowed(po_line.unit_price)
    if abs(variance) <= allowed:
        return None
    percent = (variance / po_line.unit_price * 100) if po_line.unit_price else ZERO
    direction = "above" if variance > 0 else "below"
    return Finding(
        "PRICE_VARIANCE",
        f"Line {line.position} ({line.description or line.item_code}) is billed at "
        f"{money(line.unit_price, cur)} a unit, {money(abs(variance), cur)} "
        f"({abs(percent):.2f}%) {direction} the {money(po_line.unit_price, cur)} of purchase "
        f"order {po_line.po_number} line {po_line.line_no}; {rule.label} allows "
        f"{money(allowed, cur)}.",
        {
            "position": line.position,
            "po_number": po_line.po_number,
            "po_line": po_line.line_no,
            "expected": str(po_line.unit_price),
            "actual": str(line.unit_price),
            "variance": str(variance),
            "variance_percent": f"{percent:.2f}",
            "tolerance": str(allowed),
            "tolerance_rule": rule.as_json(),
        },
    )


def _quantity(po_line: POLineFacts, now: Decimal, rule, three_way: bool, invoice):
    """The quantity billed by this invoice (negative for a credit note) against what was
    ordered and, three-way, received, counting what earlier invoices billed."""
    where = f"purchase order {po_line.po_number} line {po_line.line_no} ({po_line.description})"
    total = po_line.billed + now
    allowed = rule.quantity_allowed(po_line.ordered)
    numbers = {
        "po_number": po_line.po_number,
        "po_line": po_line.line_no,
        "ordered": quantity(po_line.ordered),
        "received": quantity(po_line.received),
        "billed_before": quantity(po_line.billed),
        "this_invoice": quantity(now),
        "tolerance": quantity(allowed),
        "tolerance_rule": rule.as_json(),
    }
    if now < 0:
        if total < -allowed:
            return Finding(
                "OVER_BILLED",
                f"This credit note credits {quantity(-now)} of {where}, but only "
                f"{quantity(po_line.billed)} were billed.",
                {**numbers, "expected": quantity(po_line.billed), "actual": quantity(-now)},
            )
        return None
    if total > po_line.ordered + allowed:
        over = total - po_line.ordered
        if po_line.billed > 0:
            return Finding(
                "OVER_BILLED",
                f"{quantity(po_line.ordered)} of {where} were ordered and "
                f"{quantity(po_line.billed)} already billed by earlier invoices; this invoice "
                f"bills {quantity(now)} more, {quantity(over)} beyond the order "
                f"(tolerance {quantity(allowed)}, {rule.label}).",
                {**numbers, "expected": quantity(po_line.ordered - po_line.billed),
                 "actual": quantity(now), "variance": quantity(over)},
            )  # fmt: skip
        return Finding(
            "QTY_VARIANCE",
            f"The invoice bills {quantity(now)} of {where}, but {quantity(po_line.ordered)} "
            f"were ordered ({quantity(over)} more; tolerance {quantity(allowed)}, "
            f"{rule.label}).",
            {**numbers, "expected": quantity(po_line.ordered), "actual": quantity(now),
             "variance": quantity(over)},
        )  # fmt: skip
    if three_way and total > po_line.received + allowed:
        open_received = po_line.received - po_line.billed
        return Finding(
            "NOT_RECEIVED",
            f"{quantity(po_line.received)} of {where} have been received and "
            f"{quantity(po_line.billed)} already billed, so {quantity(max(open_received, ZERO))} "
            f"can be billed; this invoice bills {quantity(now)}. It waits for the goods "
            "receipt and is matched again when one arrives.",
            {**numbers, "expected": quantity(max(open_received, ZERO)), "actual": quantity(now),
             "variance": quantity(total - po_line.received)},
        )  # fmt: skip
    return None


def _not_ordered(line: LineFacts, cur: str, pos) -> Finding:
    orders = ", ".join(po.number for po in pos)
    amount = f" for {money(line.amount, cur)}" if line.amount is not None else ""
    return Finding(
        "OVER_BILLED",
        f"Line {line.position} ({line.description or line.item_code}){amount} is on no line "
        f"of purchase order {orders}: it bills something that was not ordered.",
        {
            "position": line.position,
            "actual": str(line.amount) if line.amount is not None else None,
            "expected": "0",
            "rule": "every line must match a purchase order line",
        },
    )


def _document_charges(invoice: InvoiceFacts, po_lines: list[POLineFacts]):
    """The charges on the document (BG-21) that no charge line of the order plans, less
    the allowances on the document (BG-20): what the document adds to its lines beyond the
    order, as one (what, amount), or nothing when its allowances outweigh it."""
    planned = [p for p in po_lines if p.is_charge]
    charges = [
        item
        for item in invoice.allowances_charges
        if item.charge
        and not any(
            fuzz.token_set_ratio(item.reason.lower(), p.description.lower()) >= DESCRIPTION_MATCH
            for p in planned
        )
    ]
    if not charges:
        return []
    allowances = sum((item.amount for item in invoice.allowances_charges if not item.charge), ZERO)
    extra = sum((item.amount for item in charges), ZERO) - allowances
    if extra <= 0:
        return []
    names = ", ".join(item.reason or "a charge" for item in charges)
    less = f" less allowances {money(allowances, invoice.currency)}" if allowances else ""
    return [(f"charges on the document ({names}){less}", extra)]


def _unplanned_charges(charges: list[tuple[str, Decimal]], rule: ToleranceRule, cur: str):
    total = sum((amount for _, amount in charges), ZERO)
    if total <= rule.total_absolute:
        return []  # small freight or surcharges not on the order are accepted by rule
    names = ", ".join(what for what, _ in charges)
    return [
        Finding(
            "OVER_BILLED",
            f"Freight or surcharges not on the purchase order ({names}) come to "
            f"{money(total, cur)}; {rule.label} accepts up to {money(rule.total_absolute, cur)} "
            "of charges that were not ordered.",
            {
                "expected": str(rule.total_absolute),
                "actual": str(total),
                "variance": str(total - rule.total_absolute),
                "tolerance": str(rule.total_absolute),
                "tolerance_rule": rule.as_json(),
                "rule": "unplanned charges",
            },
        )
    ]


# --- header only (an invoice without lines) --------------------------------------------


def _match_header(invoice, pos, tolerances, result: MatchResult) -> None:
    cur = invoice.currency
    rule = tolerances.for_item(invoice.vendor_id)
    result.tolerances = [rule]
    if invoice.net_amount is None:
        return
    names = " and ".join(po.number for po in pos)
    ordered = sum((po.ordered_net for po in pos), ZERO)
    billed = sum((po.billed_net for po in pos), ZERO)
    received = sum((po.received_net for po in pos), ZERO)
    net = -abs(invoice.net_amount) if invoice.is_credit_note else invoice.net_amount
    open_value = ordered - billed
    allowed = rule.total_allowed(open_value, rule.price_percent)
    variance = net - open_value
    if net > 0 and variance > allowed:
        code = "OVER_BILLED" if billed > 0 else "PRICE_VARIANCE"
        already = f", of which {money(billed, cur)} was already billed" if billed else ""
        result.findings.append(
            Finding(
                code,
                f"Invoice net {money(net, cur)} is {money(variance, cur)} above what is open "
                f"on purchase order {names}: {money(ordered, cur)} ordered{already}; "
                f"{rule.label} allows {money(allowed, cur)}.",
                {
                    "expected": str(open_value),
                    "actual": str(net),
                    "variance": str(variance),
                    "tolerance": str(allowed),
                    "tolerance_rule": rule.as_json(),
                },
            )
        )
    elif net > 0 and -variance > allowed and billed == 0:
        result.findings.append(
            Finding(
                "PRICE_VARIANCE",
                f"Invoice net {money(net, cur)} is {money(-variance, cur)} below purchase "
                f"order {names}'s net {money(ordered, cur)}; {rule.label} allows "
                f"{money(allowed, cur)}.",
                {
                    "expected": str(ordered),
                    "actual": str(net),
                    "variance": str(variance),
                    "tolerance": str(allowed),
                    "tolerance_rule": rule.as_json(),
                },
            )
        )
    if net > 0 and all(po.three_way for po in pos):
        # Bill only what arrived: the part of the invoice the order covers must be received.
        shortfall = min(net, open_value) - (received - billed)
        allowed_short = rule.total_allowed(received, rule.price_percent)
        if shortfall > allowed_short:
            result.findings.append(
                Finding(
                    "NOT_RECEIVED",
                    f"Goods worth {money(received, cur)} have been received against purchase "
                    f"order {names} and {money(billed, cur)} already billed, but the invoice "
                    f"bills {money(net, cur)}. It waits for the goods receipt.",
                    {
                        "expected": str(received - billed),
                        "actual": str(net),
                        "variance": str(shortfall),
                        "tolerance": str(allowed_short),
                        "tolerance_rule": rule.as_json(),
                    },
                )
            )
