"""Bounded resources for every input (issue 16): each bomb is refused with the limit it
passed, and reading it costs less than a gigabyte of resident memory.

Each bomb is read in a child process (tests.memory) whose peak resident memory (VmHWM) is
measured, and whose address space is capped, so code without the limits fails the test
instead of taking the machine down.
"""

import zlib

import pytest

from extraction.extract import extract_source
from extraction.readers.pdf_streams import check_pdf_streams
from extraction.types import OverLimit, SourceFile
from tests.bombs import (
    blank_tiff,
    deflated_zeros,
    image_pdf,
    jpeg,
    jpeg2000_saying,
    jpeg_saying,
    one_page_pdf,
    pdf,
    stream,
    xref_stream_pdf,
)
from tests.memory import GOAL, measured

MB = 1024 * 1024

# The child reads the file named by $BOMB as a worker does, and says how it was refused.
EXTRACT = """
from extraction.extract import extract_source
from extraction.types import SourceFile, UnreadableDocument
data = open(os.environ["BOMB"], "rb").read()
try:
    extract_source(SourceFile("bomb", data))
    result = {"read": True}
except UnreadableDocument as exc:
    result = {"message": str(exc), "details": exc.details()}
"""


# The child only checks the file named by $BOMB, as the screen does before drawing pages.
CHECK = """
from extraction.readers.pdf_streams import check_pdf_streams
from extraction.types import OverLimit
try:
    check_pdf_streams(open(os.environ["BOMB"], "rb").read())
    result = {"passed": True}
except OverLimit as exc:
    result = {"message": str(exc), "details": exc.details()}
"""

GREY = b"/ColorSpace /DeviceGray /BitsPerComponent 8"


def _check(tmp_path, data: bytes):
    path = tmp_path / "bomb.pdf"
    path.write_bytes(data)
    return measured(CHECK, BOMB=str(path))


def _extract(tmp_path, data: bytes):
    path = tmp_path / "bomb"
    path.write_bytes(data)
    return measured(EXTRACT, BOMB=str(path), OCR_CACHE_DIR=str(tmp_path / "ocr"))


def test_a_multi_page_tiff_bomb_is_refused_before_a_page_is_decoded(tmp_path):
    # 50 pages of 6000 x 6000 (each under MAX_PIXELS): 77 KB that decoded to 8 GB.
    tiff = blank_tiff(50, 6000, 6000)
    assert len(tiff) < 100_000

    result, peak = _extract(tmp_path, tiff)

    assert result["details"]["limit"] == "MAX_DOCUMENT_PIXELS"
    assert "pixels in all" in result["message"]
    assert peak < GOAL, f"peak resident memory {peak / MB:.0f} MB"


def test_a_pdf_whose_attachment_inflates_to_a_gibibyte_is_refused_while_inflating(tmp_path):
    bomb = one_page_pdf(attachment=deflated_zeros(1024 * MB))
    assert len(bomb) < 2 * MB

    result, peak = _extract(tmp_path, bomb)

    assert result["details"]["limit"] == "MAX_INFLATED_BYTES"
    assert result["message"].startswith("An attachment in the PDF inflates to more than")
    assert peak < GOAL, f"peak resident memory {peak / MB:.0f} MB"


def test_a_pdf_whose_page_content_inflates_to_512_mb_is_refused_while_inflating(tmp_path):
    bomb = one_page_pdf(deflated_zeros(512 * MB), filters=b"/Filter /FlateDecode")

    result, peak = _extract(tmp_path, bomb)

    assert result["details"] == {
        "limit": "MAX_INFLATED_BYTES",
        "actual": result["details"]["actual"],
        "maximum": 64 * MB,
    }
    assert result["details"]["actual"] > 64 * MB
    assert "page contents, fonts and attachments inflate" in result["message"]
    assert peak < GOAL, f"peak resident memory {peak / MB:.0f} MB"


@pytest.mark.parametrize(
    "filters",
    [b"/Filter /FlateDecode", b"/Filter [/ASCIIHexDecode /FlateDecode]"],
    ids=["flate", "hex-then-flate"],
)
def test_streams_under_the_limit_are_read_as_before(settings, filters):
    content = b"BT /F1 12 Tf 72 770 Td (Invoice INV-77 Total 100.00 EUR) Tj ET"
    encoded = zlib.compress(content)
    if b"ASCIIHex" in filters:
        encoded = encoded.hex().encode() + b">"
    document = one_page_pdf(encoded, filters=filters)

    check_pdf_streams(document)  # no limit passed
    words = [w.text for w in extract_source(SourceFile("ok.pdf", document)).words]
    assert "INV-77" in words

    settings.MAX_INFLATED_BYTES = 10  # the same file, over a tiny limit
    with pytest.raises(OverLimit, match="inflate to more than 10 bytes"):
        check_pdf_streams(document)


def test_images_in_a_pdf_count_against_the_pixels_of_the_document(settings):
    image = stream(
        b"/Type /XObject /Subtype /Image /Width 4000 /Height 4000 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode",
        deflated_zeros(16 * MB),
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R /Im2 5 0 R >> >> >>",
        stream(b"", b"q 595 0 0 842 0 0 cm /Im1 Do Q"),
        image,
    ]
    document = pdf(objects)
    check_pdf_streams(document)  # 16 million pixels: under both limits

    settings.MAX_DOCUMENT_PIXELS = 10_000_000
    with pytest.raises(OverLimit) as refused:
        check_pdf_streams(document)
    assert refused.value.details()["limit"] == "MAX_DOCUMENT_PIXELS"


