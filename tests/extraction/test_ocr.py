"""Scanned invoices: images and image-only PDFs read by OCR, and hostile images refused.

The scans are the demo invoice rendered at 200 dpi, then blurred, speckled and saved as a
JPEG once, as an office scanner's output looks. Tests that run OCR are slow (seconds per
page on two cores) and marked so; the refusals never reach the engine and are quick.
"""

import io
import struct
import time
import zlib
from datetime import date
from decimal import Decimal

import numpy as np
import pypdfium2
import pytest
from fpdf import FPDF
from PIL import Image, ImageFilter

from core.demo_pdf import pdf_invoice
from extraction.extract import extract_source
from extraction.ocr import default_engine, easyocr_engine
from extraction.ocr.easyocr_engine import _words
from extraction.ocr.orientation import rotate, upright_angle
from extraction.types import SourceFile, UnreadableDocument
from tests.factories import demo_invoice

INVOICE = demo_invoice()
DPI = 200

# Hostile input must fail fast instead of holding a worker: a bound far above the ~1 s these
# take, to catch a hang or a full decode, not to measure speed (that is make bench's job).
HANG_GUARD_SECONDS = 20


@pytest.fixture(scope="session")
def engine():
    """The OCR engine with its networks loaded, once for the whole run."""
    engine = default_engine()
    engine.read(Image.new("RGB", (400, 200), "white"))
    return engine


@pytest.fixture(scope="session")
def scan():
    return _scanned(pdf_invoice(INVOICE, "classic"))


def _scanned(pdf: bytes, page: int = 0) -> Image.Image:
    image = pypdfium2.PdfDocument(pdf)[page].render(scale=DPI / 72).to_pil().convert("L")
    image = image.filter(ImageFilter.GaussianBlur(0.7))
    noise = np.random.default_rng(7).normal(0, 14, (image.height, image.width))
    image = Image.fromarray(np.clip(np.asarray(image) + noise, 0, 255).astype(np.uint8))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=60)
    return Image.open(io.BytesIO(out.getvalue())).convert("L")


def _encoded(image: Image.Image, kind: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, dpi=(DPI, DPI), **options)
    return out.getvalue()


def _read(data: bytes, name: str):
    return extract_source(SourceFile(name=name, data=data))


def _assert_invoice_read(result, page: int = 1):
    assert result.value("invoice_number") == "INV-2026-0001"
    assert result.value("invoice_date") == date(2026, 10, 10)
    assert result.value("due_date") == date(2026, 11, 9)
    assert result.value("net_amount") == Decimal("250.00")
    assert result.value("tax_amount") == Decimal("47.50")
    assert result.value("total_amount") == Decimal("297.50")
    assert result.value("vendor_iban") == "DE89370400440532013000"
    assert result.value("currency") == "EUR"
    total = result.fields["total_amount"].provenance
    assert (total.method, total.page) == ("ocr", page)
    # In PDF points on an A4 page, where the demo layout prints it (right half, upper third).
    x0, top, x1, bottom = total.bbox
    assert 300 < x0 < x1 < 595
    assert 250 < top < bottom < 400


@pytest.mark.slow
def test_png_scan_is_read(engine, scan):
    result = _read(_encoded(scan, "PNG"), "scan0001.png")

    assert result.format == "image-ocr"
    _assert_invoice_read(result)


@pytest.mark.slow
def test_jpeg_scan_is_read(engine, scan):
    result = _read(_encoded(scan, "JPEG", quality=75), "scan0001.jpg")

    _assert_invoice_read(result)


@pytest.mark.slow
def test_every_page_of_a_tiff_is_read(engine, scan):
    # The invoice cut below its lines: header and lines on page 1, totals on page 2.
    first = scan.crop((0, 0, scan.width, 870))
    second = scan.crop((0, 870, scan.width, scan.height))
    tiff = _encoded(first, "TIFF", save_all=True, append_images=[second], compression="tiff_lzw")

    result = _read(tiff, "fax.tif")

    assert result.value("invoice_number") == "INV-2026-0001"
    assert result.fields["invoice_number"].provenance.page == 1
    assert result.value("total_amount") == Decimal("297.50")
    assert result.value("vendor_iban") == "DE89370400440532013000"
    assert result.fields["total_amount"].provenance.page == 2


@pytest.mark.slow
def test_image_only_pdf_is_read(engine, scan):
    result = _read(_pdf_of([scan]), "scan.pdf")

    assert result.format == "pdf-ocr"
    _assert_invoice_read(result)


@pytest.mark.slow
def test_pdf_with_a_text_page_and_a_scanned_page_is_read(engine):
    # The PO number is only on the cover letter's text layer; the rest only on the scan.
    scanned = _scanned(pdf_invoice(demo_invoice(po_number=""), "classic"))
    result = _read(
        _pdf_of(["Dear customer, our invoice follows.\nPO Number: 4500001", scanned]), "m.pdf"
    )

    assert result.format == "pdf-mixed"
    _assert_invoice_read(result, page=2)
    assert result.value("po_number") == "4500001"
    assert result.fields["po_number"].provenance.method == "text"
    assert result.fields["po_number"].provenance.page == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "turn",
    [
        pytest.param(lambda page: page.transpose(Image.Transpose.ROTATE_90), id="90-degrees"),
        pytest.param(lambda page: page.transpose(Image.Transpose.ROTATE_180), id="upside-down"),
        pytest.param(lambda page: page.rotate(-2, expand=True, fillcolor=255), id="2-degrees"),
    ],
)
def test_a_turned_page_is_read_upright(engine, scan, turn):
    result = _read(_encoded(turn(scan), "PNG"), "turned.png")

    assert result.value("invoice_number") == "INV-2026-0001"
    assert result.value("total_amount") == Decimal("297.50")


