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
DATE_FIELDS = ("invoice_date", "due_date")
AMOUNT_FIELDS = ("net_amount", "tax_amount", "total_amount")

FieldValue = str | date | Decimal | None


class UnreadableDocument(Exception):
    """The file cannot be read at all; the message is shown to the clerk as it is."""

    def details(self) -> dict:
        """What is stored beside the message on the invoice's UNREADABLE exception."""
        return {}


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
class LineItem:
    description: str
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    amount: Decimal | None = None
    item_code: str = ""
    tax_rate: Decimal | None = None

    def as_json(self):
        return {
            "description": self.description,
            "quantity": _json_value(self.quantity),
            "unit_price": _json_value(self.unit_price),
            "amount": _json_value(self.amount),
            "item_code": self.item_code,
            "tax_rate": _json_value(self.tax_rate),
        }


@dataclass
class ExtractionResult:
    format: str  # "ubl", "cii", "pdf-text", ...
    fields: dict[str, ExtractedField] = field(default_factory=dict)
    lines: list[LineItem] = field(default_factory=list)
    document_type: str = "invoice"  # or "credit_note"
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
            "fields": fields,
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
