"""Training the field ranker from labelled documents, cross-validated by layout.

Labelled documents come from three places:
- real invoices in a labelled set (`files/` + `truth.jsonl`, as ../shared/data/realdev and
  wild-dev are laid out), grouped by their `layout` (template or issuer);
- the generated corpus (tests/corpus), grouped by layout, when the checkout has it;
- invoices clerks corrected and that were then approved: the stored words of the document
  and the final field values, grouped by vendor (a vendor's invoices share its layout).

No group is ever in the training and the scoring fold at once (`folds`), so the accuracy
and the calibration are what a layout never seen before gets. Values are compared as the
team's scorer compares them (`same`): amounts by absolute value to the cent, numbers by
letters and digits, dates by day, names by fuzzy token match.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import lightgbm
import numpy as np
from rapidfuzz import fuzz
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from audit.models import AuditEvent
from core.models import Invoice, Status
from extraction.candidates import FAMILY_OF, RANKED_FIELDS
from extraction.layout import Word
from extraction.ranker import KINDS, Analysis, FieldModel, FieldRanker, analyse, pick, scan_score
from extraction.readers.image import image_words
from extraction.readers.pdf_text import pdf_words
from extraction.types import AMOUNT_FIELDS, DATE_FIELDS

try:  # the generated corpus lives in the checkout's tests, not in an installed package
    from tests.corpus import generate as generate_corpus
    from tests.corpus.heldout import heldout_items
    from tests.corpus.scoring import truth as corpus_truth
except ImportError:  # pragma: no cover - an installed package without tests
    generate_corpus = heldout_items = corpus_truth = None

LIGHTGBM_PARAMS = {
    "objective": "binary",
    "learning_rate": 0.08,
    "num_leaves": 8,
    "min_data_in_leaf": 5,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.9,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "verbose": -1,
    "seed": 7,
    "num_threads": 1,
    "deterministic": True,
}
LIGHTGBM_ROUNDS = 80
REAL_WEIGHT = 3.0  # a real document counts as much as three generated ones
# The calibration maps a pick's score less this many times its runner-up's (FieldRanker.margin).
RUNNER_UP_WEIGHT = 0.5
# Fewer held-out answers on scans than this for a field show nothing: no calibration for
# scans, and the field of a scan stays with the rules (FieldModel.reads_scans).
MIN_SCAN_ANSWERS = 20


@dataclass
class LabelledDocument:
    """One document with its true header fields, as strings ("2024-03-20", "119.00")."""

    name: str
    group: str  # layout or issuer
    words: list[Word]
    truth: dict[str, str]
    path: Path | None = None
    real: bool = True
    # "text": words of a text layer; "ocr": words OCR read on a scan (`load_scanned_set`).
    method: str = "text"
    analysis: Analysis | None = field(default=None, repr=False)

    def analysed(self) -> Analysis:
        if self.analysis is None:
            fmt = "image-ocr" if self.method == "ocr" else "pdf-text"
            self.analysis = analyse(self.words, fmt, self.method)
        return self.analysis


def load_labelled_set(path: Path) -> list[LabelledDocument]:
    """The PDFs of a labelled set (`files/`, `truth.jsonl`); other files are left out.
    Raises FileNotFoundError when the set is not there."""
    path = Path(path)
    documents = []
    for row in _truth_rows(path):
        file = path / "files" / row["file"]
        if file.suffix.lower() != ".pdf":
            continue
        documents.append(
            LabelledDocument(
                name=row["file"],
                group=_group(path, row),
                words=pdf_words(file.read_bytes()),
                truth={k: str(v) for k, v in row["fields"].items() if v not in (None, "")},
                path=file,
            )
        )
    return documents


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


def load_scanned_set(path: Path) -> list[LabelledDocument]:
    """The scans of a labelled set, read by OCR as the image reader reads them
    (`extraction.readers.image.image_words`, through the OCR cache: the first run reads
    every page, seconds each; later runs, with the same engine, none):

    - rows whose `file` is an image (scan-dev: scanned and photographed invoices), with
      every field of the truth;
    - rows with an `image`, a page-1 picture of a PDF (realdev: 200 dpi PNGs), with only the
      fields printed on page 1 (`printed_page1`), in the group of the PDF they picture, so
      a layout's PDF and scan are never in the training and the scoring fold at once.

    Raises FileNotFoundError when the set is not there."""
    path = Path(path)
    documents = []
    for row in _truth_rows(path):
        truth = {k: str(v) for k, v in row["fields"].items() if v not in (None, "")}
        if Path(row["file"]).suffix.lower() in IMAGE_SUFFIXES:
            file = path / "files" / row["file"]
        elif row.get("image"):
            file = path / row["image"]
            if not file.exists():  # beside the PDFs, in files/
                file = path / "files" / row["image"]
            shown = set(row.get("printed_page1", row["fields"]))
            truth = {k: v for k, v in truth.items() if k in shown}
        else:
            continue
        documents.append(
            LabelledDocument(
                name=file.name,
                group=_group(path, row),
                words=image_words(file.read_bytes()),
                truth=truth,
                path=file,
                method="ocr",
            )
        )
    return documents


def _truth_rows(path: Path) -> list[dict]:
    lines = (path / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _group(path: Path, row: dict) -> str:
    """The row's layout or issuer group in set `path`."""
    layout = row.get("layout") or row["file"]
    # realdev's "own" tag holds four different vendors' layouts.
    return f"{path.name}:{row['file'] if layout == 'own' else layout}"


