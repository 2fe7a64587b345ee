"""What every reader produces: fields with confidence and provenance, and line items.

These dataclasses are the boundary between extraction and the rest of the product; the
`extract` command's JSON is their `as_json()`.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from extraction.layout import Word

HEADER_FIELDS = (
    "vendor_name",
    "vendor_vat_id",
    "vendor_iban",
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "net_amount",
    "tax_amount",
    "total_amount",
    "po_number",
)
# The header fields in the words people read (as core.models.Invoice's verbose names), for
# the sentences that name a field (a missing or unsure field, a correction).
FIELD_LABELS = {
    "vendor_name": "vendor name",
    "vendor_vat_id": "vendor VAT id",
    "vendor_iban": "vendor IBAN",
    "invoice_number": "invoice number",
    "invoice_date": "invoice date",
    "due_date": "due date",
    "currency": "currency",
    "net_amount": "net amount",
    "tax_amount": "tax amount",
    "total_amount": "total amount",
    "po_number": "PO number",
}


def field_label(name: str) -> str:
    """A field's name in words ("vendor VAT id"); another name with its underscores as
    spaces."""
    return FIELD_LABELS.get(name, name.replace("_", " "))


DATE_FIELDS = ("invoice_date", "due_date")
AMOUNT_FIELDS = ("net_amount", "tax_amount", "total_amount")

FieldValue = str | date | Decimal | None


class UnreadableDocument(Exception):
    """The file cannot be read at all; the message is shown to the clerk as it is."""

    def details(self) -> dict:
        """What is stored beside the message on the invoice's UNREADABLE exception."""
        return {}


class NotAnEInvoice(UnreadableDocument):
    """Well-formed XML whose root is not an e-invoice syntax this product reads (UBL
    Invoice/CreditNote, CII, ZUGFeRD 1.0): a delivery note or an order, say. Raised by the
    XML reader; a PDF's attachment search (readers.pdf_xml) passes over such an attachment
    silently, while an e-invoice that fails to read is reported."""


class OverLimit(UnreadableDocument):
    """The file is refused because reading it would pass a resource limit (pixels, inflated
    bytes, pages): a decompression bomb, or a document far larger than an invoice.

    `setting` names the Django setting that holds the limit (what an admin raises before
    reprocessing), `actual` the amount found so far (reading stops at the limit, so it may
    be less than the whole) and `maximum` the limit, both in the setting's unit.
    """

    def __init__(self, message: str, *, setting: str, actual: int, maximum: int):
        super().__init__(message)
        self.setting, self.actual, self.maximum = setting, actual, maximum

    def details(self) -> dict:
        return {"limit": self.setting, "actual": self.actual, "maximum": self.maximum}


@dataclass(frozen=True)
class Provenance:
    method: str  # "xml", "text", "ocr", "learned", "master" (the vendor master's)
    page: int | None = None  # 1-based
    bbox: tuple[float, float, float, float] | None = None  # x0, top, x1, bottom in PDF points

    def as_json(self):
        return {
            "page": self.page,
            "bbox": list(self.bbox) if self.bbox else None,
            "method": self.method,
        }


@dataclass(frozen=True)
class ExtractedField:
    value: FieldValue
    confidence: float
    provenance: Provenance


