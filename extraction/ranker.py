"""The field finder: rules first, then a trained model ranks every candidate value.

`find_fields(words)` is what the PDF and image readers call. The rules
(`fields.extract_fields`) read what they can; then, for each ranked field (dates, amounts,
invoice and order numbers, vendor name), the model in `MODEL_PATH` scores every candidate
the page offers (`extraction.candidates`) and the best one is the answer. Its confidence is
the measured probability that it is right: the model's score mapped through an isotonic
calibration fitted on held-out folds (Zadrozny and Elkan, KDD 2002), so a field at 0.9 is
right about nine times in ten on documents of layouts the model was not trained on. Below
`ABSTAIN_BELOW` the field is left empty rather than filled with a likely-wrong value.

Exact rules stay where they are exact: the IBAN (checksum), VAT ids (formats), currency and
everything read from e-invoice XML are not ranked.

The model is trained by `manage.py train_field_model` (see `extraction.training`) and
saved as JSON in the repository with the hash of its data and the date; it is loaded once
per process. Without a model file the rules' answers stand, as before.
"""

import json
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import product
from pathlib import Path

import lightgbm
import numpy as np
from scipy.special import expit

from extraction.candidates import FAMILIES, FAMILY_OF, RANKED_FIELDS, Candidate
from extraction.candidates import document_candidates as _document_candidates
from extraction.fields import buyer_segments, extract_fields
from extraction.layout import Line, Word, group_lines, read_confidence
from extraction.line_items import item_rows
from extraction.ocr import weigh_by_reading
from extraction.parsing import Conventions
from extraction.types import ExtractedField, ExtractionResult

log = logging.getLogger(__name__)
MODEL_PATH = Path(__file__).resolve().parent / "model" / "field_ranker.json"
# A best candidate less likely than this to be right is no answer: an empty field goes to
# a person as MISSING_FIELD, which is better than a wrong value.
ABSTAIN_BELOW = 0.15
# Each field's answer is chosen from its this many best candidates (one printed value fills
# one field); net, tax and total together, where three that add up weigh this many times
# more than three that do not.
TOP_OPTIONS = 5
ADD_UP_WEIGHT = 20.0
MAX_PROBABILITY = 0.99
# LightGBM's OpenMP pool, once started, hangs any process forked after it (django-q2 forks
# its workers from the cluster process, which runs the system checks): boosters are built
# on first use only, never when a model is loaded, and predict on one thread (a page's few
# hundred candidates need no second one).
ONE_THREAD = 1
_TREES_END = "end of trees"
# A ranker with no calibration (trained where nothing could be held out) has shown nothing:
# its answers stay under any sensible EXTRACTION_MIN_CONFIDENCE.
UNMEASURED = 0.5
KINDS = ("rules", "logistic", "lightgbm")