def corpus_documents(count: int | None = None) -> list[LabelledDocument]:
    """The generated corpus and the first held-out corpus as text PDFs (the blind v2 set
    stays out: it is for measuring). Empty when the checkout has no tests/corpus."""
    if generate_corpus is None:
        return []
    items = generate_corpus() + heldout_items()
    if count is not None:
        items = items[:count]
    return [
        LabelledDocument(
            name=item.name,
            group=f"corpus:{item.layout}",
            words=pdf_words(item.pdf),
            truth={k: str(v) for k, v in corpus_truth(item.invoice).items() if v not in (None, "")},
            real=False,
        )
        for item in items
    ]


def correction_documents() -> list[LabelledDocument]:
    """Invoices a clerk corrected and that were approved since: their document's words and
    their final fields. Grouped by vendor, so a vendor's layout is one group."""
    corrected = AuditEvent.objects.filter(action="invoice.fields_corrected").values("invoice_id")
    invoices = Invoice.objects.filter(
        pk__in=corrected, status__in=[Status.APPROVED, Status.POSTED, Status.PAID]
    ).select_related("document")
    documents = []
    for invoice in invoices:
        stored = invoice.document.words or []
        words = [Word(t, p, x0, top, x1, bottom) for t, p, x0, top, x1, bottom in stored]
        if not words:
            continue
        truth = {
            name: str(getattr(invoice, name))
            for name in RANKED_FIELDS
            if getattr(invoice, name) not in (None, "")
        }
        documents.append(
            LabelledDocument(
                name=f"invoice-{invoice.pk}",
                group=f"vendor:{invoice.vendor_id}",
                words=words,
                truth=truth,
            )
        )
    return documents


def same(name: str, truth, found) -> bool:
    """Whether `found` is the true value, as the team's scorer (shared/tools/score.py) has
    it: amounts by absolute value to the cent, invoice and order numbers by their letters
    and digits, dates by day, currency codes by letters, vendor names by fuzzy tokens
    (token set ratio >= 85, or one contained in the other)."""
    if found in (None, "") or truth in (None, ""):
        return False
    if name in AMOUNT_FIELDS:
        a, b = _money(truth), _money(found)
        return a is not None and a == b
    if name in ("invoice_number", "po_number", "vendor_vat_id", "vendor_iban"):
        return _alnum(truth) == _alnum(found)
    if name in DATE_FIELDS:
        return str(truth)[:10] == str(found)[:10]
    if name == "currency":
        return str(truth).upper() == str(found).upper()
    if name == "vendor_name":
        a, b = _words(truth), _words(found)
        return bool(a and b) and (fuzz.token_set_ratio(a, b) >= 85 or a in b or b in a)
    return str(truth) == str(found)


