"""How sure a receipt's shop, date and total are: calibrated on receipts of other shops.

The receipt rules (extraction.receipts) fit nothing to data; each answer comes with a raw
score (the rules' evidence times the OCR confidence of its words). What that score means is
measured: on labelled receipts, the answers of each shop are scored by a calibration fitted
on the other shops' answers only (`cross_validate`; no shop in the fitted and the scored
part at once, shops grouped by name or address, so "MR D.I.Y. (M) SDN BHD" and "MR.D.I.Y
(M)SDN BHD" are one shop), with extraction.training's isotonic calibration and its
comparisons (`same`). `manage.py train_receipt_calibration` prints that and writes the
calibration fitted on all of them to extraction.receipts.CALIBRATION_PATH.

Labelled receipts are laid out as SROIE's (ICDAR 2019): `key/NNN.json` with company, date
(as printed), address and total, beside `img/NNN.jpg` and the line truth `box/NNN.csv`.
"""

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz

from extraction.layout import Word
from extraction.receipts import FIELDS, fit_calibration, probability, read_receipt

# A few printed forms beside the day-first ones the team's scorer reads.
_DATE_FORMATS = (
    "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%y", "%d.%m.%y",
    "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d %b %y", "%Y/%m/%d", "%m/%d/%Y", "%Y%m%d",
    "%d-%b-%y",
)  # fmt: skip


@dataclass
class LabelledReceipt:
    """One receipt: its words and its true company, date (ISO) and total."""

    name: str
    words: list[Word]
    truth: dict[str, str]  # vendor_name, invoice_date (ISO), total_amount
    company: str
    address: str = ""


@dataclass
class HeldOutAnswer:
    receipt: str
    shop: int
    field: str
    value: object
    score: float  # the raw score
    confidence: float  # calibrated on other shops
    right: bool


def truth_of(key: dict) -> dict[str, str]:
    """A SROIE key as the fields judged: company, the printed date read as ISO (left out
    where no form reads it), the total without its currency."""
    truth = {"vendor_name": key.get("company") or ""}
    printed = (key.get("date") or "").strip()
    for form in _DATE_FORMATS:
        try:
            truth["invoice_date"] = dt.datetime.strptime(printed, form).date().isoformat()
            break
        except ValueError:
            continue
    truth["total_amount"] = re.sub(r"[^\d.,-]", "", key.get("total") or "")
    return {name: value for name, value in truth.items() if value}


def line_truth_words(box_file: Path) -> list[Word]:
    """The line truth of `box/NNN.csv` (x1,y1,...,x4,y4,text; the text may hold commas)
    as words, each line's words spread over its box by their length, in pixels."""
    words = []
    for row in box_file.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = row.split(",", 8)
        if len(cells) < 9 or not cells[8].strip():
            continue
        xs, ys = [float(v) for v in cells[0:8:2]], [float(v) for v in cells[1:8:2]]
        text, start = cells[8], 0
        step = (max(xs) - min(xs)) / max(len(text), 1)
        for token in text.split():
            start = text.index(token, start)
            left, right = min(xs) + start * step, min(xs) + (start + len(token)) * step
            words.append(Word(token, 1, left, min(ys), right, max(ys)))
            start += len(token)
    return words


def load_receipts(folder: Path, words_of=None) -> list[LabelledReceipt]:
    """The labelled receipts of a SROIE-style folder; their words from `words_of(stem)`
    (OCR's, say; None leaves the receipt out), by default the line truth. Raises
    FileNotFoundError when the folder has no key/."""
    keys = sorted((Path(folder) / "key").glob("*.json"))
    if not keys:
        raise FileNotFoundError(f"{folder}/key holds no receipts")
    receipts = []
    for key_file in keys:
        key = json.loads(key_file.read_text(encoding="utf-8"))
        stem = key_file.stem
        if words_of is None:
            words = line_truth_words(Path(folder) / "box" / f"{stem}.csv")
        else:
            words = words_of(stem)
        if words:
            receipts.append(
                LabelledReceipt(
                    stem, words, truth_of(key), key.get("company", ""), key.get("address", "")
                )
            )
    return receipts