@dataclass
class FieldRanker:
    """One field's scorer: a LightGBM booster or a logistic regression over named
    features, and the isotonic map from its score to the probability of being right.
    Kind "rules" keeps the rules' answer and maps the rule's confidence instead: chosen
    where, measured on held-out layouts, no model beat the rules for the field."""

    features: list[str]
    kind: str  # "lightgbm", "logistic", or "rules" (the rules' answer, its confidence calibrated)
    booster: str = ""  # LightGBM's model_to_string()
    coef: list[float] | None = None
    intercept: float = 0.0
    mean: list[float] | None = None
    scale: list[float] | None = None
    calibration_x: list[float] | None = None
    calibration_y: list[float] | None = None
    # The same map fitted on held-out scans (OCR-read pages), whose score is the margin
    # times how surely the value's words were read (`FieldModel.apply`); None: the model
    # has not been measured on scans, and fields read by OCR keep the rules.
    scan_calibration_x: list[float] | None = None
    scan_calibration_y: list[float] | None = None
    # What the calibration maps: the pick's score less this many times its runner-up's
    # (0 in model files from before the runner-up was weighed).
    runner_up_weight: float = 0.0

    def __post_init__(self):
        self._booster = None

    def matrix(self, candidates: list[Candidate]) -> np.ndarray:
        return np.array(
            [[c.features.get(name, 0.0) for name in self.features] for c in candidates],
            dtype=np.float64,
        ).reshape(len(candidates), len(self.features))

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """The model's score of each row, in [0, 1] (not yet a calibrated probability)."""
        if not len(matrix):
            return np.zeros(0)
        if self.kind == "lightgbm":
            if self._booster is None:
                # Built on first use, in the process that uses it: see ONE_THREAD.
                self._booster = lightgbm.Booster(model_str=self.booster)
            return self._booster.predict(matrix, num_threads=ONE_THREAD)
        standard = (matrix - np.array(self.mean)) / np.array(self.scale)
        return expit(standard @ np.array(self.coef) + self.intercept)

    def margin(self, chosen: "Pick") -> float:
        """What the calibration maps for `chosen`: its score less `runner_up_weight` times
        the score of the best other value for the field. A value that barely beats another
        is less sure than its score alone says (two dates at 0.87 and 0.82, an invoice
        number tied with a date)."""
        return chosen.score - self.runner_up_weight * chosen.runner_up

    def probability(self, score: float, scanned: bool = False) -> float:
        """The calibrated probability that the best candidate is right, given `score` (its
        `margin`, times its reading's confidence where `scanned`), through the calibration
        fitted on held-out text layers or, where `scanned`, on held-out scans; never above
        MAX_PROBABILITY, as a few dozen held-out answers cannot show more, and never above
        UNMEASURED without a calibration."""
        xs, ys = (
            (self.scan_calibration_x, self.scan_calibration_y)
            if scanned
            else (self.calibration_x, self.calibration_y)
        )
        if not xs:
            return min(float(score), UNMEASURED)
        if xs[0] > 0:
            # A score below every held-out one has shown nothing: towards 0, not the lowest
            # bucket's rate.
            xs, ys = [0.0, *xs], [0.0, *ys]
        return min(float(np.interp(score, xs, ys)), MAX_PROBABILITY)

    def as_json(self) -> dict:
        return {
            "features": self.features,
            "kind": self.kind,
            "booster": self.booster,
            "coef": self.coef,
            "intercept": self.intercept,
            "mean": self.mean,
            "scale": self.scale,
            "calibration_x": self.calibration_x,
            "calibration_y": self.calibration_y,
            "scan_calibration_x": self.scan_calibration_x,
            "scan_calibration_y": self.scan_calibration_y,
            "runner_up_weight": self.runner_up_weight,
        }


@dataclass
class FieldModel:
    """A ranker per field, and what it was trained on (`about`: date, data hash, counts)."""

    rankers: dict[str, FieldRanker]
    about: dict

    def save(self, path: Path = MODEL_PATH) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "about": self.about,
            "fields": {name: ranker.as_json() for name, ranker in self.rankers.items()},
        }
        # Written beside and renamed: a worker loading it meanwhile reads the old or the new.
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> "FieldModel":
        """Raises OSError when the file cannot be read, ValueError when it is not a model
        (not JSON, an unknown field or kind, trees cut short). Builds no LightGBM booster
        (see ONE_THREAD)."""
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            rankers = {name: FieldRanker(**spec) for name, spec in payload["fields"].items()}
            for name, ranker in rankers.items():
                if name not in RANKED_FIELDS or ranker.kind not in KINDS:
                    raise ValueError(f"field {name!r} of kind {ranker.kind!r} is not rankable")
                if ranker.kind == "lightgbm" and _TREES_END not in ranker.booster:
                    raise ValueError(f"field {name!r}: its trees are cut short")
                if ranker.kind == "logistic" and not ranker.coef:
                    raise ValueError(f"field {name!r} has no coefficients")
            return cls(rankers, payload.get("about") or {})
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(f"{path} is not a field model: {exc}") from exc

    @property
    def reads_scans(self) -> bool:
        """Whether the model was measured on held-out scans (a calibration for OCR-read
        pages): only then are scans' fields ranked instead of left to the rules."""
        return any(ranker.scan_calibration_x for ranker in self.rankers.values())

    def apply(self, result: ExtractionResult, analysis: "Analysis", method: str) -> set[str]:
        """Replace the ranked fields of `result` with the model's picks, each with the
        calibrated probability that it is right; a pick below ABSTAIN_BELOW is dropped. An
        unsure one stays, with its confidence, for a person to check: an invoice posted
        without a due date it prints is as wrong as one with a wrong date. A pick with no word
        beside it that says what it is, and (amounts) no sum that confirms it, is a guess
        whatever the model thinks: it stays under UNMEASURED (a delivery note's weight is
        no invoice total). On a scan (`method` "ocr") the pick's margin is first weighed by
        how surely its words were read (`scan_score`) and mapped by the calibration for
        scans. Returns the names of the fields it set or dropped."""
        scanned = method == "ocr"
        decided = set()
        for name, chosen in pick(self.rankers, analysis).items():
            ranker = self.rankers[name]
            score = scan_score(ranker, chosen, analysis) if scanned else ranker.margin(chosen)
            probability = round(ranker.probability(score, scanned), 4)
            decided.add(name)
            if not _has_evidence(name, chosen):
                probability = min(probability, UNMEASURED)
            if probability < ABSTAIN_BELOW:
                result.fields.pop(name, None)
            elif chosen.candidate is None:
                result.fields[name] = replace(chosen.ruled, confidence=probability)
            else:
                result.fields[name] = chosen.candidate.as_field(probability, method)
        return decided