@pytest.mark.slow
def test_a_photographed_page_on_a_dark_desk_is_read(engine, scan):
    desk = Image.new("L", (scan.width + 600, scan.height + 600), 50)
    desk.paste(scan.rotate(3, expand=True, fillcolor=255), (250, 300))

    result = _read(_encoded(desk, "JPEG", quality=80), "photo.jpg")

    assert result.value("invoice_number") == "INV-2026-0001"
    assert result.value("total_amount") == Decimal("297.50")


@pytest.mark.slow
def test_a_page_that_is_not_print_on_paper_is_read_by_craft(engine, scan, monkeypatch):
    # Where the ink finder declines a page (a photo, a dark background), easyocr's own
    # detector finds the text; this forces that path on an ordinary scan.
    monkeypatch.setattr(easyocr_engine, "find_text_boxes", lambda grey: None)

    result = _read(_encoded(scan, "PNG"), "declined.png")

    assert result.value("invoice_number") == "INV-2026-0001"
    assert result.value("total_amount") == Decimal("297.50")


@pytest.mark.parametrize(("angle", "expected"), [(90, 90), (270, 90), (2, -2), (-1.5, 1.5)])
def test_the_angle_that_lays_text_lines_flat_is_found(scan, angle, expected):
    # 0 and 180 look alike in the ink; the engine tells them apart by reading.
    assert abs(upright_angle(rotate(scan, angle)) - expected) <= 0.3


def test_a_dark_desk_around_a_photographed_page_does_not_turn_it(scan):
    desk = Image.new("L", (scan.width + 600, scan.height + 600), 50)
    desk.paste(scan.rotate(3, expand=True, fillcolor=255), (250, 300))

    assert abs(upright_angle(desk) - -3) <= 0.3


def test_a_phrase_is_split_into_words_by_its_characters():
    box = [[100, 50], [210, 50], [210, 70], [100, 70]]

    words = _words(box, "Invoice No: 42", 0.9)

    assert [w.text for w in words] == ["Invoice", "No:", "42"]
    assert [(w.x0, w.x1) for w in words] == [(100.0, 155.0), (162.9, 186.4), (194.3, 210.0)]
    assert {(w.top, w.bottom) for w in words} == {(50.0, 70.0)}


def test_a_comma_read_apart_from_its_word_goes_back_to_it():
    box = [[100, 50], [230, 50], [230, 70], [100, 70]]

    words = _words(box, "May 17 , 2025", 0.8)

    # As printed: "17," parses as part of a date, a lone "," does not.
    assert [w.text for w in words] == ["May", "17,", "2025"]


def test_a_decompression_bomb_is_refused_quickly():
    bomb = _blank_png(30_000, 30_000)  # 900 million pixels in about 100 kB
    started = time.monotonic()

    with pytest.raises(UnreadableDocument, match="The image is too large to be a scanned"):
        _read(bomb, "bomb.png")
    assert time.monotonic() - started < HANG_GUARD_SECONDS


def test_an_image_larger_than_any_invoice_scan_is_refused():
    with pytest.raises(UnreadableDocument, match=r"too large \(8000 x 6000 pixels\)"):
        _read(_blank_png(8000, 6000), "poster.png")


def test_a_truncated_png_is_refused(scan):
    data = _encoded(scan, "PNG")

    with pytest.raises(UnreadableDocument, match="The PNG image is damaged or truncated"):
        _read(data[: len(data) // 2], "cut.png")


def test_a_png_signature_without_an_image_is_refused():
    with pytest.raises(UnreadableDocument, match="The PNG image is damaged or truncated"):
        _read(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "stub.png")


def test_an_empty_image_file_is_refused():
    with pytest.raises(UnreadableDocument, match=r"The file is empty \(0 bytes\)"):
        _read(b"", "scan.jpg")


def test_a_tiff_with_more_pages_than_the_limit_is_refused(settings):
    settings.MAX_OCR_PAGES = 3
    pages = [Image.new("L", (20, 20), 255) for _ in range(4)]
    tiff = _encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])

    with pytest.raises(UnreadableDocument, match="The image has 4 pages; at most 3 are read"):
        _read(tiff, "fax.tif")


def test_a_pdf_with_hundreds_of_pages_is_refused_before_reading_them():
    pdf = FPDF()
    pdf.set_font("Helvetica")
    for number in range(500):
        pdf.add_page()
        pdf.cell(text=f"Page {number + 1}")
    data = bytes(pdf.output())
    started = time.monotonic()

    with pytest.raises(UnreadableDocument, match="The PDF has more than 200 pages"):
        _read(data, "catalogue.pdf")
    assert time.monotonic() - started < HANG_GUARD_SECONDS


def _pdf_of(pages) -> bytes:
    """A PDF with one page per item: a scanned image, or text with a text layer (str)."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in pages:
        pdf.add_page()
        if isinstance(page, Image.Image):
            pdf.image(io.BytesIO(_encoded(page, "PNG")), x=0, y=0, w=210, h=297)
        else:
            pdf.multi_cell(w=0, text=page)
    return bytes(pdf.output())


def _blank_png(width: int, height: int) -> bytes:
    """A valid white 1-bit PNG of any size; zlib squeezes its rows to almost nothing."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row * 500) for _ in range(height // 500))
    body += packer.compress(row * (height % 500)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", body)
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
