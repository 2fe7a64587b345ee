"""Turning pages upright (extraction.ocr.orientation) on the page kinds that arrive: a till
receipt (tall, narrow, its prices in columns), a letter-size invoice, each sideways and
askew; and the real receipts and scans of ../shared/data where they are beside the checkout.

Issue 18: 48 of 70 real receipts and scans were read sideways, because the ink of a tall
narrow receipt piles up as unevenly in columns as in rows; every receipt read as noise.
"""

from pathlib import Path

import pypdfium2
import pytest
from fpdf import FPDF
from PIL import Image

from extraction.ocr.orientation import rotate, upright_angle

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ITEMS = ["BREAD WHITE 400G", "MILK 1L", "EGGS 10", "COFFEE 250G", "APPLES 1KG", "RICE 5KG"]


def _render(pdf: FPDF) -> Image.Image:
    page = pypdfium2.PdfDocument(bytes(pdf.output()))[0]
    return page.render(scale=200 / 72, grayscale=True).to_pil().convert("L")


def receipt() -> Image.Image:
    """A till slip 58 mm wide: the shop centred at the top, items with prices in a column,
    totals, a date and time: the shape of the SROIE receipts."""
    pdf = FPDF(format=(58, 160))
    pdf.add_page()
    pdf.set_margins(3, 3)
    pdf.set_font("Courier", size=7)
    for line in (
        "KEDAI RUNCIT MAJU SDN BHD",
        "CO. NO. 123456-X",
        "NO 5 JALAN SAGU 18",
        "GST NO 0001",
    ):
        pdf.cell(52, 3.2, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.cell(52, 3.2, "DATE 25/12/2018   TIME 13:05", new_x="LMARGIN", new_y="NEXT")
    for number, item in enumerate(ITEMS * 3):
        pdf.cell(36, 3.2, item)
        pdf.cell(16, 3.2, f"{number + 1}.{number % 10}0", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, amount in (("TOTAL", "38.40"), ("ROUNDING", "0.00"), ("CASH", "50.00")):
        pdf.cell(36, 3.2, label)
        pdf.cell(16, 3.2, amount, align="R", new_x="LMARGIN", new_y="NEXT")
    return _render(pdf)


def letter() -> Image.Image:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 8, "INVOICE INV-2026-0042", new_x="LMARGIN", new_y="NEXT")
    for number in range(25):
        pdf.cell(120, 6, f"Item {number}: copy paper, toner and office supplies")
        pdf.cell(40, 6, f"{number * 3}.50 EUR", align="R", new_x="LMARGIN", new_y="NEXT")
    return _render(pdf)


@pytest.mark.parametrize("page", [receipt, letter], ids=["receipt", "letter"])
@pytest.mark.parametrize(("turn", "expected"), [(0, 0), (90, 90), (-90, 90), (3, -3), (87, 93)])
def test_a_page_is_turned_so_its_lines_lie_flat(page, turn, expected):
    image = page().rotate(turn, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)

    angle = upright_angle(image)

    # 0 and 180 (and 90 and 270) look alike in the ink: the engine tells them apart.
    assert abs((angle - expected + 90) % 180 - 90) <= 0.5, angle


def test_a_turned_receipt_reads_across_once_rotated():
    sideways = receipt().rotate(90, expand=True, fillcolor=255)

    upright = rotate(sideways, upright_angle(sideways))

    assert upright.height > upright.width  # the slip stands tall again


@pytest.mark.skipif(not (DATA / "sroie-dev").is_dir(), reason=f"{DATA}/sroie-dev is not there")
def test_real_receipts_are_left_upright_and_found_when_turned():
    receipts = sorted((DATA / "sroie-dev" / "img").glob("*.jpg"))
    assert receipts

    sideways = [path.name for path in receipts if abs(upright_angle(Image.open(path))) > 45]
    turned = [
        path.name
        for path in receipts
        if abs(abs(upright_angle(Image.open(path).rotate(90, expand=True))) - 90) > 45
    ]

    assert (sideways, turned) == ([], [])
