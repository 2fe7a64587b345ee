"""Document type codes: UNTDID 1001, the code list of the invoice type code (BT-3, EN 16931).

EN 16931-1 allows the subset of UNTDID 1001 listed in CODES (the CEN code list for BT-3).
Each code belongs to one kind:

- `INVOICE`: a claim for payment (380 commercial invoice, 383 debit note, 386 prepayment
  invoice, ...);
- `CREDIT_NOTE`: money owed back to the buyer. The credit note family of UNTDID 1001: 81,
  83, 261, 262, 296, 308, 381, 396, 420, 458 and 532. A credit note's amounts are stated
  positive in UBL and CII; the type code says the direction (EN 16931-1, 6.4);
- `CORRECTED`: 384 corrected invoice, which replaces an earlier invoice (BT-25 names it);
- `SELF_BILLED`: 389 self-billed invoice and 527 self-billed debit note, issued by the buyer
  in the seller's name (VAT Directive 2006/112/EC art. 224);
- `NOT_PAYABLE`: 325 proforma invoice, which by definition claims nothing: never paid.

One kind has no code: `RECEIPT`, a till receipt (a shop's slip for what was paid at the
till, read by extraction.receipts). UNTDID 1001 lists no receipt, and none of its codes
may stand for one (380 would claim a payment is still owed), so a receipt keeps an empty
type code and says what it is in `Invoice.document_kind` (DOCUMENT_KINDS): a non-PO expense,
already paid, which matching sends for coding and approval as such.

A code outside CODES is unknown: the invoice waits for a person (DOCUMENT_TYPE exception)
instead of being taken for an invoice by default.

`Invoice.document_type` keeps only the direction, "invoice" or "credit_note", which matching
and the ERP posting use; `Invoice.type_code` keeps the code as stated, for the label shown.
"""

from enum import StrEnum
from typing import NamedTuple


class Kind(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    CORRECTED = "corrected"
    SELF_BILLED = "self_billed"
    NOT_PAYABLE = "not_payable"
    UNKNOWN = "unknown"
    RECEIPT = "receipt"


# What the paper is, as `Invoice.document_kind` stores it.
DOCUMENT_KINDS = [(Kind.INVOICE.value, "invoice"), (Kind.RECEIPT.value, "receipt")]


class DocumentType(NamedTuple):
    code: str
    name: str  # UNTDID 1001's name of the code
    kind: Kind

    @property
    def direction(self) -> str:
        """ "credit_note" for the credit note family, else "invoice" (Invoice.document_type)."""
        return "credit_note" if self.kind == Kind.CREDIT_NOTE else "invoice"


_I, _C = Kind.INVOICE, Kind.CREDIT_NOTE
CODES: dict[str, DocumentType] = {
    code: DocumentType(code, name, kind)
    for code, name, kind in [
        ("71", "Request for payment", _I),
        ("80", "Debit note related to goods or services", _I),
        ("81", "Credit note related to goods or services", _C),
        ("82", "Metered services invoice", _I),
        ("83", "Credit note related to financial adjustments", _C),
        ("84", "Debit note related to financial adjustments", _I),
        ("102", "Tax notification", _I),
        ("130", "Invoicing data sheet", _I),
        ("202", "Direct payment valuation", _I),
        ("203", "Provisional payment valuation", _I),
        ("204", "Payment valuation", _I),
        ("211", "Interim application for payment", _I),
        ("218", "Final payment request based on completion of work", _I),
        ("219", "Payment request for completed units", _I),
        ("261", "Self billed credit note", _C),
        ("262", "Consolidated credit note - goods and services", _C),
        ("295", "Price variation invoice", _I),
        ("296", "Credit note for price variation", _C),
        ("308", "Delcredere credit note", _C),
        ("325", "Proforma invoice", Kind.NOT_PAYABLE),
        ("326", "Partial invoice", _I),
        ("331", "Commercial invoice which includes a packing list", _I),
        ("380", "Commercial invoice", _I),
        ("381", "Credit note", _C),
        ("382", "Commission note", _I),
        ("383", "Debit note", _I),
        ("384", "Corrected invoice", Kind.CORRECTED),
        ("385", "Consolidated invoice", _I),
        ("386", "Prepayment invoice", _I),
        ("387", "Hire invoice", _I),
        ("388", "Tax invoice", _I),
        ("389", "Self-billed invoice", Kind.SELF_BILLED),
        ("390", "Delcredere invoice", _I),
        ("393", "Factored invoice", _I),
        ("394", "Lease invoice", _I),
        ("395", "Consignment invoice", _I),
        ("396", "Factored credit note", _C),
        ("420", "Optical Character Reading (OCR) payment credit note", _C),
        ("456", "Debit advice", _I),
        ("457", "Reversal of debit", _I),
        ("458", "Reversal of credit", _C),
        ("527", "Self billed debit note", Kind.SELF_BILLED),
        ("532", "Forwarder's credit note", _C),
        ("553", "Forwarder's invoice discrepancy report", _I),
        ("575", "Insurer's invoice", _I),
        ("623", "Forwarder's invoice", _I),
        ("633", "Port charges documents", _I),
        ("751", "Invoice information for accounting purposes", _I),
        ("780", "Freight invoice", _I),
        ("817", "Claim notification", _I),
        ("870", "Consular invoice", _I),
        ("875", "Partial construction invoice", _I),
        ("876", "Partial final construction invoice", _I),
        ("877", "Final construction invoice", _I),
        ("935", "Customs invoice", _I),
    ]
}
CREDIT_NOTE_CODES = frozenset(code for code, t in CODES.items() if t.kind == Kind.CREDIT_NOTE)


def document_type(code: str | None) -> DocumentType:
    """The UNTDID 1001 entry of a stated type code (BT-3; surrounding spaces and leading
    zeros ignored); an unknown code gives kind UNKNOWN with the code as stated, direction
    "invoice". No code at all (a printed document) is a commercial invoice, 380."""
    stated = (code or "").strip()
    if not stated:
        return CODES["380"]
    found = CODES.get(stated.lstrip("0") or "0")
    return found or DocumentType(stated[:8], "Unknown document type", Kind.UNKNOWN)


def label(code: str, direction: str = "invoice", kind: str = Kind.INVOICE) -> str:
    """What the invoice screen calls a document: "Corrected invoice (384)", "Credit note
    (381)", "Receipt" (`kind` RECEIPT); a document without a stated code by its direction
    only."""
    if kind == Kind.RECEIPT:
        return "Receipt"
    if not code:
        return "Credit note" if direction == "credit_note" else "Invoice"
    return f"{document_type(code).name} ({code})"