def _money(value) -> Decimal | None:
    try:
        return abs(Decimal(str(value).replace(" ", ""))).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _alnum(value) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(value).upper())


def _words(value) -> str:
    return re.sub(r"[\W_]+", " ", str(value).lower()).strip()


def folds(documents: list[LabelledDocument], k: int = 5):
    """[(training, held out)] with every group in exactly one held-out part; groups are
    dealt largest first to the smallest part, so the parts are of similar size. Raises
    ValueError with fewer than two groups: nothing could be held out of training."""
    groups: dict[str, list[LabelledDocument]] = {}
    for document in documents:
        groups.setdefault(document.group, []).append(document)
    if len(groups) < 2:
        raise ValueError(
            f"{len(groups)} layout or issuer group(s): cross-validation needs at least two"
        )
    parts: list[list[LabelledDocument]] = [[] for _ in range(min(k, len(groups)))]
    for _, members in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        min(parts, key=len).extend(members)
    return [
        ([d for other in parts if other is not part for d in other], part) for part in parts if part
    ]


def examples(documents: list[LabelledDocument], name: str, features: list[str] | None = None):
    """(feature names, matrix, labels, weights) of every candidate for `name`; the
    columns are `features`, or every feature the documents' candidates have."""
    family = FAMILY_OF[name]
    if features is None:
        features = sorted(
            {key for d in documents for c in d.analysed().candidates[family] for key in c.features}
        )
    blocks, labels, weights = [], [], []
    for document in documents:
        candidates = document.analysed().candidates[family]
        if not candidates:
            continue
        blocks.append(_matrix(document, family, features))
        labels.append(_labels(document, name))
        weights += [REAL_WEIGHT if document.real else 1.0] * len(candidates)
    matrix = np.vstack(blocks) if blocks else np.zeros((0, len(features)))
    return features, matrix, np.concatenate(labels or [np.zeros(0)]), np.array(weights)


def _labels(document: LabelledDocument, name: str) -> np.ndarray:
    cache = document.__dict__.setdefault("_labels", {})
    if name not in cache:
        truth = document.truth.get(name)
        candidates = document.analysed().candidates[FAMILY_OF[name]]
        cache[name] = np.array([int(same(name, truth, c.value)) for c in candidates])
    return cache[name]


def _matrix(document: LabelledDocument, family: str, features: list[str]) -> np.ndarray:
    """The document's candidates of `family` as rows over `features`, cached per list."""
    key = (family, tuple(features))
    cache = document.__dict__.setdefault("_matrices", {})
    if key not in cache:
        index = {name: column for column, name in enumerate(features)}
        candidates = document.analysed().candidates[family]
        matrix = np.zeros((len(candidates), len(features)))
        for row, candidate in enumerate(candidates):
            for feature, value in candidate.features.items():
                if feature in index:
                    matrix[row, index[feature]] = value
        cache[key] = matrix
    return cache[key]


def choose_kind(documents: list[LabelledDocument], name: str, inner, kinds=KINDS):
    """(kind, {kind: right answers}, that kind's model per inner fold): the kind that answered
    most of `name` right on the inner folds' held-out real documents (generated documents
    are always in training, never scored: they are easier than real ones); on a tie the
    earlier, simpler kind."""
    extra = [d for d in documents if not d.real]
    measured, models = {}, {}
    for kind in kinds:
        models[kind] = [_fit([*training, *extra], name, kind) for training, _ in inner]
        measured[kind] = sum(
            answer[2]
            for model, (_, held) in zip(models[kind], inner, strict=True)
            for document in held
            if (answer := top_answer(model, document, name)) is not None
        )
    # Without inner folds nothing was measured: the rules stand.
    kind = max(kinds, key=lambda k: (measured[k], -kinds.index(k))) if inner else "rules"
    return kind, measured, models.get(kind, [])


