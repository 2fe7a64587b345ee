"""A field read from a scan is only as sure as the words it stands on (issue 18, item 5):
the extractor's confidence in its pick times the recogniser's confidence in the least sure
word of the value, so a value from a noisy scan goes to a person instead of through; and a
field model ranks a scan's fields only where it was calibrated on held-out scans."""

import json
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest

from extraction.fields import extract_fields
from extraction.layout import Word
from extraction.ocr import ocr_words, weigh_by_reading
from extraction.ranker import FieldModel, FieldRanker, find_fields, using
from extraction.readers.pdf_text import pdf_words
from extraction.training import corpus_documents, load_labelled_set, load_scanned_set, train
from extraction.types import ExtractedField, ExtractionResult, Provenance
from tests.extraction.test_learning import kestrel_invoice
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


def _kestrel_scan(doubt: dict[str, float]) -> list[Word]:
    """The Kestrel invoice's words as OCR would hand them over: each word read with
    confidence 0.98, those named in `doubt` with the confidence given."""
    return [
        replace(word, confidence=doubt.get(word.text, 0.98))
        for word in pdf_words(kestrel_invoice("DK-2026-0042"))
    ]


def test_a_model_not_measured_on_scans_leaves_them_to_the_rules():
    words = _kestrel_scan({"150,00": 0.5})
    calibrated = FieldRanker(
        features=[], kind="rules", calibration_x=[0.0, 1.0], calibration_y=[0.9, 0.99]
    )
    model = FieldModel({"net_amount": calibrated}, about={})
    rules = extract_fields(words, fmt="image-ocr", method="ocr")
    weigh_by_reading(rules)

    with using(model):
        result = find_fields(words, fmt="image-ocr", method="ocr")

    assert not model.reads_scans
    # The text layers' calibration (0.9 and more) is not applied to a scan's reading.
    assert result.fields["net_amount"] == rules.fields["net_amount"]
    assert result.fields["net_amount"].confidence < 0.5


def test_a_model_measured_on_scans_maps_the_pick_weighed_by_its_reading():
    words = _kestrel_scan({"150,00": 0.5})
    ranker = FieldRanker(
        features=[],
        kind="rules",
        calibration_x=[0.0, 1.0],
        calibration_y=[0.9, 0.99],
        scan_calibration_x=[0.1, 0.9],
        scan_calibration_y=[0.05, 0.85],
    )
    model = FieldModel({"net_amount": ranker}, about={})
    picked = extract_fields(words, fmt="image-ocr", method="ocr").fields

    with using(model):
        result = find_fields(words, fmt="image-ocr", method="ocr")

    assert model.reads_scans
    net = result.fields["net_amount"]
    assert net.value == Decimal("150.00")
    # Once: the rules' confidence times the reading (0.5), through the scans' calibration.
    expected = np.interp(picked["net_amount"].confidence * 0.5, [0.1, 0.9], [0.05, 0.85])
    assert net.confidence == pytest.approx(expected, abs=1e-4)
    # A field the model does not rank is weighed by its reading as before.
    assert result.fields["total_amount"].confidence == round(
        picked["total_amount"].confidence * 0.98, 3
    )


@pytest.mark.slow
def test_training_with_scans_calibrates_them_apart():
    documents = corpus_documents(count=44)
    scans = []
    for index, document in enumerate(documents):
        document.real = index % 2 == 0
        if document.real:
            # The same page "scanned": every word read, a few unsurely.
            words = [
                replace(word, confidence=0.6 if position % 7 == 0 else 0.97)
                for position, word in enumerate(document.words)
            ]
            scans.append(replace(document, name=f"{document.name}.png", words=words, method="ocr"))

    model = train([*documents, *scans], kinds=("rules", "logistic"))

    assert model.about["scans"] == len(scans)
    assert model.reads_scans
    measured = [r for r in model.rankers.values() if r.scan_calibration_x]
    assert measured
    for ranker in measured:
        assert ranker.scan_calibration_y == sorted(ranker.scan_calibration_y)
        assert all(0.0 <= y <= 1.0 for y in ranker.scan_calibration_y)


def test_a_labelled_sets_scans_are_read_by_ocr_in_their_pdfs_group(tmp_path, monkeypatch):
    files = tmp_path / "realset" / "files"
    files.mkdir(parents=True)
    (files / "a.pdf").write_bytes(kestrel_invoice("DK-1"))
    for name in ("a.png", "photo.jpg"):
        _page("INV-42").save(files / name)
    rows = [
        # A PDF and its page-1 picture; the due date is printed on page 2 only.
        {"file": "a.pdf", "image": "files/a.png", "layout": "kestrel",
         "fields": {"invoice_number": "DK-1", "due_date": "2026-11-13"},
         "printed_page1": ["invoice_number"]},
        {"file": "photo.jpg", "layout": "shop", "fields": {"invoice_number": "INV-42"}},
        {"file": "b.xml", "layout": "x", "fields": {}},
    ]  # fmt: skip
    (tmp_path / "realset" / "truth.jsonl").write_text(
        "\n".join(json.dumps(row) for row in rows), encoding="utf-8"
    )
    engine = CountingEngine()
    monkeypatch.setattr("extraction.ocr.default_engine", lambda: engine)

    scans = load_scanned_set(tmp_path / "realset")
    texts = load_labelled_set(tmp_path / "realset")

    assert [(d.name, d.group, d.method, d.truth) for d in scans] == [
        ("a.png", "realset:kestrel", "ocr", {"invoice_number": "DK-1"}),
        ("photo.jpg", "realset:shop", "ocr", {"invoice_number": "INV-42"}),
    ]
    assert [(d.name, d.group, d.method) for d in texts] == [("a.pdf", "realset:kestrel", "text")]
    assert engine.calls == 2
    assert [w.text for w in scans[1].words] == ["INV-42"]
