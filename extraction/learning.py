"""Learning from clerks' corrections, per vendor, without templates.

When a clerk corrects a field, we look on the page for the corrected value and keep what
identifies its place in this vendor's layout: the phrase that labels it (to its left on the
same line, or just above it) and the shape of the value (letters -> A, digits -> 9). The
next document from the vendor is searched for that label; the value beside or beneath it
that has the same shape wins over the generic guess, with method "learned".
"""

import re
from decimal import Decimal

from extraction.fields import _parser
from extraction.layout import Line, Segment, Word, group_lines, segment_after, segments_below
from extraction.parsing import Conventions
from extraction.types import (
    AMOUNT_FIELDS,
    DATE_FIELDS,
    ExtractedField,
    ExtractionResult,
    Provenance,
)

# Vendor name, VAT id and IBAN identify the vendor itself; they are not learned per layout.
LEARNABLE = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "po_number",
    "net_amount",
    "tax_amount",
    "total_amount",
)
LEARNED_CONFIDENCE = 0.9
# The hint key of the rows clerks removed from a vendor's lines, and how many are kept.
SKIPPED_ROWS = "skip_lines"
MAX_SKIPPED_ROWS = 20


def shape(text: str) -> str:
    return re.sub(r"[A-Za-z]", "A", re.sub(r"\d", "9", text.strip()))


def normalise_label(text: str) -> str:
    return re.sub(r"[\s:#.]+", " ", text).strip().casefold()


def learn_hint(name: str, value, words: list[Word]) -> dict | None:
    """Where `value` (the corrected field) stands on the page, or None if it is not there."""
    if name not in LEARNABLE or not words or value in (None, ""):
        return None
    lines = group_lines(words)
    parse = _parser(name, Conventions.of("\n".join(line.text for line in lines)))
    for index, line in enumerate(lines):
        for segment in line.segments:
            # The value may share its phrase with the label ("Ref. DK-42"): try each tail.
            for start in range(len(segment.words)):
                tail = Segment(segment.words[start:])
                if not _same(name, parse(tail.text), value):
                    continue
                label, where = _label_of(segment, start, line, lines, index)
                if label:
                    return {"label": label, "where": where, "shape": shape(tail.words[0].text)}
    return None


def apply_hints(result: ExtractionResult, hints: dict) -> list[str]:
    """Override fields where this vendor's hints find a value; returns the fields changed."""
    if not hints or not result.words:
        return []
    lines = group_lines(result.words)
    parse_for = Conventions.of("\n".join(line.text for line in lines))
    changed = []
    for name, hint in hints.items():
        if name not in LEARNABLE:
            continue
        found = _find_by_hint(hint, lines, _parser(name, parse_for), name)
        if found is None:
            continue
        value, segment = found
        result.fields[name] = ExtractedField(
            value, LEARNED_CONFIDENCE, Provenance("learned", segment.page, segment.bbox)
        )
        changed.append(name)
    return changed


def _find_by_hint(hint: dict, lines: list[Line], parse, name: str):
    label = hint.get("label", "")
    for index, line in enumerate(lines):
        for segment in line.segments:
            text = normalise_label(segment.text)
            if text == label:
                candidates = (
                    [segment_after(segment, line)]
                    if hint.get("where") == "right"
                    else list(segments_below(segment, lines, index))
                )
            elif text.startswith(label + " "):
                # Label and value in one phrase: the words after the label's words.
                candidates = [Segment(segment.words[len(label.split()) :])]
            else:
                continue
            for candidate in candidates:
                if candidate is None or not candidate.words:
                    continue
                value = parse(candidate.text)
                if value is None:
                    continue
                if name not in DATE_FIELDS + AMOUNT_FIELDS and shape(str(value)) != hint.get(
                    "shape"
                ):
                    continue
                return value, candidate
    return None


def _label_of(segment: Segment, start: int, line: Line, lines: list[Line], index: int):
    if start > 0:
        return normalise_label(" ".join(w.text for w in segment.words[:start])), "right"
    before = [s for s in line.segments if s.x1 <= segment.x0]
    if before:
        return normalise_label(max(before, key=lambda s: s.x1).text), "right"
    for above in reversed(lines[max(0, index - 2) : index]):
        over = [s for s in above.segments if s.x0 < segment.x1 and s.x1 > segment.x0]
        if over and above.page == segment.page:
            return normalise_label(over[0].text), "below"
    return None, None


def _same(name: str, parsed, value) -> bool:
    if parsed is None:
        return False
    if name in AMOUNT_FIELDS:
        return Decimal(str(parsed)) == Decimal(str(value))
    if name in DATE_FIELDS:
        return parsed == value
    return str(parsed).casefold() == str(value).strip().casefold()


def row_key(description: str) -> str:
    """A line's text as remembered: the label normalised, each number (its thousands and
    decimal marks included) one "9": "Übertrag 1.234,00" and "ÜBERTRAG: 5,00" are the
    same row, as "Subtotal page 1" and "Subtotal page 2" are."""
    return normalise_label(re.sub(r"\d(?:[\d.,'\u2019\s]*\d)?", "9", description))


def learn_skipped_rows(hints: dict, descriptions: list[str], invoice_id: int) -> bool:
    """Remember, in a vendor profile's `hints`, the rows a clerk removed from one of its
    invoices (their descriptions), newest last, at most MAX_SKIPPED_ROWS; returns whether
    anything new was learned. Mutates `hints`; the caller saves the profile."""
    known = hints.get(SKIPPED_ROWS, {}).get("rows", [])
    new = [key for key in dict.fromkeys(map(row_key, descriptions)) if key and key not in known]
    if not new:
        return False
    rows = [*known, *new][-MAX_SKIPPED_ROWS:]
    hints[SKIPPED_ROWS] = {"rows": rows, "learned_from": invoice_id}
    return True


def skip_learned_rows(result: ExtractionResult, hints: dict) -> int:
    """Leave out of `result.lines` the rows clerks removed from this vendor's earlier
    invoices; returns how many were left out. Only where the arithmetic confirms it: the
    counted lines do not add up to the sum of line net amounts (BT-106, or the net amount
    BT-109 where the document states no BT-106) with those rows, and do without them
    (EN 16931 BR-CO-10). A row that is a real item this time stays, so a learned row never
    removes a line silently."""
    rows = set(hints.get(SKIPPED_ROWS, {}).get("rows", []))
    if not rows or not result.lines:
        return 0
    target = result.totals.line_total
    if target is None:
        target = result.value("net_amount")
    counted = [line for line in result.lines if line.counted]
    if not isinstance(target, Decimal) or any(line.amount is None for line in counted):
        return 0
    skipped = [line for line in counted if row_key(line.description) in rows]
    if not skipped or sum(line.amount for line in counted) == target:
        return 0
    if sum(line.amount for line in counted if line not in skipped) != target:
        return 0
    result.lines = [line for line in result.lines if line not in skipped]
    return len(skipped)