def _fit(
    documents: list[LabelledDocument], name: str, kind: str, features: list[str] | None = None
) -> FieldRanker:
    if kind == "rules":
        return FieldRanker(features=[], kind=kind)
    names, matrix, labels, weights = examples(documents, name, features)
    if len(set(labels.tolist())) < 2:
        # No right (or no wrong) candidate to learn from: the rules answer for the field.
        return FieldRanker(features=[], kind="rules")
    ranker = FieldRanker(features=names, kind=kind)
    if kind == "lightgbm":
        data = lightgbm.Dataset(matrix, labels, weight=weights, free_raw_data=False)
        ranker.booster = lightgbm.train(LIGHTGBM_PARAMS, data, LIGHTGBM_ROUNDS).model_to_string()
    else:
        mean, scale = matrix.mean(axis=0), matrix.std(axis=0)
        scale[scale == 0] = 1.0
        model = LogisticRegression(C=0.5, max_iter=2000, class_weight="balanced")
        model.fit((matrix - mean) / scale, labels, sample_weight=weights)
        ranker.coef = [float(c) for c in model.coef_[0]]
        ranker.intercept = float(model.intercept_[0])
        ranker.mean, ranker.scale = [float(m) for m in mean], [float(s) for s in scale]
    return ranker


def top_answer(ranker: FieldRanker, document: LabelledDocument, name: str):
    """(score, value, right) of the best candidate for `name`, or None without any; for
    kind "rules" the rules' answer and their confidence."""
    if ranker.kind == "rules":
        ruled = document.analysed().rules.fields.get(name)
        if ruled is None:
            return None
        right = int(same(name, document.truth.get(name), ruled.value))
        return ruled.confidence, ruled.value, right
    candidates = document.analysed().candidates[FAMILY_OF[name]]
    if not candidates:
        return None
    scores = ranker.scores(_matrix(document, FAMILY_OF[name], ranker.features))
    best = int(np.argmax(scores))
    value = candidates[best].value
    return float(scores[best]), value, int(same(name, document.truth.get(name), value))


def train(documents: list[LabelledDocument], kinds=KINDS, fields=RANKED_FIELDS) -> FieldModel:
    """A FieldModel for `fields` trained on `documents`, with what it was trained on.

    Per field the kind is chosen on inner folds of the real documents (`choose_kind`), the
    chosen kind is fitted on everything, and its calibration is fitted on the inner folds'
    picks, made as `FieldModel.apply` makes them (net, tax and total together)."""
    real = [d for d in documents if d.real]
    inner = folds(real, k=3) if len({d.group for d in real}) > 1 else []  # else: rules
    kinds_chosen, measured = {}, {}
    fold_rankers: list[dict[str, FieldRanker]] = [{} for _ in inner]
    for name in fields:
        kinds_chosen[name], measured[name], models = choose_kind(documents, name, inner, kinds)
        for rankers, model in zip(fold_rankers, models, strict=True):
            rankers[name] = model
    rankers = {name: _fit(documents, name, kinds_chosen[name]) for name in fields}
    for ranker in rankers.values():
        ranker.runner_up_weight = RUNNER_UP_WEIGHT
    # Held-out picks of text layers and of scans, calibrated apart: (scores, rightness).
    held_out = {method: {name: ([], []) for name in fields} for method in ("text", "ocr")}
    for fold, (_, held) in zip(fold_rankers, inner, strict=True):
        for document in held:
            analysis = document.analysed()
            for name, chosen in pick(fold, analysis).items():
                ranker = rankers[name]
                scanned = document.method == "ocr"
                score = scan_score(ranker, chosen, analysis) if scanned else ranker.margin(chosen)
                scores, right = held_out[document.method][name]
                scores.append(score)
                right.append(int(same(name, document.truth.get(name), chosen.value)))
    for name, ranker in rankers.items():
        scores, right = held_out["text"][name]
        if right:
            ranker.calibration_x, ranker.calibration_y = calibration(scores, right)
        scores, right = held_out["ocr"][name]
        if len(right) >= MIN_SCAN_ANSWERS:
            ranker.scan_calibration_x, ranker.scan_calibration_y = calibration(scores, right)
    about = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "kinds": kinds_chosen,
        "inner_fold_right": measured,
        "data_sha256": data_hash(documents),
        "documents": len(documents),
        "real_documents": len(real),
        "scans": sum(d.method == "ocr" for d in real),
        "groups": len({d.group for d in documents}),
    }
    return FieldModel(rankers, about)


