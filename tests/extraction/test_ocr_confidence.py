"""A field read from a scan is only as sure as the words it stands on (issue 18, item 5):
the extractor's confidence in its pick times the recogniser's confidence in the least sure
word of the value, so a value from a noisy scan goes to a person instead of through."""

from extraction.fields import extract_fields
from extraction.layout import Word
from extraction.ocr import ocr_words, weigh_by_reading
from extraction.types import ExtractedField, ExtractionResult, Provenance
from tests.extraction.test_ocr_cache import CountingEngine, _page


def _words(confidence: float) -> list[Word]:
    line = [("Invoice", 1.0), ("No:", 1.0), ("INV-2026-0042", confidence)]
    words, x = [], 50.0
    for text, sure in line:
        words.append(Word(text, 1, x, 100.0, x + 8 * len(text), 110.0, confidence=sure))
        x += 8 * len(text) + 6
    return words


def test_a_value_read_unsurely_is_as_unsure_as_its_reading():
    sure = extract_fields(_words(0.99), fmt="image-ocr", method="ocr")
    noisy = extract_fields(_words(0.4), fmt="image-ocr", method="ocr")
    picked = noisy.fields["invoice_number"].confidence

    weigh_by_reading(sure)
    weigh_by_reading(noisy)

    assert noisy.value("invoice_number") == "INV-2026-0042"
    assert noisy.fields["invoice_number"].confidence == round(picked * 0.4, 3)
    assert sure.fields["invoice_number"].confidence == round(picked * 0.99, 3)


def test_only_the_words_inside_the_value_and_only_the_pages_read_by_ocr_count():
    words = [
        Word("INV-1", 1, 10, 10, 50, 20, confidence=0.9),
        Word("noise", 1, 60, 10, 100, 20, confidence=0.1),  # beside it, not in it
        Word("INV-2", 2, 10, 10, 50, 20, confidence=0.2),
    ]
    result = ExtractionResult(format="pdf-mixed", words=words)
    result.fields = {
        "invoice_number": ExtractedField("INV-1", 0.8, Provenance("ocr", 1, (10, 10, 50, 20))),
        "po_number": ExtractedField("INV-2", 0.8, Provenance("text", 2, (10, 10, 50, 20))),
        "currency": ExtractedField("EUR", 0.8, Provenance("text", None, None)),
    }

    weigh_by_reading(result, pages={1})

    assert result.fields["invoice_number"].confidence == 0.72
    assert result.fields["po_number"].confidence == 0.8  # page 2 has a text layer
    assert result.fields["currency"].confidence == 0.8  # no box: nothing to weigh by


def test_the_recognisers_confidence_reaches_the_words():
    engine = CountingEngine()

    words = ocr_words(_page("INV-42"), page=1, dpi=200, engine=engine)

    assert [word.confidence for word in words] == [0.99]
