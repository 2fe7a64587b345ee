"""Duplicate invoices: the earlier invoices a new one may be a copy of, and the findings
that name them.

An earlier invoice counts when it comes from the same vendor (the same `vendor_id`; while
the vendor is unknown, another unknown-vendor invoice under the same name, any case), runs
in the same direction (a credit note is no copy of the invoice it credits, whatever its
number) and can be an original (see `_originals`). Each hit names the one rule that fired,
the most telling first:

- `same_number`: the same invoice number, found by its key (`Invoice.normalised_number`:
  without case, spaces, punctuation, a letter prefix or leading zeros) and then compared
  group by group as typed: when both numbers are typed in two or more groups (the runs
  their spaces and punctuation separate), the groups must agree one to one, each without
  its leading zeros ("2026/815" and "2026/0815" are one number, "FV 1/12/2026" and
  "FV 11/2/2026" are two, as are "FV 1/2026" and "FV 10/2026"); a number typed as one run
  ("KFS20260815") matches a grouped one by its key, zeros included, since nothing tells
  where its groups were. The prefixes must agree (equal, or one of them absent), at any
  dates and any totals.
- `same_number_other_series`: the same number under another prefix ("RE-42" and "GS-42" are
  two series of one vendor) counts only with the same total too.
- `ocr_one_apart`: numbers equal only once letters OCR takes for digits are read as those
  digits ("INV-2O26-0815" and "INV-2026-0815"; "RE-I58" and "RE-158", or "I058" and
  "1058", where the misread digit became, or joined, the prefix: up to two such letters
  are given back to the number), at any dates and totals; or numbers one misread
  character apart with the same total and the dates within DUPLICATE_DAYS (or unknown).
  One character apart means one letter for a digit, one character more or less, or one
  digit for another that OCR confuses with it (3/8, 5/6, 1/7, 0/8, 6/8); other digits one
  apart ("1002", "1003") are consecutive numbers. A number one digit apart with another
  total is the vendor's next invoice, not a copy; and one with the same total a month
  later is the next invoice of a fixed amount (rent, a licence), so the dates must be
  close as well.
- `same_amount_close_dates`: the same total, invoice dates at most DUPLICATE_DAYS apart.

The lookup is two indexed queries whatever the vendor's history: by (vendor,
normalised_number) for the number rules, by (vendor, total_amount) for the rest
(`invoice_dup_by_number`, `invoice_dup_by_total`); candidates are compared here.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import product

from django.db.models import Exists, OuterRef, Q
from rapidfuzz.distance import Levenshtein

from core.business_rules import money
from core.exception_codes import ExceptionCode
from core.formatting import format_date
from core.identifiers import (
    OCR_LETTERS,
    fold_ocr_letters,
    invoice_number_groups,
    invoice_number_key,
)
from core.models import Invoice, InvoiceException, Status

DUPLICATE_DAYS = 7
# Candidates read per query: a vendor's copies of one number, or its invoices of one total
# within two weeks, are a handful; this bounds a pathological vendor.
_MOST = 50
_DIGITS_MISREAD = set(fold_ocr_letters(OCR_LETTERS))  # the digits OCR may read as a letter
# Digits OCR reads as one another; any other digit for a digit is another number.
_DIGITS_CONFUSED = {frozenset(pair) for pair in ("38", "56", "17", "08", "68")}
# Letters of a prefix that may be a misread digit given back to the number, at most.
_GIVEN_BACK = 2
# Later groups padded together with zeros in the lookup's keys, at most (3 ** 3 keys).
_PADDED_GROUPS = 3

SAME_NUMBER = "same_number"
SAME_NUMBER_OTHER_SERIES = "same_number_other_series"
OCR_ONE_APART = "ocr_one_apart"
SAME_AMOUNT_CLOSE_DATES = "same_amount_close_dates"
RULES = {
    SAME_NUMBER: "same vendor and invoice number (compared without case, spaces, "
    "punctuation, a series prefix or leading zeros)",
    SAME_NUMBER_OTHER_SERIES: "same vendor, invoice number and total under another series prefix",
    OCR_ONE_APART: "same vendor, invoice numbers one misread character apart",
    SAME_AMOUNT_CLOSE_DATES: f"same vendor and total, invoice dates at most {DUPLICATE_DAYS} "
    "days apart",
}


@dataclass(frozen=True)
class DuplicateHit:
    """An earlier invoice the new one may be a copy of, and the rule (a RULES key) that
    says so."""

    invoice_id: int
    rule: str
    invoice_number: str = ""
    invoice_date: date | None = None
    total_amount: Decimal | None = None


@dataclass(frozen=True)
class _Number:
    """An invoice number taken apart for comparing."""

    prefix: str
    groups: tuple[str, ...]  # as typed, upper-case
    key: str  # as stored in Invoice.normalised_number
    spaced: str  # as typed, upper-case, each run of spaces and punctuation one space

    @classmethod
    def of(cls, raw: str) -> "_Number":
        prefix, groups = invoice_number_groups(raw)
        spaced = re.sub(r"[^0-9A-Za-z]+", " ", raw or "").upper().strip()
        return cls(prefix, tuple(groups), invoice_number_key(raw), spaced)

    @property
    def typed(self) -> str:
        """The digits and letters after the prefix, unfolded, without leading zeros."""
        return "".join(self.groups).lstrip("0")

    def given_back(self, size: int) -> tuple[str, ...]:
        """Its groups once the last `size` letters of its prefix are read as part of the
        number, where they were typed: "RE-I58" is ("I58",), "S-10045" ("S", "10045")."""
        keep, at = len(self.prefix) - size, 0
        while keep:
            keep -= self.spaced[at] != " "
            at += 1
        return tuple(self.spaced[at:].split())

    def keys_padded(self) -> set[str]:
        """Its key, and the keys of the same number with its later groups typed with none,
        one or two zeros in front ("2026/815", "2026/0815", "2026/00815"; "2026/1/5",
        "2026/01/05"): all of them together for up to _PADDED_GROUPS later groups, one at a
        time beyond."""
        folded = [fold_ocr_letters(group) for group in self.groups]
        keys = {self.key}
        padded = [(bare, "0" + bare, "00" + bare) for bare in (g.lstrip("0") for g in folded)]
        if 1 < len(folded) <= _PADDED_GROUPS + 1:
            for later in product(*padded[1:]):
                keys.add(_joined([folded[0], *later]))
        else:
            for at in range(1, len(folded)):
                for group in padded[at]:
                    keys.add(_joined([*folded[:at], group, *folded[at + 1 :]]))
        keys.discard("")
        return keys

    def keys_alike(self) -> set[str]:
        """keys_padded, and the keys the number has when a digit next to its prefix is read
        as a letter and joins the prefix, or the other way round ("RE-158", "RE-I58";
        "1058", "I058")."""
        keys = self.keys_padded()
        if not self.key or not self.groups:
            return keys
        rest = fold_ocr_letters("".join(self.groups))
        for size in range(1, _GIVEN_BACK + 1):
            tail = self.prefix[-size:]
            if len(tail) == size and set(tail) <= set(OCR_LETTERS):
                keys.add(_joined([fold_ocr_letters(tail), rest]))
            if set(rest[:size]) <= _DIGITS_MISREAD and len(rest) > size:
                keys.add(_joined([rest[size:]]))
        return keys


def _joined(groups: list[str]) -> str:
    return ("".join(groups).lstrip("0") or "0")[:64]


def find_duplicates(invoice: Invoice) -> list[DuplicateHit]:
    """The earlier invoices `invoice` may be a copy of, one hit each, by invoice id: at most
    two queries (see the module's docstring for the rules)."""
    originals = _originals(invoice)
    if originals is None:
        return []
    number = _Number.of(invoice.invoice_number)
    hits: dict[int, DuplicateHit] = {}
    fields = ("pk", "invoice_number", "invoice_date", "total_amount")
    if number.key:
        rows = originals.filter(normalised_number__in=sorted(number.keys_alike()))
        for row in rows.order_by("pk").values_list(*fields)[:_MOST]:
            rule = _by_number(invoice, number, row)
            if rule:
                hits[row[0]] = DuplicateHit(row[0], rule, *row[1:])
    if invoice.total_amount:
        rows = originals.filter(total_amount=invoice.total_amount)
        if invoice.invoice_date:
            window = timedelta(days=DUPLICATE_DAYS)
            start, end = invoice.invoice_date - window, invoice.invoice_date + window
            rows = rows.filter(Q(invoice_date__range=(start, end)) | Q(invoice_date__isnull=True))
        for row in rows.exclude(pk__in=list(hits)).order_by("-pk").values_list(*fields)[:_MOST]:
            rule = _by_amount(invoice, number, row)
            if rule:
                hits[row[0]] = DuplicateHit(row[0], rule, *row[1:])
    return sorted(hits.values(), key=lambda hit: hit.invoice_id)


def _originals(invoice: Invoice):
    """The invoices that may be the original of `invoice`; None when it names no vendor.

    The first one received is the original, so an original is never flagged by a copy that
    arrives after it: a later invoice counts only once matching has already passed it (an
    early invoice stuck in OCR is still caught against a later copy already posted), and
    only while it has no open DUPLICATE finding itself (the copy waiting in review is not
    the original of the invoice it was flagged against, when that one is matched again).
    Whatever order two workers run in, exactly one of two copies is flagged. (The same
    document twice is one invoice already: intake knows it by its hash.)
    """
    if invoice.vendor_id:
        same_vendor = Q(vendor_id=invoice.vendor_id)
    elif invoice.vendor_name:
        # Unknown vendors by name, among unknown vendors only: the index's vendor column
        # is NULL for them, so this stays a lookup.
        same_vendor = Q(vendor__isnull=True, vendor_name__iexact=invoice.vendor_name)
    else:
        return None
    originals = Invoice.objects.filter(same_vendor, document_type=invoice.document_type)
    # A rejected invoice may be sent again; one marked duplicate is the copy, not the
    # original.
    originals = originals.exclude(status__in=(Status.REJECTED, Status.DUPLICATE))
    if invoice.pk is not None:
        # Read through the exceptions' invoice index, for the few candidates only.
        flagged = InvoiceException.objects.filter(
            invoice=OuterRef("pk"), code=ExceptionCode.DUPLICATE, resolved_at__isnull=True
        )
        passed = ~Q(status__in=(Status.RECEIVED, Status.EXTRACTED)) & ~Q(Exists(flagged))
        originals = originals.exclude(pk=invoice.pk).filter(Q(pk__lt=invoice.pk) | passed)
    return originals


def _by_number(invoice: Invoice, number: _Number, row) -> str | None:
    """The rule a candidate of a key alike meets, if any."""
    other = _Number.of(row[1])
    if _one_series(number.prefix, other.prefix) and _same(number.groups, other.groups):
        return OCR_ONE_APART if _misread(number, other) else SAME_NUMBER
    # A digit misread as a letter became, or joined, the prefix ("INV-O815", "I058"): the
    # same number once the letter is given back.
    if any(_same(*pair) for pair in _given_back(number, other)):
        return OCR_ONE_APART
    same_total = invoice.total_amount is not None and invoice.total_amount == row[3]
    if same_total and not _one_series(number.prefix, other.prefix):
        return SAME_NUMBER_OTHER_SERIES if _same(number.groups, other.groups) else None
    return None


def _by_amount(invoice: Invoice, number: _Number, row) -> str | None:
    """The rule a candidate of the same total meets, if any (its number is not alike)."""
    if row[2] and invoice.invoice_date:
        close = abs((invoice.invoice_date - row[2]).days) <= DUPLICATE_DAYS
    else:
        close = None  # a date unknown: the amount rule cannot tell, the OCR rule may
    if close is not False and number.groups:
        other = _Number.of(row[1])
        pairs = _given_back(number, other)
        if _one_series(number.prefix, other.prefix):
            pairs.insert(0, (number.groups, other.groups))
        if any(mine and theirs and _one_misread_apart(mine, theirs) for mine, theirs in pairs):
            return OCR_ONE_APART
    return SAME_AMOUNT_CLOSE_DATES if close else None


def _one_series(mine: str, theirs: str) -> bool:
    """Two prefixes name one series when they are equal or one of them is absent."""
    return mine == theirs or not mine or not theirs


def _given_back(mine: _Number, theirs: _Number) -> list[tuple[tuple[str, ...], ...]]:
    """The two numbers' groups once the letters the longer prefix adds to the other (none
    where the other has none) are given back to its number, when they are at most
    _GIVEN_BACK letters OCR takes for digits ("INV-O815" is "INVO" and "815", "I058" is
    "I" and "058"); none otherwise. A prefix is the letters before the first digit, so a
    digit misread as a letter at the front of the number ends up in it."""
    short, long = sorted((mine, theirs), key=lambda number: len(number.prefix))
    tail = long.prefix[len(short.prefix) :]
    if not 0 < len(tail) <= _GIVEN_BACK or not long.prefix.startswith(short.prefix):
        return []
    if not set(tail) <= set(OCR_LETTERS):
        return []
    moved = long.given_back(len(tail))
    return [(moved, short.groups) if long is mine else (short.groups, moved)]


def _bare(group: str) -> str:
    """A group (or a number) as compared: letters OCR takes for digits read as digits,
    without leading zeros."""
    return fold_ocr_letters(group).lstrip("0")


def _same(mine: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    """Whether two numbers' groups (as typed, after the prefix) are one number: group by
    group when both have two or more groups, by their keys (zeros within kept) when one
    is typed as a single run, since nothing tells where its groups were."""
    if len(mine) > 1 and len(theirs) > 1:
        return len(mine) == len(theirs) and all(map(_is_same_group, mine, theirs))
    return _joined([fold_ocr_letters("".join(mine))]) == _joined(
        [fold_ocr_letters("".join(theirs))]
    )


def _is_same_group(mine: str, theirs: str) -> bool:
    return _bare(mine) == _bare(theirs)


def _one_misread_apart(mine: tuple[str, ...], theirs: tuple[str, ...]) -> bool:
    """Whether two numbers' groups are one misread character apart: in one group, the
    others agreeing, when both have two or more groups; over the whole number otherwise."""
    if len(mine) > 1 and len(theirs) > 1:
        if len(mine) != len(theirs):
            return False
        apart = [(a, b) for a, b in zip(mine, theirs, strict=True) if not _is_same_group(a, b)]
        return len(apart) == 1 and _misread_character(*apart[0])
    return _misread_character("".join(mine), "".join(theirs))


def _misread_character(mine: str, theirs: str) -> bool:
    """Whether two runs (as typed) are one edit apart, and that edit may be OCR's: a letter
    for a digit, a character more or less, or one digit for another it is confused with
    ("0815", "0816"); not one digit for another ("1002", "1003": consecutive numbers)."""
    mine, theirs = _unpadded(mine), _unpadded(theirs)
    folded_mine, folded_theirs = fold_ocr_letters(mine), fold_ocr_letters(theirs)
    if Levenshtein.distance(folded_mine, folded_theirs, score_cutoff=1) != 1:
        return False
    [edit] = Levenshtein.editops(folded_mine, folded_theirs)
    if edit.tag != "replace":
        return True
    a, b = mine[edit.src_pos], theirs[edit.dest_pos]
    return not (a.isdigit() and b.isdigit()) or frozenset((a, b)) in _DIGITS_CONFUSED


def _unpadded(run: str) -> str:
    """A run as typed without the leading characters that read as zeros."""
    return run[len(fold_ocr_letters(run)) - len(_bare(run)) :]


def _misread(mine: _Number, theirs: _Number) -> bool:
    """Whether two numbers alike by key differ as typed in a letter OCR takes for a digit
    (not merely in zeros a vendor pads a group with)."""
    has_letters = any(ch in OCR_LETTERS for ch in mine.typed + theirs.typed)
    return has_letters and mine.typed.replace("0", "") != theirs.typed.replace("0", "")


def _equal_once_read(mine: str, theirs: str) -> bool:
    """Whether two invoice numbers are one number once letters OCR takes for digits are
    read as digits, a prefix's such letters given back included."""
    a, b = _Number.of(mine), _Number.of(theirs)
    pairs = _given_back(a, b)
    if _one_series(a.prefix, b.prefix):
        pairs.insert(0, (a.groups, b.groups))
    return any(_same(*pair) for pair in pairs)


def duplicate_findings(invoice_number: str, currency: str, total_amount, hits) -> list[dict]:
    """One DUPLICATE finding per hit (dicts: code, message, details, for the engine's
    `match`), naming the earlier invoice (number, date, total, and its id in
    `details["invoice_ids"]`, which the invoice screen links) and the rule that fired, in
    words and as `details["rule"]`."""
    return [_finding(invoice_number, currency, total_amount, hit) for hit in hits]


def _finding(invoice_number: str, currency: str, total_amount, hit: DuplicateHit) -> dict:
    earlier = (
        f"invoice #{hit.invoice_id} ({hit.invoice_number or 'no number'}, "
        f"dated {format_date(hit.invoice_date) if hit.invoice_date else 'without a date'}, "
        f"total {_money(hit.total_amount, currency)})"
    )
    why = _why(invoice_number, total_amount, hit)
    return {
        "code": "DUPLICATE",
        "message": f"Invoice {invoice_number or 'without a number'} may be a copy of the "
        f"earlier {earlier}: {why}.",
        "details": {
            "rule": hit.rule,
            "rule_text": RULES[hit.rule],
            "invoice_ids": [hit.invoice_id],
            "invoice_number": invoice_number,
            "earlier": {
                "invoice_id": hit.invoice_id,
                "invoice_number": hit.invoice_number,
                "invoice_date": hit.invoice_date.isoformat() if hit.invoice_date else None,
                "total_amount": None if hit.total_amount is None else str(hit.total_amount),
            },
        },
    }


def _why(invoice_number: str, total_amount, hit: DuplicateHit) -> str:
    if hit.rule == SAME_NUMBER:
        return RULES[SAME_NUMBER]
    if hit.rule == SAME_NUMBER_OTHER_SERIES:
        return (
            f"the same number and total from this vendor, under series "
            f"{_Number.of(hit.invoice_number).prefix} where this one is "
            f"{_Number.of(invoice_number).prefix}"
        )
    if hit.rule == OCR_ONE_APART:
        if _equal_once_read(invoice_number, hit.invoice_number):
            return (
                "the same invoice number from this vendor once letters a scan takes for "
                "digits are read as digits (O as 0, I as 1, S as 5, B as 8)"
            )
        return (
            "invoice numbers from this vendor one character apart (a misread digit) with "
            f"the same total and the dates at most {DUPLICATE_DAYS} days apart"
        )
    return f"{RULES[SAME_AMOUNT_CLOSE_DATES]} (total {hit.total_amount}, as on this one)"


def _money(value, currency: str) -> str:
    return "unknown" if value is None else money(value, currency)
