"""The learned field finder: candidates, training by layout folds, calibration, the shipped
model, and clerk corrections as training data."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from audit import chain
from core.models import Document, Invoice, Status
from extraction.candidates import AMOUNT, DATE, NAME, RANKED_FIELDS, REFERENCE
from extraction.extract import extract_source
from extraction.ranker import (
    MODEL_PATH,
    FieldModel,
    FieldRanker,
    active_model,
    analyse,
    pick,
    using,
)
from extraction.readers.pdf_text import pdf_words
from extraction.training import (
    LabelledDocument,
    calibration,
    corpus_documents,
    correction_documents,
    folds,
    ranked_result,
    same,
    train,
)
from extraction.types import SourceFile
from tests.extraction.test_learning import kestrel_invoice
from tests.factories import make_vendor


@pytest.fixture(scope="module")
def corpus():
    """Generated invoices of several layouts, half of them standing in for real ones."""
    documents = corpus_documents(count=26)
    for index, document in enumerate(documents):
        document.real = index % 2 == 0
    return documents


def test_every_phrase_that_parses_is_a_candidate():
    analysis = analyse(pdf_words(kestrel_invoice("DK-2026-0042")))
    values = {family: {c.value for c in found} for family, found in analysis.candidates.items()}

    assert date(2026, 10, 14) in values[DATE]
    assert {Decimal("150.00"), Decimal("28.50"), Decimal("178.50")} <= values[AMOUNT]
    assert {"DK-2026-0042", "K-7781"} <= values[REFERENCE]
    assert "Kestrel Tooling GmbH" in values[NAME]
    total = next(c for c in analysis.candidates[AMOUNT] if c.value == Decimal("178.50"))
    # The arithmetic and the label are what the model sees of the total.
    assert total.features["is_sum_of_two"] == 1.0
    assert total.features["label_left_total_amount"] == 1.0


def test_folds_never_put_a_layout_in_training_and_scoring_at_once(corpus):
    parts = folds(corpus, k=4)

    held_out = [d.name for _, held in parts for d in held]
    assert sorted(held_out) == sorted(d.name for d in corpus)  # each scored exactly once
    for training, held in parts:
        assert not {d.group for d in training} & {d.group for d in held}


@pytest.mark.parametrize(
    ("name", "truth", "found", "expected"),
    [
        ("total_amount", "-119.00", Decimal("119.00"), True),  # the scorer's sign rule
        ("total_amount", "119.00", Decimal("119.01"), False),
        ("invoice_number", "KFS-2026/0815", "kfs 2026 0815", True),
        ("invoice_date", "2026-03-09", date(2026, 3, 9), True),
        ("vendor_name", "Alpenrand Technik AG", "ALPENRAND TECHNIK AG, Zürich", True),
        ("vendor_name", "Alpenrand Technik AG", "Nordlicht GmbH", False),
        ("po_number", "4500017020", None, False),
    ],
)
def test_values_compare_as_the_teams_scorer_compares_them(name, truth, found, expected):
    assert same(name, truth, found) is expected


@pytest.mark.slow
def test_a_trained_model_reads_a_layout_it_never_saw_and_survives_a_round_trip(corpus, tmp_path):
    (training, held), *_ = folds(corpus, k=3)
    model = train(training, kinds=("rules", "logistic"))

    path = tmp_path / "model.json"
    model.save(path)
    loaded = FieldModel.load(path)
    assert loaded.about["data_sha256"] == model.about["data_sha256"]
    assert set(loaded.rankers) == set(RANKED_FIELDS)
    right = total = 0
    for document in held:
        before = ranked_result(model, document)
        after = ranked_result(loaded, document)
        assert {n: (f.value, f.confidence) for n, f in before.fields.items()} == {
            n: (f.value, f.confidence) for n, f in after.fields.items()
        }
        for name in RANKED_FIELDS:
            if name in document.truth:
                found = after.fields.get(name)
                total += 1
                right += same(name, document.truth[name], found.value if found else None)
                assert found is None or 0.0 <= found.confidence <= 1.0
    assert right / total >= 0.8  # unseen generated layouts; the real figures are in the bench


def test_a_rules_ranker_keeps_the_rules_answer_with_its_measured_confidence():
    words = pdf_words(kestrel_invoice("DK-2026-0042"))
    ranker = FieldRanker(
        features=[], kind="rules", calibration_x=[0.5, 0.9], calibration_y=[0.3, 0.7]
    )
    model = FieldModel({"net_amount": ranker}, about={})
    analysis = analyse(words)
    rules_net = analysis.rules.fields["net_amount"]

    model.apply(analysis.rules, analysis, "text")

    net = analysis.rules.fields["net_amount"]
    assert net.value == rules_net.value == Decimal("150.00")
    assert net.confidence == pytest.approx(np.interp(rules_net.confidence, [0.5, 0.9], [0.3, 0.7]))


def test_using_overrides_the_shipped_model_in_this_thread_only():
    data = kestrel_invoice("DK-2026-0042")
    with using(None):
        assert active_model() is None
        rules = extract_source(SourceFile("k.pdf", data))
    assert active_model() is not None or not MODEL_PATH.exists()
    # The rules alone give their fixed confidences; nothing else changed.
    assert rules.fields["net_amount"].confidence in (0.95, 0.85, 0.6, 0.4)


@pytest.mark.skipif(not MODEL_PATH.exists(), reason="no trained model shipped")
def test_the_shipped_model_says_what_it_was_trained_on():
    model = FieldModel.load(MODEL_PATH)

    assert set(model.rankers) == set(RANKED_FIELDS)
    assert len(model.about["data_sha256"]) == 64
    assert model.about["trained_at"][:2] == "20"
    assert model.about["real_documents"] > 0
    for ranker in model.rankers.values():
        # Every answer's confidence is a measured probability: a calibration map in [0, 1].
        assert ranker.calibration_y
        assert all(0.0 <= y <= 1.0 for y in ranker.calibration_y)
    assert MODEL_PATH.stat().st_size < 2_000_000


@pytest.mark.django_db
def test_corrected_and_approved_invoices_are_training_data_of_their_vendors_layout():
    vendor = make_vendor(name="Kestrel Tooling GmbH")
    words = pdf_words(kestrel_invoice("DK-2026-0042"))
    stored = [[w.text, w.page, w.x0, w.top, w.x1, w.bottom] for w in words]
    documents = [
        Document.objects.create(sha256=str(n) * 64, original_name="k.pdf", size=1, words=stored)
        for n in (1, 2)
    ]
    invoice = Invoice.objects.create(
        document=documents[0],
        vendor=vendor,
        status=Status.POSTED,
        invoice_number="DK-2026-0042",
        total_amount=Decimal("178.50"),
    )
    untouched = Invoice.objects.create(
        document=documents[1], vendor=vendor, status=Status.POSTED, invoice_number="DK-1"
    )
    chain.record("invoice.fields_corrected", actor="clara", invoice_id=invoice.pk, payload={})

    (found,) = correction_documents()

    assert found.name == f"invoice-{invoice.pk}" != f"invoice-{untouched.pk}"
    assert found.group == f"vendor:{vendor.pk}"
    assert found.truth["invoice_number"] == "DK-2026-0042"
    assert found.truth["total_amount"] == "178.50"
    assert [w.text for w in found.words] == [w.text for w in words]
    assert isinstance(found, LabelledDocument)
    assert found.real


@dataclass
class ByValue(FieldRanker):
    """A ranker that scores candidates by their value from a table (0.01 if absent)."""

    table: dict | None = None

    def matrix(self, candidates):
        return np.array([[float(abs(c.value))] for c in candidates])

    def scores(self, matrix):
        return np.array([self.table.get(round(value, 2), 0.01) for value in matrix[:, 0]])


def _by_value(table):
    return ByValue(features=["value"], kind="table", table=table)


def test_net_tax_and_total_are_chosen_together_so_that_they_add_up():
    analysis = analyse(pdf_words(kestrel_invoice("DK-2026-0042")))
    rankers = {
        # Alone, the net's best is the unit price 37.50; only 150.00 adds up with the rest.
        "net_amount": _by_value({37.5: 0.9, 150.0: 0.5}),
        "tax_amount": _by_value({28.5: 0.6}),
        "total_amount": _by_value({178.5: 0.6}),
    }

    picks = pick(rankers, analysis)

    assert [picks[n].value for n in rankers] == [
        Decimal("150.00"),
        Decimal("28.50"),
        Decimal("178.50"),
    ]
    assert picks["net_amount"].score == pytest.approx(1.5)  # the sums add 1 before calibration


def test_a_value_that_barely_beats_another_is_less_sure_than_a_clear_winner():
    analysis = analyse(pdf_words(kestrel_invoice("DK-2026-0042")))
    close = _by_value({150.0: 0.9, 178.5: 0.85})
    clear = _by_value({150.0: 0.9, 178.5: 0.05})
    for ranker in (close, clear):
        ranker.runner_up_weight = 0.5
        ranker.calibration_x, ranker.calibration_y = [0.0, 1.0], [0.0, 1.0]

    tight = pick({"net_amount": close}, analysis)["net_amount"]
    wide = pick({"net_amount": clear}, analysis)["net_amount"]

    assert tight.value == wide.value == Decimal("150.00")
    assert (tight.runner_up, wide.runner_up) == (0.85, 0.05)
    assert close.probability(close.margin(tight)) < clear.probability(clear.margin(wide))
    assert clear.margin(wide) == pytest.approx(0.875)


def test_a_few_right_answers_cannot_show_certainty():
    """Laplace's rule of succession caps each isotonic block: five of five right is 6/7;
    three of three wrong stays 0 (not 1/5: a hopeless value is still dropped)."""
    xs, ys = calibration([0.2, 0.3, 0.4, 0.8, 0.9, 0.95, 0.97, 0.99], [0, 0, 0, 1, 1, 1, 1, 1])

    assert ys[0] == 0.0
    assert ys[-1] == pytest.approx(6 / 7, abs=1e-4)
    assert ys == sorted(ys)
    assert (xs[0], xs[-1]) == (0.2, 0.99)


@pytest.mark.parametrize(("score", "kept"), [(0.5, True), (0.1, False)])
def test_an_unsure_due_date_stays_for_a_person_and_a_hopeless_one_is_dropped(score, kept):
    analysis = analyse(pdf_words(kestrel_invoice("DK-2026-0042")))
    model = FieldModel({"due_date": _by_value({})}, about={})
    model.rankers["due_date"].matrix = lambda candidates: np.zeros((len(candidates), 1))
    model.rankers["due_date"].scores = lambda matrix: np.full(len(matrix), score)

    model.apply(analysis.rules, analysis, "text")

    due = analysis.rules.fields.get("due_date")
    assert (due is not None) is kept
    assert due is None or due.confidence == score  # uncalibrated: the score, at most 0.5