def shops(receipts: list[LabelledReceipt]) -> list[int]:
    """A shop number per receipt: receipts whose company names (letters and digits, legal
    form aside) start alike or are 85% alike, or whose addresses are 90% alike, are one."""
    parent = list(range(len(receipts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    names = [_compact(r.company) for r in receipts]
    for i in range(len(receipts)):
        for j in range(i):
            same_name = names[i][:5] == names[j][:5] or fuzz.ratio(names[i], names[j]) >= 85
            same_address = bool(receipts[i].address) and (
                fuzz.ratio(receipts[i].address, receipts[j].address) >= 90
            )
            if same_name or same_address:
                parent[root(i)] = root(j)
    return [root(i) for i in range(len(receipts))]


def _compact(name: str) -> str:
    name = re.sub(r"\b(?:sdn|bhd|s/b|enterprise|trading|co|ltd)\b", " ", name.lower())
    return re.sub(r"[^0-9a-z]", "", name)


def raw_answers(receipts: list[LabelledReceipt]):
    """[(receipt, field, value, raw score, right)] of every field the rules answered,
    and [(receipt, field)] of those they left empty."""
    from extraction.training import same

    answered, empty = [], []
    for receipt in receipts:
        reading = read_receipt(receipt.words)
        for name in FIELDS:
            if name not in receipt.truth:
                continue
            found = reading.fields.get(name)
            if found is None:
                empty.append((receipt, name))
                continue
            value, score, _ = found
            right = same(name, receipt.truth[name], value)
            answered.append((receipt, name, value, score, right))
    return answered, empty


def cross_validate(receipts: list[LabelledReceipt], k: int = 5) -> list[HeldOutAnswer]:
    """Every answer, its confidence from a calibration fitted on the other shops' answers
    (k parts, each shop in one; shops dealt largest first to the smallest part)."""
    answered, _ = raw_answers(receipts)
    shop_of = dict(zip((r.name for r in receipts), shops(receipts), strict=True))
    members: dict[int, list[str]] = {}
    for receipt in receipts:
        members.setdefault(shop_of[receipt.name], []).append(receipt.name)
    parts: list[set[int]] = [set() for _ in range(min(k, len(members)))]
    sizes = [0] * len(parts)
    for shop, names in sorted(members.items(), key=lambda item: (-len(item[1]), item[0])):
        smallest = sizes.index(min(sizes))
        parts[smallest].add(shop)
        sizes[smallest] += len(names)
    held_out = []
    for part in parts:
        fitted = fit_calibration(
            {
                name: [
                    (s, r)
                    for rc, n, _, s, r in answered
                    if n == name and shop_of[rc.name] not in part
                ]
                for name in FIELDS
            }
        )
        for receipt, name, value, score, right in answered:
            if shop_of[receipt.name] in part:
                held_out.append(
                    HeldOutAnswer(
                        receipt.name,
                        shop_of[receipt.name],
                        name,
                        value,
                        score,
                        probability(fitted, name, score),
                        right,
                    )
                )
    return held_out


def summary(receipts: list[LabelledReceipt], held_out: list[HeldOutAnswer], minimum: float):
    """{field: (right, judged)}, and (confident wrong, confident) at `minimum`: an empty
    field counts as judged and not right."""
    judged = {name: sum(name in r.truth for r in receipts) for name in FIELDS}
    right = {name: sum(a.right for a in held_out if a.field == name) for name in FIELDS}
    confident = [a for a in held_out if a.confidence >= minimum]
    return (
        {name: (right[name], judged[name]) for name in FIELDS},
        (sum(not a.right for a in confident), len(confident)),
    )


def fit_all(receipts: list[LabelledReceipt]) -> dict:
    """The calibration fitted on every receipt's answers, with what it was fitted on."""
    answered, _ = raw_answers(receipts)
    fields = fit_calibration(
        {name: [(s, r) for _, n, _, s, r in answered if n == name] for name in FIELDS}
    )
    digest = hashlib.sha256()
    for receipt in sorted(receipts, key=lambda r: r.name):
        digest.update(receipt.name.encode())
        digest.update(json.dumps(receipt.truth, sort_keys=True).encode())
        for word in receipt.words:
            digest.update(f"{word.text}|{word.x0}|{word.top}|{word.confidence}".encode())
    return {
        "about": {
            "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "receipts": len(receipts),
            "shops": len(set(shops(receipts))),
            "answers": len(answered),
            "data_sha256": digest.hexdigest(),
        },
        "fields": fields,
    }
