"""OCR results are cached by the page's content, so reprocessing costs no OCR."""

from PIL import Image, ImageDraw

from extraction.ocr import OcrWord, ocr_words


class CountingEngine:
    """Stands in for easyocr here only to count calls; the engine itself is tested in
    test_ocr.py."""

    name = "counting"

    def __init__(self):
        self.calls = 0

    def read(self, image):
        self.calls += 1
        return [OcrWord("INV-42", 0.99, 10, 20, 60, 30)]


def _page(text: str) -> Image.Image:
    image = Image.new("RGB", (200, 100), "white")
    ImageDraw.Draw(image).text((10, 20), text, fill="black")
    return image


def test_the_same_page_is_read_once():
    engine = CountingEngine()

    first = ocr_words(_page("INV-42"), page=1, dpi=200, engine=engine)
    again = ocr_words(_page("INV-42"), page=3, dpi=200, engine=engine)

    assert engine.calls == 1
    assert [w.text for w in first] == [w.text for w in again] == ["INV-42"]
    assert again[0].page == 3  # placement is per call, only the reading is cached
    assert (again[0].x0, again[0].top) == (3.6, 7.2)


def test_another_page_or_another_engine_reads_again():
    engine = CountingEngine()
    ocr_words(_page("INV-42"), page=1, dpi=200, engine=engine)
    ocr_words(_page("INV-43"), page=1, dpi=200, engine=engine)
    assert engine.calls == 2

    other = CountingEngine()
    other.name = "other"
    ocr_words(_page("INV-42"), page=1, dpi=200, engine=other)
    assert other.calls == 1
