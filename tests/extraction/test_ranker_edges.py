"""Hostile and unlucky inputs for the learned field finder: long documents, broken model
files, calibration edges, the joint net/tax/total pick, and training on thin data."""

import json
import os
import signal
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fpdf import FPDF

from extraction import ranker
from extraction.checks import check_field_model
from extraction.extract import extract_source
from extraction.ranker import (
    ABSTAIN_BELOW,
    MODEL_PATH,
    FieldModel,
    FieldRanker,
    active_model,
    analyse,
    find_fields,
    pick,
    using,
)
from extraction.readers.pdf_text import pdf_words
from extraction.training import LabelledDocument, cross_validate, ranked_result, train
from extraction.types import SourceFile
from tests.extraction.test_learning import kestrel_invoice
from tests.extraction.test_ranker import _by_value
from tests.factories import page

KESTREL_TRUTH = {
    "invoice_date": "2026-10-14",
    "net_amount": "150.00",
    "tax_amount": "28.50",
    "total_amount": "178.50",
    "vendor_name": "Kestrel Tooling GmbH",
}


def _kestrels(groups, **truth):
    """Kestrel invoices, one per entry of `groups` (its layout group), with `truth`."""
    return [
        LabelledDocument(
            name=f"k{index}",
            group=group,
            words=pdf_words(kestrel_invoice(f"DK-2026-{index:04d}")),
            truth={**KESTREL_TRUTH, "invoice_number": f"DK-2026-{index:04d}", **truth},
        )
        for index, group in enumerate(groups)
    ]


def _use_model_file(monkeypatch, path):
    """Point the shipped-model loading at `path` (FieldModel.load's default path is bound
    when the module is imported, so patching MODEL_PATH alone is not enough)."""
    monkeypatch.setattr(ranker, "MODEL_PATH", path)
    monkeypatch.setattr(FieldModel.load.__func__, "__defaults__", (path,))
    monkeypatch.setattr(ranker, "_loaded", {})


# --- the model file ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    ["", '{"about": {}, "fields": {"net_amount": {"feat', "null", '{"fields": []}'],
    ids=["empty", "truncated", "null", "fields-a-list"],
)
def test_a_broken_model_file_leaves_pdf_uploads_to_the_rules(monkeypatch, tmp_path, content):
    # Shows a broken model file makes every PDF "unreadable" (the JSON error blames the PDF).
    path = tmp_path / "field_ranker.json"
    path.write_text(content)
    _use_model_file(monkeypatch, path)

    result = extract_source(SourceFile("k.pdf", kestrel_invoice("DK-2026-0042")))

    assert result.fields["total_amount"].value == Decimal("178.50")


def test_ocr_words_are_read_by_the_rules_even_when_the_model_file_is_broken(monkeypatch, tmp_path):
    # Shows scans (which never use the model) fail too: find_fields loads it before asking.
    path = tmp_path / "field_ranker.json"
    path.write_text("")
    _use_model_file(monkeypatch, path)
    words = page((10, (10, "Rechnung Nr. R-7")), (30, (10, "Gesamtbetrag"), (300, "119,00")))

    result = find_fields(words, fmt="image-ocr", method="ocr")

    assert result.fields["total_amount"].value == Decimal("119.00")


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda payload: payload["fields"]["net_amount"].update(kind="xgboost"), "kind"),
        (
            lambda payload: payload["fields"].update(
                discount_amount={"features": [], "kind": "rules"}
            ),
            "field",
        ),
    ],
)
def test_a_model_file_with_an_unknown_kind_or_field_is_refused_when_loaded(tmp_path, change, why):
    # Shows load() accepts them; the upload then fails at scoring (or silently runs "logistic").
    path = tmp_path / "model.json"
    FieldModel({"net_amount": FieldRanker(features=[], kind="rules")}, about={}).save(path)
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))

    with pytest.raises(ValueError, match=why):
        FieldModel.load(path)


def test_active_model_loads_the_file_whose_existence_it_checked(monkeypatch, tmp_path):
    # Shows active_model() checks MODEL_PATH but loads FieldModel.load's import-time default.
    path = tmp_path / "field_ranker.json"
    FieldModel({}, about={"marker": "mine"}).save(path)
    monkeypatch.setattr(ranker, "MODEL_PATH", path)
    monkeypatch.setattr(ranker, "_loaded", {})

    assert active_model().about == {"marker": "mine"}


def test_a_scanned_pdfs_ocr_words_keep_the_rules(monkeypatch):
    # Shows pdf-ocr/pdf-mixed call find_fields with method "text", so the model reads OCR words.
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.add_page()  # no text layer: a scanned page
    words = page((10, (10, "Rechnung Nr. R-7")), (30, (10, "Gesamtbetrag"), (300, "119,00")))
    # A double for tesseract, which this machine lacks: the OCR's words of the page.
    monkeypatch.setattr(
        "extraction.readers.pdf_text.scanned_page_words", lambda data, numbers: words
    )
    applied = []

    class Spy(FieldModel):
        def apply(self, result, analysis, method):
            applied.append(method)

    with using(Spy({}, about={})):
        extract_source(SourceFile("scan.pdf", bytes(pdf.output())))

    assert applied == []


# --- the joint net/tax/total pick --------------------------------------------------------


def test_one_printed_amount_is_not_both_the_net_and_the_tax():
    # Shows the triple check only keeps net and total apart: 50 + 50 "adds up" to 100.
    analysis = analyse(
        page((10, (10, "Beratung"), (300, "50,00")), (30, (10, "Summe"), (300, "100,00")))
    )
    rankers = {
        "net_amount": _by_value({50.0: 0.9}),
        "tax_amount": _by_value({50.0: 0.5}),
        "total_amount": _by_value({100.0: 0.9}),
    }

    picks = pick(rankers, analysis)

    tax = picks.get("tax_amount")
    assert tax is None or tax.candidate is not picks["net_amount"].candidate


