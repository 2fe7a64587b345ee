"""OCR on each kind of page that arrives (issue 18, item 2), made by the team the way the
real ones come out of a scanner or a phone: a till receipt on faded thermal paper, an
invoice photographed at an angle with a shadow across it, a grey low-contrast copy, small
print (a page printed "fit to page"), a skewed feed, and a page upside down.

The pages are the demo invoice (invented parties) and an invented till slip, rendered at
200 dpi and then put through what paper, lens and light do: a perspective warp, uneven
light, sensor noise, JPEG compression. They are not printed and photographed (no printer or
camera here); the real scans of ../shared/data are measured by `make bench`
(tests/benchmarks/bench_ocr_real.py), and tests/extraction/test_orientation.py reads the
real receipts where they are beside the checkout.

Each test asserts what a person needs from the page: the words that name and value it, read
by the product's own path (`extract_source`). OCR takes seconds a page: marked slow.
"""

import io
from datetime import date
from decimal import Decimal

import numpy as np
import pypdfium2
import pytest
from PIL import Image, ImageFilter

from core.demo_pdf import pdf_invoice
from extraction.extract import extract_source
from extraction.ocr import default_engine
from extraction.types import SourceFile
from tests.extraction.test_orientation import receipt
from tests.factories import demo_invoice

INVOICE = demo_invoice()
DPI = 200


@pytest.fixture(scope="module")
def engine():
    """The OCR engine with its networks loaded, once for the module."""
    engine = default_engine()
    engine.read(Image.new("RGB", (400, 200), "white"))
    return engine


def _rendered(layout: str) -> Image.Image:
    """The demo invoice in `layout` at 200 dpi, greyscale, as a flatbed would see it."""
    pdf = pypdfium2.PdfDocument(pdf_invoice(INVOICE, layout))
    return pdf[0].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return _rendered("classic")


def _noisy(image: Image.Image, sigma: float, seed: int = 7) -> Image.Image:
    noise = np.random.default_rng(seed).normal(0, sigma, (image.height, image.width))
    return Image.fromarray(np.clip(np.asarray(image, dtype=float) + noise, 0, 255).astype(np.uint8))


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, dpi=(DPI, DPI))
    return out.getvalue()


def _read(data: bytes, name: str):
    return extract_source(SourceFile(name=name, data=data))


