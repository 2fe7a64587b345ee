"""Labelled real invoice sets (`files/` + `truth.jsonl`, as ../shared/data/realdev and
wild-dev have them) and how an answer is judged against their truth.

The comparisons are the team's scoring tool's (../shared/tools/score.py): `same` is the
product's own copy that training uses (extraction.training.same), `printed` and its helpers
are copied here so the bench follows the project's code and not a file outside it; keep
them equal. As in that tool, a field counts only where its true value is
printed on the document's text layer. VAT id and IBAN, which score.py does not score, are
judged as the end-to-end tool judges them: by their letters and digits.
"""

import datetime as dt
import itertools
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from extraction.training import same

HEADER = [
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "vendor_name",
    "net_amount",
    "tax_amount",
    "total_amount",
    "po_number",
]
EXTRA_FIELDS = ["vendor_vat_id", "vendor_iban"]
FIELDS = [*HEADER, *EXTRA_FIELDS]
RAW_DATE_FORMATS = (
    "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%y",
    "%d.%m.%y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d %b %y", "%Y/%m/%d",
)  # fmt: skip
BUCKETS = [0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99, 1.0]
MONTHS = {
    1: ["jan", "januar", "janvier", "january"],
    2: ["feb", "februar", "février", "fevrier", "february"],
    3: ["mar", "märz", "maerz", "mars", "march"],
    4: ["apr", "april", "avril"],
    5: ["mai", "may"],
    6: ["jun", "juni", "juin", "june"],
    7: ["jul", "juli", "juillet", "july"],
    8: ["aug", "august", "août", "aout"],
    9: ["sep", "sept", "september", "septembre"],
    10: ["oct", "okt", "oktober", "octobre", "october"],
    11: ["nov", "november", "novembre"],
    12: ["dec", "dez", "dezember", "décembre", "decembre", "december"],
}


# --------------------------------------------------------------- score.py's comparisons