def test_the_total_is_not_moved_to_a_zero_because_the_net_ranker_liked_the_total():
    # Shows net and total must be different words even when no net is printed: total -> 0.00.
    analysis = analyse(
        page(
            (10, (10, "Versandkosten"), (300, "0,00")),
            (20, (10, "MwSt 19%"), (300, "19,00")),
            (30, (10, "Gesamtbetrag"), (300, "119,00")),
        )
    )
    rankers = {
        "net_amount": _by_value({119.0: 0.3}),
        "tax_amount": _by_value({19.0: 0.9}),
        "total_amount": _by_value({119.0: 0.9, 0.0: 0.05}),
    }

    picks = pick(rankers, analysis)

    assert picks["total_amount"].value == Decimal("119.00")


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model shipped")
def test_the_shipped_model_does_not_read_a_zero_shipping_line_as_the_total(settings):
    # Shows the same end to end: total 0.00 at >= EXTRACTION_MIN_CONFIDENCE; rules say 119.00.
    words = page(
        (10, (10, "Acme GmbH")),
        (20, (10, "Rechnung Nr. R-1")),
        (40, (10, "Versandkosten"), (300, "0,00")),
        (50, (10, "Rabatt"), (300, "0,00")),
        (60, (10, "Bereits bezahlt"), (300, "0,00")),
        (70, (10, "MwSt 19%"), (300, "19,00")),
        (80, (10, "Gesamtbetrag"), (300, "119,00")),
    )

    total = find_fields(words).fields.get("total_amount")

    assert (
        total is None
        or total.value == Decimal("119.00")
        or (total.confidence < settings.EXTRACTION_MIN_CONFIDENCE)
    )


# --- calibration -------------------------------------------------------------------------


def test_a_score_below_every_held_out_score_does_not_borrow_the_lowest_buckets_probability():
    # Shows np.interp clamps left: a near-zero score gets the lowest bucket's 0.67.
    ranker_ = FieldRanker(
        features=[],
        kind="logistic",
        calibration_x=[0.131, 0.944, 1.229, 2.0],
        calibration_y=[0.6667, 0.6667, 0.9677, 1.0],
    )

    assert ranker_.probability(0.001) < ABSTAIN_BELOW


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model shipped")
def test_a_delivery_notes_weight_is_not_a_confident_invoice_total(settings):
    # Shows it end to end: the ranker scores 12.50 at ~0.04, the clerk sees it at 0.67.
    words = page((10, (10, "Lieferschein")), (30, (10, "Gewicht"), (300, "12,50 kg")))

    total = find_fields(words).fields.get("total_amount")

    assert total is None or total.confidence < settings.EXTRACTION_MIN_CONFIDENCE


# --- training on thin data ---------------------------------------------------------------


def test_a_field_wrong_on_every_held_out_document_loses_its_confidence(settings):
    # Shows calibration is skipped when every held-out pick was wrong: 0.85 stands.
    documents = _kestrels("abcdef", invoice_date="1999-01-01")

    model = train(documents, kinds=("rules",), fields=("invoice_date",))

    found = ranked_result(model, documents[0]).fields.get("invoice_date")
    assert found is None or found.confidence < settings.EXTRACTION_MIN_CONFIDENCE


def test_training_survives_a_field_no_document_has():
    # Shows LogisticRegression refuses one class: no PO number anywhere crashes train().
    documents = _kestrels("abcdef")

    model = train(documents, fields=("po_number",))

    assert set(model.rankers) == {"po_number"}


def test_a_model_trained_on_one_layout_claims_no_measured_confidence(settings):
    # Shows with one group nothing is held out, the last kind wins and raw scores read 0.99.
    documents = _kestrels("aaaa")

    model = train(
        documents,
        kinds=("rules", "logistic"),
        fields=("net_amount", "tax_amount", "total_amount"),
    )

    fields = ranked_result(model, documents[0]).fields
    assert all(
        fields[name].confidence < settings.EXTRACTION_MIN_CONFIDENCE
        for name in ("net_amount", "tax_amount", "total_amount")
        if name in fields
    )


def test_cross_validating_one_layout_without_the_corpus_says_why():
    # Shows folds() yields an empty training part and LightGBM dies on an empty dataset.
    documents = _kestrels("aaa")

    with pytest.raises(ValueError, match=r"layout|group"):
        cross_validate(documents, [], k=5)


def test_a_broken_model_file_fails_the_system_check(monkeypatch, tmp_path):
    path = tmp_path / "field_ranker.json"
    path.write_text('{"fields": {"net_amount": {"kind": "xgboost"}}}')
    monkeypatch.setattr(ranker, "MODEL_PATH", path)

    (error,) = check_field_model(None)

    assert error.id == "ledgerline.E007"
    assert "cannot be read" in error.msg
    path.unlink()
    assert check_field_model(None) == []  # no model at all: the rules answer, as designed


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model shipped")
def test_a_worker_forked_after_the_model_was_loaded_still_reads(tmp_path):
    # django-q2 forks its workers from the cluster process, which loads the model in the
    # system check: a LightGBM booster built before the fork hung every worker.
    FieldModel.load(MODEL_PATH)
    check_field_model(None)
    done = tmp_path / "done"
    pid = os.fork()
    if pid == 0:  # the worker: read one invoice, or be stopped after 60 s
        signal.alarm(60)
        extract_source(SourceFile("k.pdf", kestrel_invoice("DK-2026-0042")))
        done.write_text("read")
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert done.read_text() == "read"
