"""Every demo document reads back as the invoice it was generated from."""

from datetime import date
from decimal import Decimal

import pytest

from core.demo_documents import LAYOUTS, DemoInvoice, DemoLine, cii_xml, ubl_xml
from core.demo_pdf import pdf_invoice
from extraction.extract import extract_source
from extraction.types import SourceFile

D = Decimal
INVOICES = {
    "two-rates-eur": DemoInvoice(
        vendor_name="Acme Office Supplies GmbH",
        vendor_vat_id="DE123456789",
        vendor_iban="DE89370400440532013000",
        vendor_address="Hauptstr. 1\n10115 Berlin",
        buyer_name="Northwind Manufacturing Ltd",
        invoice_number="INV-2026-0042",
        invoice_date=date(2026, 3, 12),
        due_date=date(2026, 4, 11),
        currency="EUR",
        po_number="4500012345",
        lines=[
            DemoLine("P-100", "Printer paper A4, box", D(40), D("25.00"), D(19)),
            DemoLine("T-220", "Toner cartridge black", D(12), D("189.90"), D(19)),
            DemoLine("C-7", "Coffee beans 1kg", D(3), D("14.49"), D(7)),
        ],
    ),
    "usd-without-po": DemoInvoice(
        vendor_name="Brightline Consulting Inc.",
        vendor_vat_id="GB123456789",
        vendor_iban="GB29NWBK60161331926819",
        vendor_address="200 Market Street, San Francisco CA 94105",
        buyer_name="Northwind Manufacturing Ltd",
        invoice_number="BC-7781",
        invoice_date=date(2026, 5, 4),
        due_date=date(2026, 6, 3),
        currency="USD",
        po_number="",
        lines=[
            DemoLine("SVC-01", "Process review workshop", D("7.5"), D("180.00"), D(20)),
            DemoLine("SVC-02", "Travel expenses", D(1), D("1234.56"), D(20)),
        ],
    ),
    "french-single-line": DemoInvoice(
        vendor_name="Fournitures Dupont SARL",
        vendor_vat_id="FR40303265045",
        vendor_iban="FR1420041010050500013M02606",
        vendor_address="12 rue de la Paix, 75002 Paris",
        buyer_name="Northwind Manufacturing Ltd",
        invoice_number="F2026-118",
        invoice_date=date(2026, 1, 5),
        due_date=date(2026, 2, 4),
        currency="EUR",
        po_number="PO-77",
        lines=[DemoLine("DUP-9", "Classeurs A4 (carton)", D(250), D("3.10"), D(20))],
    ),
}
DOCUMENTS = [("ubl", ubl_xml), ("cii", cii_xml)] + [
    (layout, lambda inv, layout=layout: pdf_invoice(inv, layout)) for layout in LAYOUTS
]


@pytest.mark.parametrize("invoice_key", INVOICES)
@pytest.mark.parametrize(("kind", "generate"), DOCUMENTS, ids=[kind for kind, _ in DOCUMENTS])
def test_document_reads_back_as_generated(invoice_key, kind, generate):
    invoice = INVOICES[invoice_key]

    result = extract_source(SourceFile(name=f"{invoice_key}.{kind}", data=generate(invoice)))

    expected = {
        "vendor_name": invoice.vendor_name,
        "vendor_vat_id": invoice.vendor_vat_id,
        "vendor_iban": invoice.vendor_iban,
        "invoice_number": invoice.invoice_number,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "currency": invoice.currency,
        "net_amount": invoice.net,
        "tax_amount": invoice.tax,
        "total_amount": invoice.total,
        "po_number": invoice.po_number or None,
    }
    assert {name: result.value(name) for name in expected} == expected
    assert [
        (line.item_code, line.description, line.quantity, line.unit_price, line.amount)
        for line in result.lines
    ] == [
        (line.item_code, line.description, line.quantity, line.unit_price, line.amount)
        for line in invoice.lines
    ]
    if kind != "modern":  # the modern layout prints no per-line VAT rate
        assert [line.tax_rate for line in result.lines] == [line.tax_rate for line in invoice.lines]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_pdf_amounts_are_confirmed_by_arithmetic(layout):
    result = extract_source(SourceFile("x.pdf", pdf_invoice(INVOICES["two-rates-eur"], layout)))

    for name in ("net_amount", "tax_amount", "total_amount"):
        field = result.fields[name]
        assert field.confidence >= 0.9  # the measured probability of a confirmed amount
        assert field.provenance.method == "text"
        assert field.provenance.page == 1
        x0, top, x1, bottom = field.provenance.bbox
        assert 0 <= x0 < x1 <= 595.3
        assert 0 <= top < bottom <= 841.9


@pytest.mark.parametrize(("kind", "generate"), DOCUMENTS, ids=[kind for kind, _ in DOCUMENTS])
def test_generation_is_deterministic(kind, generate):
    invoice = INVOICES["two-rates-eur"]

    assert generate(invoice) == generate(invoice)


def test_layouts_look_different():
    invoice = INVOICES["two-rates-eur"]

    assert len({pdf_invoice(invoice, layout) for layout in LAYOUTS}) == len(LAYOUTS)


def test_demo_invoice_rounds_tax_half_up_per_rate():
    invoice = DemoInvoice(
        "V", "DE123456789", "DE89370400440532013000", "", "B", "1", date(2026, 1, 1),
        date(2026, 1, 31), "EUR", "",
        [DemoLine("A", "a", D(1), D("0.14"), D(10)), DemoLine("B", "b", D(1), D("0.11"), D(10))],
    )  # fmt: skip

    # 0.025 rounds up to 0.03; per line (0.01 + 0.01) or banker's rounding would give 0.02.
    assert invoice.tax_by_rate == {D(10): (D("0.25"), D("0.03"))}
    assert (invoice.net, invoice.tax, invoice.total) == (D("0.25"), D("0.03"), D("0.28"))


def test_unknown_layout_is_rejected():
    with pytest.raises(ValueError, match="Unknown layout 'fancy'"):
        pdf_invoice(INVOICES["two-rates-eur"], "fancy")
