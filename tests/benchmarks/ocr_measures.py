"""What bench_ocr_real.py measures OCR by: character error rate against line truth, the
words of a page in reading order, and the real sets it reads (SROIE receipts with line and
key-field truth, real scanned invoices, real invoices rendered at 200 dpi).

Words are (x0, top, x1, bottom, text) in pixels of the original image. The CER is
Levenshtein distance (rapidfuzz) over the length of the truth, whitespace collapsed,
letter case kept, summed over lines or pages before dividing (a long line weighs more).
"""

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from tests.benchmarks.realsets import HEADER, parse_raw_date

Box = tuple[float, float, float, float, str]  # x0, top, x1, bottom, text

# SROIE prints a few dates that score.py's day-first formats do not read ("12/28/2017",
# "20180304"); these are unambiguous as printed, so they are read rather than dropped.
_MORE_DATE_FORMATS = ("%m/%d/%Y", "%Y%m%d", "%d %b %y", "%d-%b-%y")


# ------------------------------------------------------------------ character error rate


def normalised(text: str) -> str:
    return " ".join(text.split())


def in_reading_order(boxes: list[Box]) -> list[list[Box]]:
    """Boxes grouped into text lines (a box joins a line when its middle lies within half
    a height of the line's middle), top to bottom, each line left to right."""
    lines: list[list[Box]] = []
    for box in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        middle, height = (box[1] + box[3]) / 2, box[3] - box[1]
        if lines:
            last = lines[-1]
            line_middle = sum((b[1] + b[3]) / 2 for b in last) / len(last)
            line_height = max(b[3] - b[1] for b in last)
            if abs(middle - line_middle) < 0.5 * max(line_height, height):
                last.append(box)
                continue
        lines.append([box])
    return [sorted(line, key=lambda b: b[0]) for line in lines]


def page_text(boxes: list[Box]) -> str:
    return normalised(" ".join(b[4] for line in in_reading_order(boxes) for b in line))


def page_errors(truth: list[Box], words: list[Box]) -> tuple[int, int]:
    """(edits, truth characters): the page's truth lines in reading order against the OCR
    words in reading order; text the OCR found that the truth does not have counts."""
    reference = page_text(truth)
    return Levenshtein.distance(reference, page_text(words)), len(reference)


def line_errors(truth: list[Box], words: list[Box]) -> tuple[int, int]:
    """(edits, truth characters), each truth line against the OCR words whose middle lies
    in its box (a word inside two boxes goes to the one whose middle is nearest), left to
    right; words outside every box are not counted (page_errors counts them)."""
    found: list[list[Box]] = [[] for _ in truth]
    for word in words:
        x, y = (word[0] + word[2]) / 2, (word[1] + word[3]) / 2
        inside = [
            (abs(y - (line[1] + line[3]) / 2), index)
            for index, line in enumerate(truth)
            if line[0] <= x <= line[2] and line[1] <= y <= line[3]
        ]
        if inside:
            found[min(inside)[1]].append(word)
    edits = characters = 0
    for line, mine in zip(truth, found, strict=True):
        reference = normalised(line[4])
        read = normalised(" ".join(w[4] for w in sorted(mine, key=lambda w: w[0])))
        edits += Levenshtein.distance(reference, read)
        characters += len(reference)
    return edits, characters


def rate(counts: list[tuple[int, int]]) -> float | None:
    edits, characters = sum(c[0] for c in counts), sum(c[1] for c in counts)
    return edits / characters if characters else None


# ------------------------------------------------------- words back on the original image


def to_original(point, angle: float, upright_size, read_size, original_size):
    """A point on the page the engine read (turned upright by `angle` degrees as
    extraction.ocr.orientation.rotate turns it, from an image of `read_size`, which is the
    original scaled) as a point on the original image."""
    x, y = point
    quarters = round(angle / 90) % 4
    skew = angle - round(angle / 90) * 90
    width, height = read_size
    turned = (height, width) if quarters % 2 else (width, height)
    if abs(skew) >= 0.1:
        # rotate() turns about the middle and widens the canvas to upright_size.
        theta = math.radians(skew)
        dx, dy = x - upright_size[0] / 2, y - upright_size[1] / 2
        x = turned[0] / 2 + dx * math.cos(theta) - dy * math.sin(theta)
        y = turned[1] / 2 + dx * math.sin(theta) + dy * math.cos(theta)
    if quarters == 1:  # ROTATE_90 took (x, y) to (y, width - x)
        x, y = width - y, x
    elif quarters == 2:
        x, y = width - x, height - y
    elif quarters == 3:  # ROTATE_270 took (x, y) to (height - y, x)
        x, y = y, height - x
    scale = original_size[0] / width
    return x * scale, y * scale


# ------------------------------------------------------------------------------ the sets


@dataclass
class Page:
    set_name: str
    name: str
    path: Path
    truth: dict  # field -> true value, only the fields that are judged
    lines: list[Box] = field(default_factory=list)  # line truth (SROIE), original pixels
    note: str = ""


