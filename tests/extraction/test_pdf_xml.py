"""PDFs carrying their e-invoice (Factur-X, ZUGFeRD 1.0/2.x, XRechnung) and credit notes."""

from dataclasses import replace
from pathlib import Path

import pytest
from fpdf import FPDF

from core.demo_documents import cii_xml, ubl_xml, zugferd1_xml
from core.demo_pdf import pdf_invoice
from extraction.extract import extract_source
from extraction.types import SourceFile, UnreadableDocument
from tests.extraction.en16931 import EXAMPLES, needs_examples
from tests.extraction.hybrid_pdfs import Attached, with_attachments
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


def test_an_xml_attachment_that_is_no_invoice_is_passed_over_silently():
    attachment = ("notes.xml", b"<?xml version='1.0'?><notes><note>not an invoice</note></notes>")
    result = _read(pdf_invoice(INVOICE, "classic", attachment=attachment))
    assert result.format == "pdf-text"
    assert result.value("invoice_number") == "INV-2026-0001"
    assert result.problems == []


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


# Hybrid PDFs as senders' tools write them (issue 17): the invoice found by name, by
# associated-file relationship, by MIME type; every attachment tried; an e-invoice that
# cannot be used reported instead of silently replaced by the page.
CASES = Path(__file__).resolve().parents[3] / "shared" / "data" / "cases"
needs_cases = pytest.mark.skipif(not CASES.is_dir(), reason=f"{CASES} is not beside the checkout")
PAGE = pdf_invoice(INVOICE, "classic")
OTHER = demo_invoice(invoice_number="INV-2026-0002")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
BROKEN_CII = cii_xml(INVOICE)[:-40]  # cut off: not well-formed
DTD_CII = cii_xml(INVOICE).replace(
    b"<rsm:CrossIndustryInvoice",
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<rsm:CrossIndustryInvoice',
    1,
)


def _hybrid(*files: Attached):
    return _read(with_attachments(PAGE, *files))


def _assert_read_from_the_xml(result, number="INV-2026-0001", problems=0):
    assert result.format == "pdf+cii"
    assert result.value("invoice_number") == number
    assert result.fields["total_amount"].confidence == 1.0
    assert result.fields["total_amount"].provenance.method == "xml"
    assert len(result.problems) == problems


def test_a_standard_name_without_extension_is_the_invoice():
    # No relationship, no MIME type, the extension dropped: the name alone says it.
    attached = Attached("ZUGFeRD-invoice", cii_xml(INVOICE), mime_type=None, relationship=None)
    _assert_read_from_the_xml(_hybrid(attached))


@pytest.mark.parametrize("relationship", ["Alternative", "Data", "Source"])
def test_an_unusual_name_is_found_by_its_associated_file_relationship(relationship):
    # Listed only in the catalog's /AF, as octet-stream: pdfium's attachment list misses it.
    attached = Attached(
        "rechnungsdaten.bin", cii_xml(INVOICE), "application/octet-stream", relationship
    )
    result = _hybrid(replace(attached, in_names=False))
    _assert_read_from_the_xml(result)


@pytest.mark.parametrize("mime_type", ["text/xml", "application/xml"])
def test_an_attachment_is_found_by_its_xml_mime_type(mime_type):
    attached = Attached("e-rechnung", cii_xml(INVOICE), mime_type, relationship=None)
    _assert_read_from_the_xml(_hybrid(attached))


def test_candidates_are_tried_name_then_relationship_then_mime_type_then_bytes():
    def invoice(number):
        return cii_xml(demo_invoice(invoice_number=number))

    by_bytes = Attached("a", invoice("BY-BYTES"), "application/octet-stream", None)
    by_mime = Attached("b", invoice("BY-MIME"), "application/xml", None)
    by_relationship = Attached("c", invoice("BY-AF"), "application/octet-stream", "Source")
    by_name = Attached("factur-x.xml", invoice("BY-NAME"), "application/octet-stream", None)
    files = [by_bytes, by_mime, by_relationship, by_name]

    assert _hybrid(*files).value("invoice_number") == "BY-NAME"
    assert _hybrid(*files[:3]).value("invoice_number") == "BY-AF"
    assert _hybrid(*files[:2]).value("invoice_number") == "BY-MIME"
    assert _hybrid(*files[:1]).value("invoice_number") == "BY-BYTES"


def test_a_utf16_e_invoice_is_found_by_its_bytes_and_reported_when_broken():
    def utf16(xml: bytes) -> bytes:
        return xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")

    assert utf16(cii_xml(INVOICE)).startswith(b"\xff\xfe")
    unnamed = Attached("export", utf16(cii_xml(INVOICE)), "application/octet-stream", None)
    _assert_read_from_the_xml(_hybrid(unnamed))

    broken = replace(unnamed, data=utf16(BROKEN_CII.decode(errors="ignore").encode()))
    [problem] = _hybrid(broken).problems
    assert problem["details"]["attachment"] == "export"


def test_an_xml_that_is_no_invoice_does_not_end_the_search():
    delivery_note = b'<?xml version="1.0"?><DeliveryNote><ID>LS-1</ID></DeliveryNote>'
    result = _hybrid(
        Attached("lieferschein.xml", delivery_note),
        Attached("ZUGFeRD_001.xml", cii_xml(OTHER)),
    )
    _assert_read_from_the_xml(result, "INV-2026-0002")


