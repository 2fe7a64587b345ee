"""PDFs carrying their e-invoice (Factur-X, ZUGFeRD 1.0/2.x, XRechnung) and credit notes."""

import pytest

from core.demo_documents import cii_xml, ubl_xml, zugferd1_xml
from core.demo_pdf import pdf_invoice
from extraction.extract import extract_source
from extraction.types import SourceFile
from tests.extraction.en16931 import EXAMPLES, needs_examples
from tests.factories import demo_invoice

INVOICE = demo_invoice()


def _read(data: bytes, name="invoice.pdf"):
    return extract_source(SourceFile(name, data))


@pytest.mark.parametrize(
    ("attachment_name", "xml", "fmt"),
    [
        ("factur-x.xml", cii_xml(INVOICE), "pdf+cii"),  # Factur-X, ZUGFeRD 2.1+
        ("zugferd-invoice.xml", cii_xml(INVOICE), "pdf+cii"),  # ZUGFeRD 2.0
        ("ZUGFeRD-invoice.xml", zugferd1_xml(INVOICE), "pdf+zugferd1"),  # ZUGFeRD 1.0
        ("xrechnung.xml", ubl_xml(INVOICE), "pdf+ubl"),  # XRechnung in a PDF
        ("rechnung_4711.xml", cii_xml(INVOICE), "pdf+cii"),  # any other name
    ],
)
def test_the_xml_inside_a_pdf_is_parsed_not_guessed(attachment_name, xml, fmt):
    result = _read(pdf_invoice(INVOICE, "modern", attachment=(attachment_name, xml)))

    assert result.format == fmt
    assert result.value("invoice_number") == "INV-2026-0001"
    assert str(result.value("total_amount")) == "297.50"
    assert result.value("vendor_iban") == "DE89370400440532013000"
    assert result.fields["total_amount"].confidence == 1.0
    assert result.fields["total_amount"].provenance.method == "xml"
    assert [line.item_code for line in result.lines] == ["P-100"]


def test_zugferd_1_xml_on_its_own_reads_every_field():
    result = _read(zugferd1_xml(INVOICE), "zugferd.xml")
    fields = result.as_json()["fields"]
    assert result.format == "zugferd1"
    assert fields["vendor_vat_id"] == "DE123456789"
    assert fields["invoice_date"] == "2026-10-10"
    assert fields["due_date"] == "2026-11-09"
    assert (fields["net_amount"], fields["tax_amount"]) == ("250.00", "47.50")
    assert fields["po_number"] == "4500001"


@pytest.mark.parametrize(
    "attachment",
    [
        ("notes.xml", b"<?xml version='1.0'?><notes><note>not an invoice</note></notes>"),
        ("factur-x.xml", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'),
    ],
)
def test_an_unusable_attachment_falls_back_to_the_pages(attachment):
    result = _read(pdf_invoice(INVOICE, "classic", attachment=attachment))
    assert result.format == "pdf-text"
    assert result.value("invoice_number") == "INV-2026-0001"


@needs_examples
def test_credit_notes_are_flagged_in_every_syntax():
    cii_credit = cii_xml(INVOICE).replace(
        b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>381</ram:TypeCode>"
    )
    ubl_credit = (EXAMPLES / "ubl" / "ubl-tc434-creditnote1.xml").read_bytes()

    assert _read(cii_credit, "c.xml").document_type == "credit_note"
    assert _read(cii_credit, "c.xml").format == "cii-creditnote"
    assert _read(ubl_credit, "u.xml").document_type == "credit_note"
    assert _read(cii_xml(INVOICE), "i.xml").document_type == "invoice"
    assert _read(cii_credit, "c.xml").as_json()["document_type"] == "credit_note"