@dataclass(frozen=True)
class AllowanceCharge:
    """An allowance (a reduction) or a charge (a surcharge), EN 16931 BG-20/BG-21 on the
    document, BG-27/BG-28 on a line. Amounts are positive as stated (BT-92/BT-99, BT-136/
    BT-141) in the document currency; `charge` says the direction.

    `tax_category` is the UNTDID 5305 VAT category code (BT-95/BT-102: "S", "Z", "E", "AE",
    "K", "G", "O", "L", "M"), `tax_rate` its rate in percent (BT-96/BT-103); both are empty
    on a line's allowance or charge, which takes its line's. `reason_code` is UNTDID 5189
    (allowances) or 7161 (charges)."""

    charge: bool
    amount: Decimal
    base_amount: Decimal | None = None  # BT-93/BT-100, BT-137/BT-142
    percent: Decimal | None = None  # BT-94/BT-101, BT-138/BT-143
    reason: str = ""  # BT-97/BT-104, BT-139/BT-144
    reason_code: str = ""  # BT-98/BT-105, BT-140/BT-145
    tax_category: str = ""
    tax_rate: Decimal | None = None

    def as_json(self):
        return {
            "charge": self.charge,
            "amount": _json_value(self.amount),
            "base_amount": _json_value(self.base_amount),
            "percent": _json_value(self.percent),
            "reason": self.reason,
            "reason_code": self.reason_code,
            "tax_category": self.tax_category,
            "tax_rate": _json_value(self.tax_rate),
        }


@dataclass(frozen=True)
class TaxSubtotal:
    """One VAT breakdown row, EN 16931 BG-23: per VAT category (BT-118, UNTDID 5305) and
    rate (BT-119, percent; None for a category without a rate), the taxable amount (BT-116)
    and the VAT on it (BT-117), in the document currency; an exemption reason (BT-120) and
    its VATEX code (BT-121) for E, AE, K, G and O."""

    category: str
    rate: Decimal | None
    taxable_amount: Decimal | None
    tax_amount: Decimal | None
    exemption_reason: str = ""
    exemption_reason_code: str = ""

    def as_json(self):
        return {
            "category": self.category,
            "rate": _json_value(self.rate),
            "taxable_amount": _json_value(self.taxable_amount),
            "tax_amount": _json_value(self.tax_amount),
            "exemption_reason": self.exemption_reason,
            "exemption_reason_code": self.exemption_reason_code,
        }


# Where a line stands among sub-lines (CII LineStatusReasonCode of the XRechnung and
# ZUGFeRD EXTENDED sub-lines; "" for an ordinary line). Only DETAIL and ordinary lines count
# in the invoice's sums; a GROUP line sums its sub-lines, an INFORMATION line is text.
DETAIL, GROUP, INFORMATION = "DETAIL", "GROUP", "INFORMATION"


@dataclass(frozen=True)
class LineItem:
    """One invoice line (EN 16931 BG-25). `amount` is the line net amount (BT-131), after
    the line's own allowances and charges; `tax_rate` in percent (BT-152), `tax_category`
    UNTDID 5305 (BT-151).

    Sub-lines: `line_id` (BT-126) and `parent_line_id` place a line under another (CII
    ParentLineID, UBL SubInvoiceLine), `status` is DETAIL, GROUP or INFORMATION (or ""), and
    `counted` says whether the line is one of those the invoice's sums add up (BR-CO-10):
    a reader sets it by its syntax's rule, so every later stage just follows it."""

    description: str
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    item_code: str = ""
    tax_rate: Decimal | None = None
    tax_category: str = ""
    line_id: str = ""
    parent_line_id: str = ""
    status: str = ""
    counted: bool = True
    period_start: date | None = None  # BT-134
    period_end: date | None = None  # BT-135
    allowances_charges: tuple[AllowanceCharge, ...] = ()

    def as_json(self):
        return {
            "description": self.description,
            "quantity": _json_value(self.quantity),
            "unit_price": _json_value(self.unit_price),
            "amount": _json_value(self.amount),
            "item_code": self.item_code,
            "tax_rate": _json_value(self.tax_rate),
            "tax_category": self.tax_category,
            "line_id": self.line_id,
            "parent_line_id": self.parent_line_id,
            "status": self.status,
            "counted": self.counted,
            "period_start": _json_value(self.period_start),
            "period_end": _json_value(self.period_end),
            "allowances_charges": [item.as_json() for item in self.allowances_charges],
        }