def receipts(folder: Path, step: int) -> list[Page]:
    """SROIE: img/NNN.jpg, box/NNN.csv (8 coordinates, then the transcript, which may hold
    commas), key/NNN.json; company, date and total judged as vendor_name, invoice_date
    and total_amount."""
    pages = []
    for path in sorted((folder / "img").glob("*.jpg"))[::step]:
        key = json.loads((folder / "key" / f"{path.stem}.json").read_text(encoding="utf-8"))
        truth = {"vendor_name": key.get("company"), "total_amount": key.get("total")}
        note = ""
        date = receipt_date(key.get("date") or "")
        if date:
            truth["invoice_date"] = date
        else:
            note = f"date {key.get('date')!r} not read as a date: not judged"
        lines = []
        box_file = folder / "box" / f"{path.stem}.csv"
        for row in box_file.read_text(encoding="utf-8", errors="replace").splitlines():
            cells = row.split(",", 8)
            if len(cells) < 9 or not cells[8].strip():
                continue
            xs, ys = [float(v) for v in cells[0:8:2]], [float(v) for v in cells[1:8:2]]
            lines.append((min(xs), min(ys), max(xs), max(ys), cells[8]))
        truth = {k: v for k, v in truth.items() if v}
        pages.append(Page("sroie-dev", path.name, path, truth, lines, note))
    return pages


def receipt_date(printed: str) -> str | None:
    iso = parse_raw_date(printed)
    if iso:
        return iso
    for form in _MORE_DATE_FORMATS:
        try:
            return dt.datetime.strptime(printed.strip(), form).date().isoformat()
        except ValueError:
            continue
    return None


def scanned_invoices(folder: Path) -> list[Page]:
    """scan-dev: files/ and truth.jsonl; images, so every header field in the truth counts
    (score.py's rule for files without a text layer)."""
    pages = []
    for line in (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            truth = {k: v for k, v in row["fields"].items() if k in HEADER}
            pages.append(Page("scan-dev", row["file"], folder / "files" / row["file"], truth))
    return pages


def rendered_invoices(folder: Path, step: int) -> list[Page]:
    """realdev's 200 dpi PNG of page 1 (`image`); only the fields printed on page 1
    (`printed_page1`) are judged."""
    pages = []
    lines = (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    for line in [line for line in lines if line.strip()][::step]:
        row = json.loads(line)
        if not row.get("image"):
            continue
        shown = set(row.get("printed_page1", row["fields"]))
        truth = {k: v for k, v in row["fields"].items() if k in HEADER and k in shown}
        path = folder / row["image"]
        if not path.exists():  # the PNGs lie beside the PDFs, in files/
            path = folder / "files" / row["image"]
        pages.append(Page("realdev", row["image"], path, truth))
    return pages


# ------------------------------------------------------- receipts read as receipts (SROIE)


def receipt_rows(pages: list[Page], words: dict[str, list]) -> list[tuple[str, list[str]]]:
    """Rows for the bench's table: per way (`words`: way -> each page's OCR words, as
    extraction.layout.Word), the receipt rules' company, date and total right, and the
    share of confident answers (>= EXTRACTION_MIN_CONFIDENCE) wrong, every confidence from
    a calibration fitted on other shops only (extraction.receipt_calibration); the line
    truth's figures first, as a row of their own."""
    from django.conf import settings

    from extraction.receipt_calibration import (
        LabelledReceipt,
        cross_validate,
        line_truth_words,
        summary,
        truth_of,
    )
    from extraction.receipts import FIELDS

    minimum = settings.EXTRACTION_MIN_CONFIDENCE
    keys = [
        json.loads((p.path.parent.parent / "key" / f"{p.path.stem}.json").read_text())
        for p in pages
    ]

    def figures(word_lists) -> list[str]:
        receipts = [
            LabelledReceipt(p.name, w, truth_of(k), k.get("company", ""), k.get("address", ""))
            for p, w, k in zip(pages, word_lists, keys, strict=True)
            if w
        ]
        if len({r.company for r in receipts}) < 2:
            return ["-"] * (len(FIELDS) + 2)
        fields, (wrong, confident) = summary(receipts, cross_validate(receipts), minimum)
        right, judged = sum(r for r, _ in fields.values()), sum(j for _, j in fields.values())
        return [
            *(f"{r}/{j} {r / j:.0%}" if j else "-" for r, j in fields.values()),
            f"{right}/{judged} {right / max(judged, 1):.0%}",
            f"{wrong}/{confident}" + (f" {wrong / confident:.1%}" if confident else ""),
        ]

    truth = figures(
        [line_truth_words(p.path.parent.parent / "box" / f"{p.path.stem}.csv") for p in pages]
    )
    columns = [figures(lists) for lists in words.values()]
    labels = [*(f"  receipt {SROIE_LABELS[name]}" for name in FIELDS), "receipt fields right"]
    labels.append(f"receipt conf.>={minimum} wrong")
    rows = [(f"{label} (line truth)", [truth[i]]) for i, label in enumerate(labels)]
    rows += [(label, [column[i] for column in columns]) for i, label in enumerate(labels)]
    return rows


SROIE_LABELS = {"vendor_name": "company", "invoice_date": "date", "total_amount": "total"}


def read_words(reads) -> list:
    """The engine's words on a page's first image (PageResult.reads) as extraction's Words,
    in pixels of the page it read, with the recogniser's confidence."""
    from extraction.layout import Word

    if not reads:
        return []
    _, words, _ = reads[0]
    return [Word(w.text, 1, w.x0, w.top, w.x1, w.bottom, w.confidence) for w in words]