def _perspective(image: Image.Image, corners, size) -> Image.Image:
    """`image` laid on a canvas of `size` with its corners at `corners` (top-left,
    top-right, bottom-right, bottom-left), the rest a dark desk."""
    width, height = image.size
    source = [(0, 0), (width, 0), (width, height), (0, height)]
    # PIL maps each output pixel back into the input: solve for the 8 coefficients of the
    # homography that takes the canvas corners to the page corners.
    rows, values = [], []
    for (x, y), (u, v) in zip(corners, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    coefficients = np.linalg.solve(np.array(rows, dtype=float), np.array(values, dtype=float))
    mask = Image.new("L", image.size, 255)
    warped = image.transform(size, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.BICUBIC)
    inside = mask.transform(size, Image.Transform.PERSPECTIVE, tuple(coefficients), Image.NEAREST)
    desk = Image.new("L", size, 60)
    desk.paste(warped, (0, 0), inside)
    return desk


def _shadow(image: Image.Image, darkest: float = 0.55) -> Image.Image:
    """A soft shadow over the left part of the page (a hand or a phone held over it) and
    light falling off towards the bottom: each pixel times a factor between `darkest` and 1."""
    width, height = image.size
    xs = np.linspace(0.0, 1.0, width)[None, :]
    ys = np.linspace(0.0, 1.0, height)[:, None]
    edge = 1 / (1 + np.exp(-(xs - 0.35 + 0.15 * ys) * 18))  # 0 in the shadow, 1 out of it
    light = (darkest + (1 - darkest) * edge) * (1 - 0.15 * ys)
    return Image.fromarray(np.clip(np.asarray(image, dtype=float) * light, 0, 255).astype(np.uint8))


def _assert_header_read(result) -> None:
    assert result.value("invoice_number") == "INV-2026-0001"
    assert result.value("invoice_date") == date(2026, 10, 10)
    assert result.value("total_amount") == Decimal("297.50")


@pytest.mark.slow
def test_a_photo_at_an_angle_with_a_shadow_across_it_is_read(engine, page):
    width, height = page.size
    size = (width + 300, height + 240)
    # Held above the page and tilted: the top edge narrower than the bottom one.
    corners = [(260, 150), (width + 40, 110), (width + 200, height + 180), (90, height + 200)]
    photo = _noisy(_shadow(_perspective(page, corners, size)), sigma=6)
    photo = photo.filter(ImageFilter.GaussianBlur(0.8))

    result = _read(_jpeg(photo, 75), "photo.jpg")

    _assert_header_read(result)


@pytest.mark.slow
def test_a_grey_low_contrast_copy_is_read(engine, page):
    # A worn copier: grey ink (about 40% darker than the paper) on grey paper.
    array = np.asarray(page, dtype=float)
    grey = Image.fromarray((165 + array / 255 * 60).astype(np.uint8))

    result = _read(_jpeg(_noisy(grey, sigma=5), 70), "copy.jpg")

    _assert_header_read(result)


@pytest.mark.slow
def test_small_print_is_read(engine, page):
    # Printed "fit to page" at 70%: 10 pt text comes out about 7 pt, x-height ~11 px at 200
    # dpi, on an A4 sheet scanned at 200 dpi.
    small = page.resize((round(page.width * 0.7), round(page.height * 0.7)), Image.LANCZOS)
    sheet = Image.new("L", page.size, 255)
    sheet.paste(small, ((page.width - small.width) // 2, 60))

    result = _read(_jpeg(_noisy(sheet, sigma=4), 85), "small.jpg")

    _assert_header_read(result)


@pytest.mark.slow
@pytest.mark.parametrize("angle", [4.0, 180.0], ids=["skewed feed", "upside down"])
def test_a_skewed_or_upside_down_scan_is_read(engine, page, angle):
    turned = page.rotate(angle, expand=True, fillcolor=255, resample=Image.BICUBIC)

    result = _read(_jpeg(_noisy(turned, sigma=6), 80), "turned.jpg")

    _assert_header_read(result)


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="known: the recogniser reads a euro sign set against the digits ('€297.50', the "
    "'modern' layout) as a digit ('6297.50'); the amount is then wrong, not missing",
)
def test_a_euro_sign_against_the_amount_is_not_read_as_a_digit(engine):
    scan = _noisy(_rendered("modern"), sigma=4)

    result = _read(_jpeg(scan, 85), "modern.jpg")

    assert result.value("total_amount") == Decimal("297.50")


@pytest.mark.slow
def test_a_faded_thermal_receipt_photographed_is_read(engine):
    # Thermal print fades unevenly: ink at 45-70% of the paper's darkness, a lighter band
    # down the slip where the print head wears, on a desk, with sensor noise.
    slip = np.asarray(receipt(), dtype=float)
    height, width = slip.shape
    band = 1 - 0.35 * np.exp(-(((np.arange(width) - width * 0.6) / (width * 0.12)) ** 2))
    ink = 1 - slip / 255  # 1 where black
    faded = 238 - ink * 150 * band[None, :]
    image = Image.fromarray(np.clip(faded, 0, 255).astype(np.uint8))
    desk = Image.new("L", (width + 160, height + 160), 70)
    desk.paste(image.rotate(-2, expand=True, fillcolor=70), (80, 70))

    result = _read(_jpeg(_noisy(desk, sigma=5), 75), "receipt.jpg")

    assert result.document_kind == "receipt"
    assert "KEDAI RUNCIT" in result.value("vendor_name")
    assert result.value("invoice_date") == date(2018, 12, 25)
    assert result.value("total_amount") == Decimal("38.40")
