"""Choosing a reader, and refusing files that cannot be read with a clear message."""

import random
from decimal import Decimal

import pytest
from fpdf import FPDF

from core.demo_documents import ubl_xml
from core.demo_pdf import pdf_invoice
from extraction.extract import READERS, extract_path, extract_source
from extraction.types import SourceFile, UnreadableDocument
from tests.factories import demo_invoice

INVOICE = demo_invoice()


def _source(data: bytes, name="invoice.pdf") -> SourceFile:
    return SourceFile(name=name, data=data)


def test_parsed_readers_come_before_guessing_ones():
    names = [reader.name for reader in READERS]
    # E-invoice XML, then XML carried inside a PDF, and only then the PDF's text layer.
    assert names.index("xml") < names.index("pdf-xml") < names.index("pdf-text")


def test_empty_file_is_refused():
    with pytest.raises(UnreadableDocument, match=r"The file is empty \(0 bytes\)"):
        extract_source(_source(b""))


def test_truncated_pdf_is_refused():
    data = pdf_invoice(INVOICE, "classic")

    with pytest.raises(UnreadableDocument, match="The PDF is damaged or truncated"):
        extract_source(_source(data[: len(data) // 2]))


def test_pdf_with_a_broken_body_is_refused():
    data = pdf_invoice(INVOICE, "classic")
    broken = data[:200] + b"\x00garbage" * 50 + data[-30:]

    with pytest.raises(UnreadableDocument, match="The PDF is damaged or truncated"):
        extract_source(_source(broken))


@pytest.mark.slow
def test_pdf_without_text_layer_or_readable_scan_is_refused():
    # A page with no text layer is OCRed (tests/extraction/test_ocr.py); here OCR finds
    # only a black box.
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 50, style="F")

    with pytest.raises(UnreadableDocument, match="no text layer and OCR found no text"):
        extract_source(_source(bytes(pdf.output())))


def test_password_protected_pdf_is_refused():
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica")
    pdf.cell(text="Invoice No: A-1")

    with pytest.raises(UnreadableDocument, match="protected by a password"):
        extract_source(_source(bytes(pdf.output())))


def test_pdf_restricted_only_by_an_owner_password_is_read():
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner")
    pdf.add_page()
    pdf.set_font("Helvetica")
    pdf.cell(text="Invoice No: A-1")

    assert extract_source(_source(bytes(pdf.output()))).value("invoice_number") == "A-1"


def test_random_bytes_are_not_a_supported_format():
    data = random.Random(7).randbytes(4096)

    with pytest.raises(UnreadableDocument, match=r"junk\.bin is not a supported invoice format"):
        extract_source(_source(data, name="junk.bin"))


def test_plain_text_is_not_a_supported_format():
    with pytest.raises(
        UnreadableDocument, match=r"\(PDF, e-invoice XML, or a PNG, JPEG or TIFF scan\)"
    ):
        extract_source(_source(b"Invoice 42, please pay 100 EUR", name="mail.txt"))


def test_content_decides_not_the_file_name():
    result = extract_source(_source(ubl_xml(INVOICE), name="invoice.pdf"))

    assert result.format == "ubl"
    assert result.value("invoice_number") == "INV-2026-0001"


def test_xml_with_byte_order_mark_and_whitespace_is_read():
    result = extract_source(_source(b"\xef\xbb\xbf\n  " + ubl_xml(INVOICE), name="x.xml"))

    assert result.value("total_amount") == Decimal("297.50")


def test_extract_path_reads_a_file(tmp_path):
    path = tmp_path / "inv.pdf"
    path.write_bytes(pdf_invoice(INVOICE, "german"))

    result = extract_path(path)

    assert result.format == "pdf-text"
    assert result.value("total_amount") == Decimal("297.50")
    assert result.fields["total_amount"].provenance.page == 1


def test_extract_path_of_a_missing_file_is_unreadable(tmp_path):
    with pytest.raises(UnreadableDocument, match="does not exist"):
        extract_path(tmp_path / "nope.pdf")


def test_unexpected_reader_error_becomes_unreadable(monkeypatch):
    def explode(source):
        raise KeyError("/Root")

    pdf_text = next(reader for reader in READERS if reader.name == "pdf-text")
    monkeypatch.setattr(pdf_text, "read", explode)

    with pytest.raises(UnreadableDocument, match="could not be read"):
        extract_source(_source(pdf_invoice(INVOICE, "classic")))