def calibration(scores: list[float], right: list[int]) -> tuple[list[float], list[float]]:
    """(x, y) of the map from a pick's score (its margin) to the probability it is right:
    an isotonic regression of held-out picks' rightness on their scores (Zadrozny and
    Elkan, KDD 2002), each of its blocks' rate never above Laplace's rule of succession,
    (right + 1) / (answers + 2), so a block of five right answers says 0.86, not 1.0: a few
    dozen held-out answers cannot show certainty. Only lowered, never raised: a block of
    wrong answers stays at 0 (its values are dropped, ABSTAIN_BELOW). Kept non-decreasing
    in the score."""
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    fitted = isotonic.fit_transform(scores, right)
    levels: dict[float, list[int]] = {}
    for level, was_right in zip(fitted.tolist(), right, strict=True):
        levels.setdefault(round(level, 9), []).append(was_right)
    succession = {
        level: min(sum(answers) / len(answers), (sum(answers) + 1) / (len(answers) + 2))
        for level, answers in levels.items()
    }
    ys = np.maximum.accumulate(
        [succession[round(float(y), 9)] for y in isotonic.predict(isotonic.X_thresholds_)]
    )
    return [float(x) for x in isotonic.X_thresholds_], [round(float(y), 4) for y in ys]


def data_hash(documents: list[LabelledDocument]) -> str:
    """sha256 over every document's name, truth and words: the same data, the same hash."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.name):
        digest.update(document.name.encode())
        digest.update(json.dumps(document.truth, sort_keys=True).encode())
        for word in document.words:
            digest.update(f"{word.text}|{word.page}|{word.x0}|{word.top}".encode())
    return digest.hexdigest()


@dataclass
class HeldOutAnswer:
    """What a model that never saw a document's layout answered for one of its fields."""

    document: str
    group: str
    field: str
    truth: str | None
    value: object
    confidence: float
    right: bool
    method: str = "text"  # how the document was read: "text" layer or "ocr"


def cross_validate(
    documents: list[LabelledDocument],
    extra: list[LabelledDocument] = (),
    kinds=KINDS,
    k: int = 5,
) -> list[HeldOutAnswer]:
    """Every field of every document in `documents`, answered by a model trained on the
    other groups plus `extra` (e.g. the generated corpus), with calibrated confidence."""
    answers = []
    for training, held in folds(documents, k):
        model = train([*training, *extra], kinds)
        for document in held:
            result = ranked_result(model, document)
            for name in RANKED_FIELDS:
                found = result.fields.get(name)
                truth = document.truth.get(name)
                answers.append(
                    HeldOutAnswer(
                        document.name,
                        document.group,
                        name,
                        truth,
                        found.value if found else None,
                        found.confidence if found else 0.0,
                        same(name, truth, found.value if found else None),
                        document.method,
                    )
                )
    return answers


def ranked_result(model: FieldModel, document: LabelledDocument):
    """The document's ExtractionResult as `model` would give it (the cached analysis is
    left as it was)."""
    analysis = document.analysed()
    result = replace(analysis.rules, fields=dict(analysis.rules.fields))
    model.apply(result, analysis, document.method)
    return result