def money(s):
    if s is None:
        return None
    s = str(s).strip().replace(" ", "")
    try:
        return abs(Decimal(s)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def alnum(s):
    return re.sub(r"[^0-9A-Z]", "", str(s).upper()) if s is not None else None


def words(s):
    return re.sub(r"[\W_]+", " ", str(s).lower()).strip()


def parse_raw_date(raw):
    raw = raw.strip()
    for fmt in RAW_DATE_FORMATS:
        try:
            return dt.datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def date_forms(iso):
    d = dt.date.fromisoformat(iso)
    forms = {
        d.strftime("%d.%m.%Y"),
        d.strftime("%d/%m/%Y"),
        d.isoformat(),
        d.strftime("%d.%m.%y"),
        d.strftime("%m/%d/%Y"),
        d.strftime("%d-%m-%Y"),
        f"{d.day}.{d.month}.{d.year}",
        d.strftime("%Y%m%d"),
        d.strftime("%d/%m/%y"),
    }
    for m in MONTHS[d.month]:
        for day in (str(d.day), f"{d.day:02d}"):
            forms |= {
                f"{day}. {m} {d.year}",
                f"{day} {m} {d.year}",
                f"{m} {day}, {d.year}",
                f"{day}.{m}.{d.year}",
                f"{day}-{m}-{d.year}",
                f"{day} {m}. {d.year}",
            }
    return {f.lower().replace(" ", "") for f in forms}


def amount_forms(v):
    q = money(v)
    whole, frac = f"{q:.2f}".split(".")
    grouped = f"{int(whole):,}"
    return {
        f"{whole}.{frac}",
        f"{whole},{frac}",
        f"{grouped}.{frac}",
        grouped.replace(",", ".") + f",{frac}",
        grouped.replace(",", "'") + f".{frac}",
        grouped.replace(",", "") + f",{frac}",
    }


def printed(name, truth, text):
    """Whether the true value can be seen on the document's text layer."""
    if text is None:
        return True
    t = text.lower().replace(" ", "")
    if name.endswith("_amount"):
        return money(truth) is not None and any(f in t for f in amount_forms(truth))
    if name in ("invoice_date", "due_date"):
        try:
            return any(f in t for f in date_forms(str(truth)[:10]))
        except ValueError:
            return False
    if name in ("invoice_number", "po_number"):
        return alnum(truth) in alnum(text)
    if name == "currency":
        sym = {"EUR": "€", "USD": "$", "GBP": "£", "INR": "₹"}.get(str(truth).upper(), "@@")
        return str(truth).lower() in t or sym in t
    if name == "vendor_name":
        return words(truth).replace(" ", "") in words(text).replace(" ", "")
    return True


def page_text(pdf: str | Path | bytes):
    """The PDF's text layer (from a path or the bytes), or None for an image-only PDF."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf if isinstance(pdf, bytes) else str(pdf))
    text = "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    return text if text.strip() else None


# -------------------------------------------------------- which fields count, and right


def checked(name, truth, text) -> bool:
    """Whether a field is judged on this document: the truth has it and it is printed."""
    if name not in truth:
        return False
    if name in EXTRA_FIELDS:
        return text is None or alnum(truth[name]) in alnum(text)
    return printed(name, truth[name], text)


def right(name, truth, got) -> bool:
    """score.py's comparison, as the product trains with it (extraction.training.same): VAT
    ids and IBANs by letters and digits, as touchless.py compares them."""
    return same(name, truth, got)


# --------------------------------------------------------------------------- the sets


@dataclass
class LabelledFile:
    set_name: str
    file: str
    path: Path
    layout: str
    truth: dict[str, str]
    text: str | None = None  # the text layer, read once


def sets_dir() -> Path:
    """../shared/data beside the repository."""
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def load_set(set_dir: Path) -> list[LabelledFile]:
    truth_file = set_dir / "truth.jsonl"
    if not truth_file.exists():
        truth_file = set_dir / "gt.jsonl"
    files = []
    for line in truth_file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        truth = dict(row["fields"])
        if "invoice_date_raw" in truth:  # as score.py reads it
            iso = parse_raw_date(str(truth.pop("invoice_date_raw")))
            if iso:
                truth["invoice_date"] = iso
        path = set_dir / "files" / row["file"]
        item = LabelledFile(set_dir.name, row["file"], path, row.get("layout") or "", truth)
        if path.suffix.lower() == ".pdf":
            try:
                item.text = page_text(path)
            except Exception:  # an unreadable PDF: every field counts
                item.text = None
        files.append(item)
    return files


# ---------------------------------------------------------------------- field accuracy


@dataclass
class Tally:
    """Field accuracy as score.py counts it, and answers by confidence."""

    min_confidence: float
    hits: dict = field(default_factory=lambda: defaultdict(int))
    total: dict = field(default_factory=lambda: defaultdict(int))
    unprinted: dict = field(default_factory=lambda: defaultdict(int))
    confident: dict = field(default_factory=lambda: defaultdict(int))
    confident_wrong: dict = field(default_factory=lambda: defaultdict(int))
    answers: list = field(default_factory=list)  # (confidence, right) of every answer given
    documents: int = 0
    unreadable: int = 0

    def add(self, truth: dict, report: dict | None, text: str | None, names=FIELDS):
        """`report` is `ExtractionResult.as_json()` (what `extract --json` prints)."""
        self.documents += 1
        self.unreadable += report is None
        got = (report or {}).get("fields", {})
        confidence = (report or {}).get("confidence") or {}
        for name in names:
            if name not in truth:
                continue
            if not checked(name, truth, text):
                self.unprinted[name] += 1
                continue
            self.total[name] += 1
            ok = right(name, truth[name], got.get(name))
            self.hits[name] += ok
            conf = confidence.get(name)
            if got.get(name) not in (None, "") and conf is not None:
                self.answers.append((conf, ok))
                if conf >= self.min_confidence:
                    self.confident[name] += 1
                    self.confident_wrong[name] += not ok

    def merge(self, other: "Tally") -> "Tally":
        both = Tally(self.min_confidence)
        for part in (self, other):
            for name in FIELDS:
                both.hits[name] += part.hits[name]
                both.total[name] += part.total[name]
                both.unprinted[name] += part.unprinted[name]
                both.confident[name] += part.confident[name]
                both.confident_wrong[name] += part.confident_wrong[name]
            both.answers += part.answers
            both.documents += part.documents
            both.unreadable += part.unreadable
        return both

    def overall(self, names=HEADER) -> tuple[int, int]:
        return sum(self.hits[n] for n in names), sum(self.total[n] for n in names)

    def confident_wrong_share(self, names=HEADER) -> tuple[int, int]:
        """(wrong, all) among the answers at or above the minimum confidence."""
        return (
            sum(self.confident_wrong[n] for n in names),
            sum(self.confident[n] for n in names),
        )


def _share(hits: int, total: int) -> str:
    return f"{hits:>3}/{total:<3} {hits / total:6.1%}" if total else f"{'-':>16}"


def print_accuracy(columns: dict[str, Tally], width: int = 20) -> None:
    """Per field, overall and confident-but-wrong, one column per way of reading."""
    first = next(iter(columns.values()))
    print(f"{'field':<16}" + "".join(f"{title:>{width}}" for title in columns) + "  not printed")
    for name in FIELDS:
        if not first.total[name] and not first.unprinted[name]:
            continue
        cells = "".join(f"{_share(t.hits[name], t.total[name]):>{width}}" for t in columns.values())
        print(f"{name:<16}{cells}  {first.unprinted[name]}")
    ids = any(first.total[n] for n in EXTRA_FIELDS)
    for label, names, note in (
        ("overall", HEADER, "score.py's nine header fields"),
        ("overall +ids", FIELDS, "and VAT id, IBAN"),
    ):
        if names is FIELDS and not ids:
            continue
        cells = "".join(f"{_share(*t.overall(names)):>{width}}" for t in columns.values())
        print(f"{label:<16}{cells}  ({note})")
        cells = "".join(
            f"{_share(*t.confident_wrong_share(names)):>{width}}" for t in columns.values()
        )
        print(f"{'  confident wrong':<16}{cells}  (wrong among answers >= {first.min_confidence})")


def print_reliability(columns: dict[str, Tally], width: int = 20) -> None:
    """Answers by confidence bucket: how many, and how many of them right."""
    print(f"{'confidence':<16}" + "".join(f"{title:>{width}}" for title in columns))
    for low, high in itertools.pairwise(BUCKETS):
        last = high == BUCKETS[-1]
        label = f"[{low:g}, {high:g}" + ("]" if last else ")")
        cells = []
        for tally in columns.values():
            inside = [ok for c, ok in tally.answers if low <= c < high or (last and c == high)]
            cells.append(f"{_share(sum(inside), len(inside)):>{width}}")
        print(f"{label:<16}" + "".join(cells))
    print(f"{'(answers right / answers given in the bucket; missing answers have none)':<16}")
