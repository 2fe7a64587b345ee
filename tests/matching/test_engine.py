"""The matching engine is pure: these tests need no database."""

from datetime import date
from decimal import Decimal

import pytest

from matching.engine import (
    InvoiceFacts,
    PurchaseOrderFacts,
    Tolerance,
    match,
    normalise_po_number,
)

TOLERANCE = Tolerance(absolute=Decimal("1.00"), percent=Decimal("0.5"))


def facts(**overrides) -> InvoiceFacts:
    values = {
        "invoice_number": "INV-1",
        "invoice_date": date(2026, 10, 10),
        "currency": "EUR",
        "net_amount": Decimal("250.00"),
        "tax_amount": Decimal("47.50"),
        "total_amount": Decimal("297.50"),
        "po_number": "4500001",
        "vendor_id": 1,
        "vendor_name": "Acme",
    }
    values.update(overrides)
    return InvoiceFacts(**values)


def po(**overrides) -> PurchaseOrderFacts:
    values = {
        "number": "4500001",
        "vendor_id": 1,
        "vendor_name": "Acme",
        "currency": "EUR",
        "status": "open",
        "ordered_net": Decimal("250.00"),
        "received_net": Decimal("250.00"),
    }
    values.update(overrides)
    return PurchaseOrderFacts(**values)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("4500001", "4500001"),
        ("PO 4500-001", "4500001"),
        ("po#4500001", "4500001"),
        ("P.O. No. 4500001", "4500001"),
        ("Bestellnummer: 4500001", "4500001"),
        ("  ", ""),
        ("N/A", ""),
    ],
)
def test_po_numbers_are_normalised(raw, normal):
    assert normalise_po_number(raw) == normal


def test_a_clean_invoice_matches_its_po():
    result = match(facts(), po(), duplicate_of=[], tolerance=TOLERANCE)
    assert result.clean
    assert result.purchase_order == "4500001"


def test_price_variance_outside_tolerance_says_why_with_numbers():
    invoice = facts(
        net_amount=Decimal("275.00"), tax_amount=Decimal("52.25"), total_amount=Decimal("327.25")
    )
    result = match(invoice, po(received_net=Decimal("300")), duplicate_of=[], tolerance=TOLERANCE)

    assert result.codes == ["PRICE_VARIANCE"]
    finding = result.findings[0]
    assert finding.details["expected"] == "250.00"
    assert finding.details["actual"] == "275.00"
    assert finding.details["variance"] == "25.00"
    assert finding.details["tolerance"] == "1.25"  # 0.5% of 250 beats the 1.00 absolute
    assert "25.00 EUR (10.00%) above purchase order 4500001" in finding.message


def test_variance_within_tolerance_is_clean():
    invoice = facts(
        net_amount=Decimal("251.00"), tax_amount=Decimal("47.69"), total_amount=Decimal("298.69")
    )
    assert match(
        invoice, po(received_net=Decimal("251")), duplicate_of=[], tolerance=TOLERANCE
    ).clean


def test_unknown_po_missing_fields_unknown_vendor_and_duplicates_are_all_reported():
    invoice = facts(invoice_date=None, vendor_id=None, vendor_name="Nobody Ltd")
    result = match(invoice, None, duplicate_of=[3, 5], tolerance=TOLERANCE)
    assert result.codes == ["MISSING_FIELD", "VENDOR_UNKNOWN", "DUPLICATE", "PO_NOT_FOUND"]
    assert "invoice #3, #5" in result.findings[2].message


def test_arithmetic_that_does_not_add_up_is_a_tax_mismatch():
    result = match(
        facts(total_amount=Decimal("300.00")), po(), duplicate_of=[], tolerance=TOLERANCE
    )
    assert result.codes == ["TAX_MISMATCH"]
    assert result.findings[0].details["variance"] == "2.50"


def test_goods_not_yet_received_are_not_paid():
    result = match(
        facts(), po(received_net=Decimal("100.00")), duplicate_of=[], tolerance=TOLERANCE
    )
    assert result.codes == ["NOT_RECEIVED"]
    assert "100.00 EUR have been received" in result.findings[0].message


def test_closed_po_other_vendor_and_currency_are_exceptions():
    assert match(facts(), po(status="closed"), duplicate_of=[], tolerance=TOLERANCE).codes == [
        "PO_CLOSED"
    ]
    assert match(facts(), po(vendor_id=2), duplicate_of=[], tolerance=TOLERANCE).codes == [
        "PO_NOT_FOUND"
    ]
    assert match(facts(), po(currency="USD"), duplicate_of=[], tolerance=TOLERANCE).codes == [
        "CURRENCY_MISMATCH"
    ]


def test_an_invoice_without_po_number_is_a_non_po_invoice_not_an_exception():
    result = match(facts(po_number=""), None, duplicate_of=[], tolerance=TOLERANCE)
    assert result.clean
    assert result.purchase_order == ""


def test_fields_read_with_low_confidence_are_named_for_the_clerk():
    result = match(
        facts(low_confidence={"invoice_date": 0.4, "total_amount": 0.55}),
        po(),
        duplicate_of=[],
        tolerance=TOLERANCE,
    )
    assert result.codes == ["LOW_CONFIDENCE"]
    assert result.findings[0].details == {"fields": {"invoice_date": 0.4, "total_amount": 0.55}}
    assert "invoice date (40%), total amount (55%)" in result.findings[0].message


def test_a_credit_note_is_never_cleared_as_an_invoice():
    credit = facts(
        document_type="credit_note",
        net_amount=Decimal("-50.00"),
        tax_amount=Decimal("-9.50"),
        total_amount=Decimal("-59.50"),
        po_number="",
    )
    result = match(credit, None, duplicate_of=[], tolerance=TOLERANCE)
    assert result.codes == ["CREDIT_NOTE"]
    assert "credit note for 59.50 EUR" in result.findings[0].message