@dataclass(frozen=True)
class DocumentTotals:
    """The document totals of EN 16931 BG-22 beyond net, tax and total (which are header
    fields): BT-106 sum of line net amounts, BT-107 sum of allowances, BT-108 sum of
    charges, BT-113 paid amount, BT-114 rounding amount, BT-115 amount due for payment;
    and the XRechnung extension's third party payments (Σ BT-DEX-002, UBL only). None
    where the document does not state it."""

    line_total: Decimal | None = None
    allowance_total: Decimal | None = None
    charge_total: Decimal | None = None
    prepaid: Decimal | None = None
    rounding: Decimal | None = None
    amount_due: Decimal | None = None
    # The XRechnung extension's third party payments (BG-DEX-09: the sum of BT-DEX-002),
    # which its rule BR-DEX-09 adds to the amount due in place of BR-CO-16.
    third_party_payments: Decimal | None = None

    def as_json(self):
        return {name: _json_value(getattr(self, name)) for name in self.__dataclass_fields__}


@dataclass
class ExtractionResult:
    format: str  # "ubl", "cii", "pdf-text", ...
    fields: dict[str, ExtractedField] = field(default_factory=dict)
    lines: list[LineItem] = field(default_factory=list)
    document_type: str = "invoice"  # or "credit_note"
    # What the paper is (core.document_types: "invoice", or "receipt" for a till slip,
    # extraction.receipts); independent of the direction above.
    document_kind: str = "invoice"
    # UNTDID 1001 (BT-3) as the document states it; "" for a printed document.
    type_code: str = ""
    # The rest of the EN 16931 model, where the document states it (e-invoices).
    allowances_charges: list[AllowanceCharge] = field(default_factory=list)  # BG-20, BG-21
    tax_breakdown: list[TaxSubtotal] = field(default_factory=list)  # BG-23
    totals: DocumentTotals = field(default_factory=DocumentTotals)
    period_start: date | None = None  # BT-73
    period_end: date | None = None  # BT-74
    preceding_invoice_number: str = ""  # BT-25
    preceding_invoice_date: date | None = None  # BT-26
    # What a person must be told about how the document was read, as exception dicts
    # ({"code", "message", "details"}): an e-invoice attached to a PDF that could not be
    # used (EINVOICE_UNUSABLE), say. The extraction stage raises them on the invoice.
    problems: list[dict] = field(default_factory=list)
    # The positioned words read from the pages (empty for XML): what learning works on.
    words: list[Word] = field(default_factory=list, repr=False)

    def value(self, name: str) -> FieldValue:
        found = self.fields.get(name)
        return found.value if found else None

    def as_json(self):
        """The `extract` contract: every header field present, None where not found."""
        fields = {name: _json_value(self.value(name)) for name in HEADER_FIELDS}
        fields["lines"] = [line.as_json() for line in self.lines]
        return {
            "format": self.format,
            "document_type": self.document_type,
            "document_kind": self.document_kind,
            "type_code": self.type_code,
            "fields": fields,
            "allowances_charges": [item.as_json() for item in self.allowances_charges],
            "tax_breakdown": [row.as_json() for row in self.tax_breakdown],
            "totals": self.totals.as_json(),
            "period": [_json_value(self.period_start), _json_value(self.period_end)],
            "preceding_invoice": {
                "number": self.preceding_invoice_number,
                "date": _json_value(self.preceding_invoice_date),
            },
            "problems": self.problems,
            "confidence": {name: f.confidence for name, f in self.fields.items()},
            "provenance": {name: f.provenance.as_json() for name, f in self.fields.items()},
        }


@dataclass(frozen=True)
class SourceFile:
    """The bytes of one document and what is known about it before reading."""

    name: str
    data: bytes
    content_type: str = ""


class Reader(Protocol):
    """One way of reading a document. The first reader that applies wins."""

    name: str

    def applies(self, source: SourceFile) -> bool: ...

    def read(self, source: SourceFile) -> ExtractionResult: ...


def _json_value(value: FieldValue):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