def test_a_page_of_10_by_14400_points_is_drawn_within_the_screen_box(tmp_path):
    # At the screen's width this page would be 1100 x 1,584,000 pixels: 7 GB for pdfium.
    path = tmp_path / "tall.pdf"
    path.write_bytes(one_page_pdf(size=(10, 14400)))
    code = """
    import io, types
    from PIL import Image
    from core import pages
    data = open(os.environ["TALL"], "rb").read()
    document = types.SimpleNamespace(
        pk=1, sha256="tall", content_type="application/pdf", read_bytes=lambda: data
    )
    png = pages.page_png(document, 1)
    result = list(Image.open(io.BytesIO(png)).size) if png else None
    """
    size, peak = measured(code, TALL=str(path), OCR_CACHE_DIR=str(tmp_path / "cache"))

    assert size is not None, "the page is drawn"
    width, height = size
    assert width <= 1100
    assert 3000 < height <= 3300  # the whole length, scaled down, not a strip of it
    assert peak < GOAL, f"peak resident memory {peak / MB:.0f} MB"


@pytest.mark.parametrize(
    "image",
    [
        b"/Filter /JPXDecode",
        b"/Filter /DCTDecode",
        b"/Filter [/ASCIIHexDecode /DCTDecode]",
        b"/Filter /JPXDecode /JP2",
    ],
    ids=["jpx-codestream", "dct", "hex-then-dct", "jpx-jp2-file"],
)
def test_an_image_whose_header_says_more_pixels_than_its_dictionary_is_refused(tmp_path, image):
    # The dictionary says 64 x 64, the JPEG's SOF or the JPEG 2000 SIZ 60000 x 60000:
    # pdfium allocates what the header says (14 GB) and the process dies.
    if b"JPX" in image:
        data = jpeg2000_saying(60000, 60000, jp2=image.endswith(b"/JP2"))
        image = b"/Filter /JPXDecode"
    else:
        data = jpeg_saying(60000, 60000)
    if b"ASCIIHex" in image:
        data = data.hex().encode() + b">"
    bomb = image_pdf(b"/Width 64 /Height 64 %s %s" % (GREY, image), data)
    assert len(bomb) < 5000

    result, peak = _check(tmp_path, bomb)

    assert result["details"] == {
        "limit": "MAX_PIXELS",
        "actual": 60000 * 60000,
        "maximum": 40_000_000,
    }
    assert "60000 x 60000 pixels" in result["message"]
    assert peak < GOAL, f"peak resident memory {peak / MB:.0f} MB"


def test_jpeg_header_pixels_count_against_the_document(settings):
    # 64 x 64 by the dictionary, 3000 x 3000 by the header: 9 million pixels counted.
    document = image_pdf(
        b"/Width 64 /Height 64 %s /Filter /DCTDecode" % GREY, jpeg_saying(3000, 3000)
    )
    check_pdf_streams(document)

    settings.MAX_DOCUMENT_PIXELS = 8_000_000
    with pytest.raises(OverLimit) as refused:
        check_pdf_streams(document)
    assert refused.value.details()["actual"] == 9_000_000


def test_a_pdf_with_a_real_jpeg_passes_and_is_read(settings):
    document = image_pdf(b"/Width 300 /Height 200 %s /Filter /DCTDecode" % GREY, jpeg(300, 200))

    check_pdf_streams(document)

    settings.MAX_DOCUMENT_PIXELS = 59_999  # the JPEG's own 300 x 200, counted once
    with pytest.raises(OverLimit, match="MAX_DOCUMENT_PIXELS"):
        check_pdf_streams(document)


@pytest.mark.parametrize("bombed", ["xref", "objstm"])
def test_a_pdf_whose_cross_reference_or_object_stream_inflates_to_a_gibibyte_is_refused(
    tmp_path, bombed
):
    # pdfminer inflates both while opening the file, before a stream can be listed.
    zeros = deflated_zeros(1024 * MB)
    bomb = xref_stream_pdf(
        **({"xref_data": zeros} if bombed == "xref" else {"objects_stream": zeros})
    )
    assert len(bomb) < 2 * MB

    result, peak = _check(tmp_path, bomb)

    assert result["details"]["limit"] == "MAX_INFLATED_BYTES"
    assert result["details"]["maximum"] == 64 * MB
    assert "cross-reference and object streams inflate" in result["message"]
    assert peak < GOAL, f"peak resident memory {peak / MB:.0f} MB"


def test_a_pdf_with_a_cross_reference_stream_passes_and_is_read(settings):
    document = xref_stream_pdf()

    check_pdf_streams(document)
    words = [w.text for w in extract_source(SourceFile("ok.pdf", document)).words]
    assert "INV-1" in words

    settings.MAX_INFLATED_BYTES = 100  # the xref and object streams count too
    with pytest.raises(OverLimit, match="cross-reference and object streams"):
        check_pdf_streams(document)
