"""The exception codes: why an invoice needs a person, as one fixed vocabulary.

Each code is raised by the stage that owns it (extraction: UNREADABLE; matching: the rest;
posting: NOT_POSTABLE) with a sentence and its numbers (`core.models.InvoiceException`).
Here each code declares, once, what it is called and whether a person may approve over it
(issue 16, "Blocking exceptions"):

- `Override.COMMENT`: an approver may approve over it, saying why in a comment;
- `Override.TWO_APPROVERS`: as COMMENT, and only once two different people approved
  (changed bank details: the route asks for two approvers, and the decision checks it);
- `Override.NEVER`: nobody approves over it; it is resolved first (the vendor added, the
  field corrected and the invoice matched again, the duplicate released by a clerk, who
  then may not approve it). These are the findings after which the ERP would book a wrong
  or unknown payee, a wrong amount, or the same invoice twice.

A clerk may accept a code as a variance (approvals.triage) only where `variance` says so.
"""

from enum import StrEnum
from typing import NamedTuple


class Override(StrEnum):
    """Whether, and how, an approver may approve over an open exception."""

    COMMENT = "comment"
    TWO_APPROVERS = "two_approvers"
    NEVER = "never"


class ExceptionCode(StrEnum):
    """The codes an InvoiceException carries (`code` column, at most 32 characters)."""

    UNREADABLE = "UNREADABLE"
    MISSING_FIELD = "MISSING_FIELD"
    LOW_CONFIDENCE = "LOW_CONFIDENCE"
    EINVOICE_UNUSABLE = "EINVOICE_UNUSABLE"
    DOCUMENT_TYPE = "DOCUMENT_TYPE"
    CORRECTED_INVOICE = "CORRECTED_INVOICE"
    PREPAID = "PREPAID"
    CREDIT_NOTE = "CREDIT_NOTE"
    VENDOR_UNKNOWN = "VENDOR_UNKNOWN"
    BANK_DETAILS_CHANGED = "BANK_DETAILS_CHANGED"
    DUPLICATE = "DUPLICATE"
    TAX_MISMATCH = "TAX_MISMATCH"
    PO_NOT_FOUND = "PO_NOT_FOUND"
    PO_CLOSED = "PO_CLOSED"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    PRICE_VARIANCE = "PRICE_VARIANCE"
    QTY_VARIANCE = "QTY_VARIANCE"
    OVER_BILLED = "OVER_BILLED"
    NOT_RECEIVED = "NOT_RECEIVED"
    NOT_POSTABLE = "NOT_POSTABLE"
    NOT_CODED = "NOT_CODED"

    @property
    def label(self) -> str:
        """What people call it, in sentence case ("Billed more than ordered")."""
        return _TABLE[self].label

    @property
    def help(self) -> str:
        """What the code means, in one line (the tooltip beside its label; every code has
        one, tests/core/test_human_words.py checks)."""
        return _HELP.get(self, "")

    @property
    def override(self) -> Override:
        return _TABLE[self].override

    @property
    def blocks_approval(self) -> bool:
        """True when nobody may approve over this code: it must be resolved first."""
        return self.override == Override.NEVER

    @property
    def variance(self) -> bool:
        """True when a clerk may accept it as a variance, with a reason code."""
        return _TABLE[self].variance

    @property
    def resolve(self) -> str:
        """How a blocking code is resolved, in words ("" for the others)."""
        return _TABLE[self].resolve


class _Entry(NamedTuple):
    label: str
    override: Override
    variance: bool = False
    resolve: str = ""  # for a blocking code: how it is resolved, for the refusal message


# What each code means, in one line: shown with the label (its tooltip on every screen).
_HELP: dict[ExceptionCode, str] = {
    ExceptionCode.UNREADABLE: (
        "No text or fields could be read from the file (damaged, empty, or not a document)."
    ),
    ExceptionCode.MISSING_FIELD: (
        "A field the ERP needs (number, date, vendor, total) was not found on the document."
    ),
    ExceptionCode.LOW_CONFIDENCE: (
        "A field was read, but not surely enough to post without a person checking it."
    ),
    ExceptionCode.EINVOICE_UNUSABLE: (
        "The attached e-invoice is not valid, so its fields are not taken as the truth."
    ),
    ExceptionCode.DOCUMENT_TYPE: (
        "The document is a proforma, a quote or of an unknown type: there is nothing to pay."
    ),
    ExceptionCode.CORRECTED_INVOICE: (
        "It corrects an invoice received before; check what it replaces."
    ),
    ExceptionCode.PREPAID: (
        "Some or all of the total was paid already (BT-113); only the amount due is paid."
    ),
    ExceptionCode.CREDIT_NOTE: "A credit note that names no purchase order: find what it credits.",
    ExceptionCode.VENDOR_UNKNOWN: "The vendor is not in the vendor master, so nobody can be paid.",
    ExceptionCode.BANK_DETAILS_CHANGED: (
        "The bank account differs from the vendor master's: a common fraud; two approvers decide."
    ),
    ExceptionCode.DUPLICATE: "The same vendor, number or amount was invoiced before.",
    ExceptionCode.TAX_MISMATCH: "Lines, VAT and totals do not add up as EN 16931's rules require.",
    ExceptionCode.PO_NOT_FOUND: "The purchase order the invoice names is not in the ERP's data.",
    ExceptionCode.PO_CLOSED: "The purchase order is closed: nothing more should be billed on it.",
    ExceptionCode.CURRENCY_MISMATCH: "The invoice is in another currency than its purchase order.",
    ExceptionCode.PRICE_VARIANCE: (
        "A unit price is above the purchase order's, beyond the tolerance."
    ),
    ExceptionCode.QTY_VARIANCE: (
        "A quantity differs from what was ordered or received, beyond the tolerance."
    ),
    ExceptionCode.OVER_BILLED: "The invoice bills more than is still open on the purchase order.",
    ExceptionCode.NOT_RECEIVED: "The goods billed have not been received yet (three-way match).",
    ExceptionCode.NOT_CODED: "A non-PO invoice needs a GL account and cost center on each line.",
    ExceptionCode.NOT_POSTABLE: "The ERP refused it or lacks what it needs to book it.",
}