def scan_score(ranker: FieldRanker, chosen: "Pick", analysis: "Analysis") -> float:
    """What the calibration for scans maps: the pick's margin times the recogniser's
    confidence in the least sure word of its value (`layout.read_confidence`), so of two
    picks the model is equally sure of, the one read from faint or broken print is less
    likely right, and the calibration measures by how much."""
    if chosen.candidate is not None:
        read = 1.0 - chosen.candidate.features.get("ocr_doubt", 0.0)
    else:
        where = chosen.ruled.provenance
        read = read_confidence(analysis.words, where.page, where.bbox)
    return ranker.margin(chosen) * read


@dataclass(frozen=True)
class Pick:
    """A field's answer before calibration: the ranker's `score` (the rules' confidence for
    kind "rules"), plus 1 where the net, tax and total picked add up, and `runner_up`, the
    best score of another value among the field's options (0 when none)."""

    value: object
    score: float
    candidate: Candidate | None = None  # None: the rules' answer, `ruled`
    ruled: ExtractedField | None = None
    runner_up: float = 0.0


def pick(rankers: dict[str, FieldRanker], analysis: "Analysis") -> dict[str, Pick]:
    """Each field's best answer, one printed value to one field (`_own_best`). Net, tax
    and total are chosen together: among the
    TOP_OPTIONS best of each, three different printed amounts whose scores' product is
    highest, where three that add up (|net| + |tax| = |total|, a tax below the net, a total
    that is not zero) count ADD_UP_WEIGHT times as much; unless the best three add up, each
    field keeps its own best."""
    options: dict[str, list[Pick]] = {}
    for name, ranker in rankers.items():
        if ranker.kind == "rules":
            ruled = analysis.rules.fields.get(name)
            if ruled is not None:
                options[name] = [Pick(ruled.value, ruled.confidence, None, ruled)]
            continue
        candidates = analysis.candidates[FAMILY_OF[name]]
        if candidates:
            scores = ranker.scores(ranker.matrix(candidates))
            order = np.argsort(-scores, kind="stable")[:TOP_OPTIONS]
            options[name] = [
                Pick(candidates[i].value, float(scores[i]), candidates[i]) for i in order
            ]
    picks = {}
    for names in FAMILIES.values():
        picks.update(_own_best(options, names))
    amounts = FAMILIES["amount"]
    if all(name in options for name in amounts):
        best, best_weight = None, -np.inf
        for triple in product(*(options[name] for name in amounts)):
            found = [p.candidate for p in triple if p.candidate is not None]
            if len({id(c) for c in found}) < len(found):
                continue  # one printed amount is one field
            weight = sum(np.log(max(p.score, 1e-6)) for p in triple)
            if _adds_up(*(p.value for p in triple)):
                weight += np.log(ADD_UP_WEIGHT)
            if weight > best_weight:
                best, best_weight = triple, weight
        # Only three that add up overrule each field's own best choice.
        if best is not None and _adds_up(*(p.value for p in best)):
            for name, chosen in zip(amounts, best, strict=True):
                picks[name] = replace(chosen, score=chosen.score + 1.0)
    return {
        name: replace(
            chosen,
            runner_up=max((o.score for o in options[name] if o.value != chosen.value), default=0.0),
        )
        for name, chosen in picks.items()
    }


def _has_evidence(name: str, chosen: "Pick") -> bool:
    """Whether a label or keyword stands beside, before or above the picked value, the sums
    confirm it (score raised by 1 in `pick`), or the rules computed it from words (a due
    date from the payment terms). Amounts and numbers only: names are found by place, and
    dates (often in a sentence of terms) by their kind; on a document that is no invoice the
    total is capped here, and that alone sends it to a person."""
    if FAMILY_OF[name] in ("name", "date") or chosen.candidate is None:
        return True
    if name in FAMILIES["amount"] and chosen.score >= 1.0:
        return True
    if chosen.candidate.features.get("computed"):
        return True  # a due date from the payment terms' words
    return any(
        feature.startswith(("label_same_", "label_left_", "label_above_", "kw_same_", "kw_left_"))
        or feature.startswith(("kw_above_", "kw_near_"))
        for feature in chosen.candidate.features
    )


