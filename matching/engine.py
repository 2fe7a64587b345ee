"""Matching as pure functions: plain facts in, typed findings out. No database here.

This first version matches at header level: it finds the purchase order by number and
compares the invoice's totals with what was ordered and what was received. Each finding is
an exception code from a fixed vocabulary with a sentence a clerk understands and the
numbers behind it.
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from core.money import cents

REQUIRED_FIELDS = ("invoice_number", "invoice_date", "currency", "total_amount")


@dataclass(frozen=True)
class Tolerance:
    absolute: Decimal  # in the invoice currency
    percent: Decimal

    def allowed(self, base: Decimal) -> Decimal:
        """The larger of the absolute and the percentage tolerance."""
        return max(self.absolute, cents(abs(base) * self.percent / 100))

    def as_json(self):
        return {"absolute": str(self.absolute), "percent": str(self.percent)}


@dataclass(frozen=True)
class InvoiceFacts:
    invoice_number: str
    invoice_date: object
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
    # Fields extraction was not sure of: {field name: confidence}.
    low_confidence: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PurchaseOrderFacts:
    number: str
    vendor_id: int
    vendor_name: str
    currency: str
    status: str
    ordered_net: Decimal
    received_net: Decimal


@dataclass(frozen=True)
class Finding:
    code: str
    message: str
    details: dict = field(default_factory=dict)

    def as_json(self):
        return {"code": self.code, "message": self.message, "details": self.details}


@dataclass
class MatchResult:
    findings: list[Finding]
    purchase_order: str = ""  # the PO number matched, "" for a non-PO invoice

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self.findings]


def normalise_po_number(raw: str) -> str:
    """'PO 4500-0123', 'po#45000123' and '45000123' are the same number.

    Prefixes and punctuation are dropped; a number needs at least one digit to count.
    """
    text = re.sub(
        r"^\s*(p\.?\s*o\.?|purchase\s*order|order|bestellung|bestellnummer)\s*"
        r"(no\.?|nr\.?|number|#|:)?\s*",
        "",
        raw or "",
        flags=re.I,
    )
    text = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    return text if re.search(r"\d", text) else ""


def money(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def match(
    invoice: InvoiceFacts,
    po: PurchaseOrderFacts | None,
    *,
    duplicate_of: list[int],
    tolerance: Tolerance,
) -> MatchResult:
    findings = [*_missing_fields(invoice)]
    if invoice.low_confidence:
        names = ", ".join(
            f"{name.replace('_', ' ')} ({confidence:.0%})"
            for name, confidence in sorted(invoice.low_confidence.items())
        )
        findings.append(
            Finding(
                "LOW_CONFIDENCE",
                f"Extraction is not sure of: {names}. Check these against the document.",
                {"fields": dict(sorted(invoice.low_confidence.items()))},
            )
        )
    if invoice.document_type == "credit_note":
        credit = abs(invoice.total_amount or Decimal(0))
        findings.append(
            Finding(
                "CREDIT_NOTE",
                f"This is a credit note for {money(credit, invoice.currency)}: it reduces what "
                "is owed to the vendor; a clerk books it against the original invoice.",
                {"total_amount": str(invoice.total_amount)},
            )
        )
    if invoice.vendor_id is None:
        findings.append(
            Finding(
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
        )
    if duplicate_of:
        findings.append(
            Finding(
                "DUPLICATE",
                f"Invoice number {invoice.invoice_number} from this vendor was already received "
                f"(invoice #{', #'.join(map(str, duplicate_of))}).",
                {"invoice_ids": duplicate_of, "invoice_number": invoice.invoice_number},
            )
        )
    findings.extend(_arithmetic(invoice, tolerance))
    if not invoice.po_number:
        return MatchResult(findings)  # a non-PO invoice: routing sends it for approval
    if po is None:
        findings.append(
            Finding(
                "PO_NOT_FOUND",
                f"No purchase order {invoice.po_number} exists in the ERP data.",
                {"po_number": invoice.po_number},
            )
        )
        return MatchResult(findings)
    findings.extend(_against_po(invoice, po, tolerance))
    return MatchResult(findings, purchase_order=po.number)


def _missing_fields(invoice: InvoiceFacts):
    for name in REQUIRED_FIELDS:
        if getattr(invoice, name) in (None, ""):
            yield Finding(
                "MISSING_FIELD",
                f"The {name.replace('_', ' ')} could not be read from the document.",
                {"field": name},
            )


def _arithmetic(invoice: InvoiceFacts, tolerance: Tolerance):
    if None in (invoice.net_amount, invoice.tax_amount, invoice.total_amount):
        return
    expected = invoice.net_amount + invoice.tax_amount
    variance = invoice.total_amount - expected
    if abs(variance) > Decimal("0.01"):
        yield Finding(
            "TAX_MISMATCH",
            f"Net {money(invoice.net_amount, invoice.currency)} plus tax "
            f"{money(invoice.tax_amount, invoice.currency)} is "
            f"{money(expected, invoice.currency)}, but the invoice total is "
            f"{money(invoice.total_amount, invoice.currency)}.",
            {
                "expected": str(expected),
                "actual": str(invoice.total_amount),
                "variance": str(variance),
                "tolerance": "0.01",
            },
        )


def _against_po(invoice: InvoiceFacts, po: PurchaseOrderFacts, tolerance: Tolerance):
    cur = invoice.currency
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
    if cur and po.currency != cur:
        yield Finding(
            "CURRENCY_MISMATCH",
            f"The invoice is in {cur} but purchase order {po.number} is in {po.currency}.",
            {"expected": po.currency, "actual": cur},
        )
        return
    if invoice.net_amount is None:
        return
    allowed = tolerance.allowed(po.ordered_net)
    variance = invoice.net_amount - po.ordered_net
    if abs(variance) > allowed:
        direction = "above" if variance > 0 else "below"
        percent = (variance / po.ordered_net * 100) if po.ordered_net else Decimal(0)
        yield Finding(
            "PRICE_VARIANCE",
            f"Invoice net {money(invoice.net_amount, cur)} is {money(abs(variance), cur)} "
            f"({abs(percent):.2f}%) {direction} purchase order {po.number}'s net "
            f"{money(po.ordered_net, cur)}; the tolerance is {money(allowed, cur)}.",
            {
                "expected": str(po.ordered_net),
                "actual": str(invoice.net_amount),
                "variance": str(variance),
                "variance_percent": f"{percent:.2f}",
                "tolerance": str(allowed),
                "tolerance_rule": tolerance.as_json(),
            },
        )
    # Bill only what arrived: the part of the invoice the PO covers must have been received.
    # (A price above the PO is PRICE_VARIANCE's business, not a missing delivery.)
    shortfall = min(invoice.net_amount, po.ordered_net) - po.received_net
    allowed = tolerance.allowed(po.received_net)
    if shortfall > allowed:
        yield Finding(
            "NOT_RECEIVED",
            f"Goods worth {money(po.received_net, cur)} have been received against purchase "
            f"order {po.number}, but the invoice bills {money(invoice.net_amount, cur)}.",
            {
                "expected": str(po.received_net),
                "actual": str(invoice.net_amount),
                "variance": str(shortfall),
                "tolerance": str(allowed),
            },
        )