_TABLE: dict[ExceptionCode, _Entry] = {
    ExceptionCode.UNREADABLE: _Entry(
        "Document unreadable", Override.NEVER,
        resolve="reprocess the document or enter its fields, then match again",
    ),
    ExceptionCode.MISSING_FIELD: _Entry(
        "Field missing", Override.NEVER, resolve="enter the field, then match again"
    ),
    ExceptionCode.LOW_CONFIDENCE: _Entry("Field read unsurely", Override.COMMENT),
    ExceptionCode.EINVOICE_UNUSABLE: _Entry(
        "E-invoice unusable", Override.NEVER,
        resolve="a clerk compares the fields with the attached e-invoice (corrects them where "
        "they differ) and confirms it, saying what was compared; or asks the vendor for a "
        "valid e-invoice",
    ),
    ExceptionCode.DOCUMENT_TYPE: _Entry(
        "Not an invoice to pay", Override.NEVER,
        resolve="check the document's type: a proforma or an unknown type code is rejected, "
        "or the vendor sends it again as an invoice or credit note",
    ),
    ExceptionCode.CORRECTED_INVOICE: _Entry("Corrects an earlier invoice", Override.COMMENT),
    ExceptionCode.PREPAID: _Entry("Paid before", Override.COMMENT),
    ExceptionCode.CREDIT_NOTE: _Entry("Credit note without order", Override.COMMENT),
    ExceptionCode.VENDOR_UNKNOWN: _Entry(
        "Vendor unknown", Override.NEVER,
        resolve="add the vendor to the vendor master (or correct the name), then match again",
    ),
    ExceptionCode.BANK_DETAILS_CHANGED: _Entry("Bank details changed", Override.TWO_APPROVERS),
    ExceptionCode.DUPLICATE: _Entry(
        "Possible duplicate", Override.NEVER,
        resolve="a clerk marks it a duplicate, or releases it as not one (and then does "
        "not approve it)",
    ),
    ExceptionCode.TAX_MISMATCH: _Entry(
        "Amounts do not add up", Override.NEVER,
        resolve="correct the amounts or lines, then match again",
    ),
    ExceptionCode.PO_NOT_FOUND: _Entry("Purchase order not found", Override.COMMENT),
    ExceptionCode.PO_CLOSED: _Entry("Purchase order closed", Override.COMMENT),
    ExceptionCode.CURRENCY_MISMATCH: _Entry("Currency differs from order", Override.COMMENT),
    ExceptionCode.PRICE_VARIANCE: _Entry("Price variance", Override.COMMENT, variance=True),
    ExceptionCode.QTY_VARIANCE: _Entry("Quantity variance", Override.COMMENT, variance=True),
    ExceptionCode.OVER_BILLED: _Entry("Billed more than ordered", Override.COMMENT, variance=True),
    ExceptionCode.NOT_RECEIVED: _Entry("Goods not received", Override.COMMENT, variance=True),
    ExceptionCode.NOT_CODED: _Entry(
        "Lines not coded", Override.NEVER,
        resolve="a clerk codes each line of the invoice without a purchase order (GL account, "
        "cost center), then it is matched again",
    ),
    ExceptionCode.NOT_POSTABLE: _Entry(
        "ERP cannot book it", Override.NEVER,
        resolve="complete what the ERP needs (the vendor's ERP key, the amounts, the lines), "
        "then match again",
    ),
}  # fmt: skip


def label(code: str) -> str:
    """The label of `code` (a string); a code outside the vocabulary is shown as it is."""
    known = ExceptionCode.__members__.get(code)
    return known.label if known is not None else code


def labels(codes) -> str:
    """`codes` (strings) as their labels, in the order given, once each, joined by commas:
    for the sentences people read ("Billed more than ordered, Goods not received")."""
    return ", ".join(dict.fromkeys(label(code) for code in codes))


def refusal(codes) -> str:
    """The sentence that refuses approving over the blocking ones of `codes` ("" when none
    blocks): each one by its label, with how it is resolved."""
    blocked = blocking(codes)
    if not blocked:
        return ""
    how = "; ".join(
        f"{label(code).lower()}: {ExceptionCode(code).resolve}"
        if code in ExceptionCode.__members__
        else code
        for code in blocked
    )
    return f"Nobody can approve over {labels(blocked)}; it must be resolved first ({how})."


def needing_two_approvers() -> frozenset[str]:
    """The codes only two different approvers may approve over."""
    return frozenset(code for code in ExceptionCode if code.override == Override.TWO_APPROVERS)


def blocking(codes) -> list[str]:
    """Of `codes` (strings), those nobody may approve over, in the order given, once each.
    A code outside the vocabulary blocks too: what is not declared is not approved over."""
    found = []
    for code in codes:
        known = ExceptionCode.__members__.get(code)
        if (known is None or known.blocks_approval) and code not in found:
            found.append(code)
    return found
