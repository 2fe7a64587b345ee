"""Comparing an extraction with the ground truth, field by field.

Dates and amounts must be equal; text is compared after folding case and whitespace, VAT
ids and IBANs without spaces or punctuation. A field that was not found is wrong, except
where the invoice has none (no order number, no IBAN on a receipt): then finding nothing is
right and finding something is wrong.
"""

import re
from decimal import Decimal

from core.demo_documents import DemoInvoice
from extraction.types import HEADER_FIELDS, ExtractionResult

ROWS = (*HEADER_FIELDS, "lines (count)", "line amounts")


def truth(inv: DemoInvoice) -> dict:
    """The expected value of every header field; "" where the invoice has none."""
    return {
        "vendor_name": inv.vendor_name,
        "vendor_vat_id": inv.vendor_vat_id,
        "vendor_iban": inv.vendor_iban,
        "invoice_number": inv.invoice_number,
        "invoice_date": inv.invoice_date,
        "due_date": inv.due_date,
        "currency": inv.currency,
        "net_amount": inv.net,
        "tax_amount": inv.tax,
        "total_amount": inv.total,
        "po_number": inv.po_number,
    }


def score(inv: DemoInvoice, result: ExtractionResult | None) -> dict[str, bool]:
    """{row: correct} for every row of ROWS; no result (unreadable) is wrong throughout."""
    if result is None:
        return dict.fromkeys(ROWS, False)
    scores = {
        name: field_matches(name, expected, result.value(name))
        for name, expected in truth(inv).items()
    }
    scores["lines (count)"] = len(result.lines) == len(inv.lines)
    scores["line amounts"] = [line.amount for line in result.lines] == [
        line.amount for line in inv.lines
    ]
    return scores


def field_matches(name: str, expected, found) -> bool:
    if expected in ("", None):
        return found in ("", None)
    if found in ("", None):
        return False
    if isinstance(expected, Decimal):
        return isinstance(found, Decimal) and found == expected
    if name in ("vendor_vat_id", "vendor_iban"):
        return _compact(found) == _compact(expected)
    if not isinstance(expected, str):
        return found == expected
    return _text(found) == _text(expected)


def _compact(value) -> str:
    # Swiss UIDs carry the tax's name after the number: CHE-123.456.789 MWST (or TVA, IVA).
    compact = re.sub(r"[^0-9A-Z]", "", str(value).upper())
    return re.sub(r"^(CHE\d{9})(?:MWST|TVA|IVA)$", r"\1", compact)


def _text(value) -> str:
    return " ".join(str(value).split()).casefold()


def accuracy(scores: list[dict[str, bool]]) -> dict[str, float]:
    """Share of documents with each row right; 0.0 for an empty list."""
    return {row: sum(s[row] for s in scores) / len(scores) if scores else 0.0 for row in ROWS}