def _own_best(options: dict[str, list[Pick]], names: tuple[str, ...]) -> dict[str, Pick]:
    """Each of `names`' own best, one printed value to one field (a date is the issue or
    the due date, an amount the net or the total): the surest field takes its value first,
    the others their best value left among their TOP_OPTIONS, or none."""
    taken: set[int] = set()
    chosen = {}
    present = [name for name in names if name in options]
    for name in sorted(present, key=lambda n: -options[n][0].score):
        for option in options[name]:
            if option.candidate is None or id(option.candidate) not in taken:
                chosen[name] = option
                if option.candidate is not None:
                    taken.add(id(option.candidate))
                break
    return chosen


def _adds_up(net, tax, total) -> bool:
    """Net + tax = total, with a tax below the net and a total that is not zero."""
    net, tax, total = abs(net), abs(tax), abs(total)
    return bool(total) and tax < net and net + tax == total


@dataclass
class Analysis:
    """One document seen by the rules and as candidates: what training and ranking share."""

    rules: ExtractionResult
    lines: list[Line]
    candidates: dict[str, list[Candidate]]
    words: list[Word] = field(default_factory=list)


def analyse(words: list[Word], fmt: str = "pdf-text", method: str = "text") -> Analysis:
    rules = extract_fields(words, fmt=fmt, method=method)
    lines = group_lines(words)
    conventions = Conventions.of("\n".join(line.text for line in lines))
    rows = item_rows(lines, conventions)
    lines_sum = sum((item.amount for _, item in rows if item.amount is not None), Decimal(0))
    candidates = _document_candidates(
        lines,
        conventions,
        rules.fields,
        buyer_segments(lines),
        [index for index, _ in rows],
        lines_sum if rows else None,
    )
    if method == "ocr":
        # Read by OCR: each candidate says so, and how surely its words were read (the
        # recogniser's confidence of its least sure word); a text layer's have neither.
        for family in candidates.values():
            for candidate in family:
                read = read_confidence(words, candidate.page, candidate.bbox)
                candidate.features["ocr"] = 1.0
                candidate.features["ocr_doubt"] = round(1.0 - read, 3)
    return Analysis(rules, lines, candidates, words)


def find_fields(words: list[Word], fmt: str = "pdf-text", method: str = "text"):
    """Header fields and lines from positioned words: the rules, then the model's ranking
    of the fields it was trained for. Returns an ExtractionResult."""
    # OCR's words (other errors, other boxes) are ranked only by a model measured on
    # held-out scans; otherwise the rules answer for a scan. Either way a scan's fields the
    # model did not decide are weighed by how surely their words were read.
    scanned = method == "ocr"
    model = active_model()
    if model is not None and (model.reads_scans or not scanned):
        analysis = analyse(words, fmt, method)
        result = analysis.rules
        decided = model.apply(result, analysis, method)
    else:
        result, decided = extract_fields(words, fmt=fmt, method=method), set()
    if scanned:
        weigh_by_reading(result, names=set(result.fields) - decided)
    return result


_lock = threading.Lock()
_loaded: dict[str, FieldModel | None] = {}
_override = threading.local()


def active_model() -> FieldModel | None:
    """The model in use in this thread: an override from `using()`, else the shipped file
    (read once per process), else None (the rules alone)."""
    if hasattr(_override, "model"):
        return _override.model
    with _lock:
        if "shipped" not in _loaded:
            _loaded["shipped"] = _load_shipped()
    return _loaded["shipped"]


def _load_shipped() -> FieldModel | None:
    """The model file, or None where there is none or it cannot be read: the rules then
    answer alone, and the log (and the system check ledgerline.E007) says why."""
    if not MODEL_PATH.exists():
        return None
    try:
        return FieldModel.load(MODEL_PATH)
    except (OSError, ValueError):
        log.exception("the field model %s cannot be read; the rules answer alone", MODEL_PATH)
        return None


@contextmanager
def using(model: FieldModel | None):
    """Extraction in this thread uses `model` (None: the rules alone) inside the block: for
    cross-validation, where each fold is read by a model that has not seen it."""
    had, previous = hasattr(_override, "model"), getattr(_override, "model", None)
    _override.model = model
    try:
        yield model
    finally:
        if had:
            _override.model = previous
        else:
            del _override.model


__all__ = ["RANKED_FIELDS", "FieldModel", "FieldRanker", "active_model", "find_fields", "using"]
