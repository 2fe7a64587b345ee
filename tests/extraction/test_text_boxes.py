"""Finding the phrases of a scanned page from its ink (extraction.ocr.text_boxes).

Pages are drawn with fpdf's built-in Helvetica and rendered at 200 dpi, as a scan is read;
no OCR network is loaded, so these are quick.
"""

import numpy as np
import pypdfium2
from fpdf import FPDF

from extraction.ocr.text_boxes import find_text_boxes, reading_image

DPI = 200
MM = DPI / 25.4  # pixels per millimetre


def _page(draw, noise: float = 0.0) -> np.ndarray:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    draw(pdf)
    page = pypdfium2.PdfDocument(bytes(pdf.output()))[0]
    grey = np.asarray(page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L"))
    if noise:
        grey = grey + np.random.default_rng(3).normal(0, noise, grey.shape)
    return np.clip(grey, 0, 255).astype(np.uint8)


def _boxes(grey: np.ndarray) -> list[list[int]]:
    found = find_text_boxes(reading_image(grey))
    assert found is not None
    return sorted(found.boxes, key=lambda box: (box[2], box[0]))


def _at(boxes, x_mm: float, y_mm: float) -> list[list[int]]:
    """The boxes that contain the point (x_mm, y_mm) of the page."""
    x, y = x_mm * MM, y_mm * MM
    return [box for box in boxes if box[0] <= x <= box[1] and box[2] <= y <= box[3]]


def test_the_words_of_a_phrase_join_and_columns_stay_apart():
    def draw(pdf):
        pdf.text(20, 30, "Invoice number:")
        pdf.text(120, 30, "INV-2026-0042")

    boxes = _boxes(_page(draw, noise=12))

    assert len(boxes) == 2
    label, value = sorted(boxes)  # left to right
    # "Invoice number:" is 27 mm wide in 10pt Helvetica; the box holds all of it, colon too.
    assert label[0] <= 20 * MM <= label[0] + 6
    assert 45 * MM <= label[1] <= 50 * MM
    assert value[0] <= 120 * MM <= value[0] + 6
    # Both on the text line, whose baseline is at 30 mm and cap height about 2.5 mm.
    for box in boxes:
        assert 26 * MM <= box[2] < box[3] <= 32 * MM


def test_table_rules_do_not_join_cells_or_become_text():
    def draw(pdf):
        pdf.set_xy(20, 40)
        for text in ("Qty", "Unit price", "Amount"):
            pdf.cell(30, 8, text, border=1)
        pdf.set_xy(20, 48)
        for text in ("2", "1,531.65", "3,063.30"):
            pdf.cell(30, 8, text, border=1, align="R")

    boxes = _boxes(_page(draw, noise=10))

    assert len(boxes) == 6
    assert all(box[1] - box[0] < 30 * MM for box in boxes)  # no box spans a rule
    assert all(box[3] - box[2] < 8 * MM for box in boxes)  # nor a row's borders
    assert len(_at(boxes, 23, 44)) == 1  # "Qty"
    assert len(_at(boxes, 105, 52)) == 1  # "3,063.30", right-aligned in its cell


def test_light_text_on_a_dark_band_is_read_as_dark_on_light():
    def draw(pdf):
        pdf.set_fill_color(40, 40, 40)
        pdf.rect(15, 60, 180, 10, style="F")
        pdf.set_text_color(255, 255, 255)
        pdf.text(20, 66.5, "DESCRIPTION")
        pdf.text(150, 66.5, "LINE TOTAL")

    grey = _page(draw)
    reading = reading_image(grey)
    boxes = _boxes(grey)

    # The band is paper now and the letters ink: dark pixels where "DESCRIPTION" is.
    band = reading[round(61 * MM) : round(69 * MM), round(16 * MM) : round(194 * MM)]
    assert np.median(band) > 200
    assert reading[round(63 * MM) : round(67 * MM), round(20 * MM) : round(45 * MM)].min() < 100
    assert len(boxes) == 2
    assert _at(boxes, 25, 65)
    assert _at(boxes, 160, 65)


def test_a_filled_box_alone_is_not_text():
    def draw(pdf):
        pdf.rect(20, 20, 100, 50, style="F")

    assert _boxes(_page(draw)) == []


def test_a_blank_page_has_no_text_and_needs_no_other_detector():
    found = find_text_boxes(reading_image(_page(lambda pdf: None, noise=8)))

    assert found is not None
    assert found.boxes == []


def test_a_heading_joins_its_words_and_not_the_line_below():
    heading_end = []

    def draw(pdf):
        pdf.set_font("Helvetica", "B", size=22)
        pdf.text(100, 30, "Vandenberghe Tools SRL")
        heading_end.append(100 + pdf.get_string_width("Vandenberghe Tools SRL"))
        pdf.set_font("Helvetica", size=9)
        pdf.text(100, 35, "Rue Neuve 168")
        # Body text, as on any invoice: most of the page's letters are small.
        for line in range(6):
            pdf.text(20, 60 + 5 * line, "Payment within 30 days of the invoice date, net.")

    boxes = _boxes(_page(draw, noise=10))

    heading = _at(boxes, 105, 27)
    address = _at(boxes, 105, 34)
    assert len(heading) == 1
    assert len(address) == 1
    assert heading != address
    # All three words of the heading in one phrase, to the end of "SRL".
    assert heading[0][1] >= (heading_end[0] - 1) * MM


def test_a_page_that_is_not_print_on_paper_is_left_to_the_other_detector():
    # Heavy texture everywhere, as a photo or a patterned background: no paper to find ink on.
    texture = np.random.default_rng(5).integers(0, 255, (2339, 1654), dtype=np.uint8)

    assert find_text_boxes(reading_image(texture)) is None