def test_an_xml_that_is_no_invoice_under_the_standard_name_is_reported():
    order = b'<?xml version="1.0"?><Order><ID>PO-1</ID></Order>'
    [problem] = _hybrid(Attached("factur-x.xml", order)).problems

    assert problem["code"] == "EINVOICE_UNUSABLE"
    assert problem["details"]["attachment"] == "factur-x.xml"
    assert "not an e-invoice" in problem["details"]["reason"]


def test_a_broken_e_invoice_before_a_good_one_reads_the_good_one_and_says_so():
    """The one read may be an earlier invoice attached for reference (found by review): the
    clerk is told which was read instead of the broken one."""
    result = _hybrid(Attached("factur-x.xml", BROKEN_CII), Attached("invoice.xml", cii_xml(OTHER)))

    _assert_read_from_the_xml(result, "INV-2026-0002", problems=1)
    [problem] = result.problems
    assert problem["code"] == "EINVOICE_UNUSABLE"
    assert problem["details"] == {
        "attachment": "factur-x.xml",
        "reason": problem["details"]["reason"],
        "read_from": "invoice.xml",
    }
    assert "read from the attachment 'invoice.xml' instead" in problem["message"]


@pytest.mark.parametrize("relationship", ["Supplement", "EncryptedPayload", "FormData", "Schema"])
def test_an_attachment_related_as_something_else_is_never_taken_for_the_invoice(relationship):
    earlier = Attached("previous_invoice.xml", cii_xml(OTHER), "application/xml", relationship)
    result = _hybrid(earlier)

    assert not result.format.startswith("pdf+")  # the printed page was read
    assert result.problems == []


@pytest.mark.parametrize(
    ("attached", "reason"),
    [
        (Attached("factur-x.xml", BROKEN_CII, relationship=None), "The XML is malformed"),
        (Attached("invoice.xml", DTD_CII), "DOCTYPE/entity declaration, refused"),
        # Neither name nor relationship: its namespace says it is an e-invoice.
        (Attached("export", BROKEN_CII, "application/octet-stream", None), "malformed"),
        (Attached("factur-x.xml", b"\x00" * 20, "application/octet-stream"), "malformed"),
    ],
)
def test_an_e_invoice_that_cannot_be_used_is_reported_and_the_page_read(attached, reason):
    result = _hybrid(attached)

    assert result.format == "pdf-text"
    assert result.value("invoice_number") == "INV-2026-0001"
    [problem] = result.problems
    assert problem["code"] == "EINVOICE_UNUSABLE"
    assert problem["details"]["attachment"] == attached.name
    assert reason in problem["details"]["reason"]
    assert repr(attached.name) in problem["message"]
    assert "printed page" in problem["message"]
    assert result.as_json()["problems"] == [problem]


def test_each_unusable_e_invoice_is_reported():
    result = _hybrid(
        Attached("factur-x.xml", BROKEN_CII),
        Attached("lieferschein.xml", b"<DeliveryNote/>"),  # no invoice: not reported
        Attached("xrechnung.xml", DTD_CII),
    )
    assert result.format == "pdf-text"
    names = [problem["details"]["attachment"] for problem in result.problems]
    assert names == ["factur-x.xml", "xrechnung.xml"]


def test_an_oversized_e_invoice_is_reported_unread(monkeypatch):
    monkeypatch.setattr("extraction.readers.pdf_xml.MAX_ATTACHMENT_BYTES", 100)
    [problem] = _hybrid(Attached("factur-x.xml", cii_xml(INVOICE))).problems
    assert "larger than 100 bytes" in problem["details"]["reason"]


def test_a_broken_xml_that_claims_nothing_is_passed_over_silently():
    # No standard name, no declared relationship, no e-invoice namespace: any attachment.
    attached = Attached("notes", b"<notes><unclosed></notes>", "application/octet-stream", None)
    result = _hybrid(attached)
    assert result.format == "pdf-text"
    assert result.problems == []


def test_a_png_attachment_is_ignored():
    logo = Attached("logo.png", PNG, "image/png", None)
    plain = _hybrid(logo)
    assert plain.format == "pdf-text"
    assert plain.problems == []
    _assert_read_from_the_xml(_hybrid(logo, Attached("factur-x.xml", cii_xml(INVOICE))))


def test_a_pdf_without_attachments_reads_its_pages_with_no_problem():
    result = _read(PAGE)
    assert result.format == "pdf-text"
    assert result.problems == []


def test_a_password_protected_hybrid_pdf_is_still_explained_by_the_text_reader():
    pdf = FPDF()
    pdf.add_page()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.embed_file(bytes=cii_xml(INVOICE), basename="factur-x.xml")
    with pytest.raises(UnreadableDocument, match="protected by a password"):
        _read(bytes(pdf.output()))


@needs_cases
def test_case_c02_reads_the_xml_attached_without_extension():
    data = (CASES / "c02_facturx_attachment_without_extension.pdf").read_bytes()
    result = _read(data, "c02.pdf")
    assert result.format == "pdf+cii"
    assert all(found.confidence == 1.0 for found in result.fields.values())
    assert result.lines
    assert {str(line.tax_rate) for line in result.lines} == {"19"}
    assert result.problems == []


@needs_cases
def test_case_c03_reads_the_invoice_after_a_delivery_note():
    data = (CASES / "c03_facturx_nonstandard_name_second_xml.pdf").read_bytes()
    result = _read(data, "c03.pdf")
    assert result.format == "pdf+cii"
    assert result.value("invoice_number") == "BW-2026-0103"
    assert result.fields["total_amount"].confidence == 1.0
    assert result.problems == []
