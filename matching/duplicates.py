"""Duplicate invoices: the earlier invoices a new one may be a copy of, and the findings
that name them.

An earlier invoice counts when it comes from the same vendor (the same `vendor_id`; while
the vendor is unknown, another unknown-vendor invoice under the same name, any case), runs
in the same direction (a credit note is no copy of the invoice it credits, whatever its
number) and can be an original (see `_originals`). Each hit names the one rule that fired,
the most telling first:

- `same_number`: the same invoice number, compared by its key (`Invoice.normalised_number`:
  without case, spaces, punctuation, a letter prefix or leading zeros; a later group typed
  with or without its zeros, "2026/815" and "2026/0815", is the same number too). The
  prefixes must agree (equal, or one of them absent), at any dates and any totals.
- `same_number_other_series`: the same key under another prefix ("RE-42" and "GS-42" are
  two series of one vendor) counts only with the same total too.
- `ocr_one_apart`: numbers equal only once letters OCR takes for digits are read as those
  digits ("INV-2O26-0815" and "INV-2026-0815"; "RE-I58" and "RE-158", where the misread
  digit joined the prefix), at any dates and totals; or keys one edit apart with the same
  total and the dates within DUPLICATE_DAYS (or unknown). A number one digit apart with
  another total is the vendor's next invoice, not a copy; and one with the same total a
  month later is the next invoice of a fixed amount (rent, a licence), so the dates must
  be close as well.
- `same_amount_close_dates`: the same total, invoice dates at most DUPLICATE_DAYS apart.

The lookup is two indexed queries whatever the vendor's history: by (vendor,
normalised_number) for the number rules, by (vendor, total_amount) for the rest
(`invoice_dup_by_number`, `invoice_dup_by_total`); candidates are compared here.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q
from rapidfuzz.distance import Levenshtein

from core.identifiers import (
    OCR_LETTERS,
    fold_ocr_letters,
    invoice_number_groups,
    invoice_number_key,
)
from core.models import Invoice, Status

DUPLICATE_DAYS = 7
# Candidates read per query: a vendor's copies of one number, or its invoices of one total
# within two weeks, are a handful; this bounds a pathological vendor.
_MOST = 50
_DIGITS_MISREAD = set(fold_ocr_letters(OCR_LETTERS))  # the digits OCR may read as a letter

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

    @classmethod
    def of(cls, raw: str) -> "_Number":
        prefix, groups = invoice_number_groups(raw)
        return cls(prefix, tuple(groups), invoice_number_key(raw))

    @property
    def typed(self) -> str:
        """The digits and letters after the prefix, unfolded, without leading zeros."""
        return "".join(self.groups).lstrip("0")

    def keys_padded(self) -> set[str]:
        """Its key, and the keys of the same number with one later group typed with none,
        one or two zeros in front ("2026/815", "2026/0815", "2026/00815")."""
        folded = [fold_ocr_letters(group) for group in self.groups]
        keys = {self.key}
        for at in range(1, len(folded)):
            bare = folded[at].lstrip("0")
            for group in (bare, "0" + bare, "00" + bare):
                keys.add(_joined([*folded[:at], group, *folded[at + 1 :]]))
        keys.discard("")
        return keys

    def keys_alike(self) -> set[str]:
        """keys_padded, and the keys the number has when a digit next to its prefix is read
        as a letter and joins the prefix, or the other way round ("RE-158", "RE-I58")."""
        keys = self.keys_padded()
        if not self.key or not self.groups:
            return keys
        rest = fold_ocr_letters("".join(self.groups))
        for size in (1, 2):
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
    arrives after it: a later invoice counts only once matching has already passed it.
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
        originals = originals.exclude(pk=invoice.pk).filter(
            Q(pk__lt=invoice.pk) | ~Q(status__in=(Status.RECEIVED, Status.EXTRACTED))
        )
    return originals


def _by_number(invoice: Invoice, number: _Number, row) -> str | None:
    """The rule a candidate of a key alike meets, if any."""
    other = _Number.of(row[1])
    if _one_series(number.prefix, other.prefix) and other.key in number.keys_padded():
        return OCR_ONE_APART if _misread(number, other) else SAME_NUMBER
    keys = _aligned(number, other)
    if keys is None:
        same_total = invoice.total_amount is not None and invoice.total_amount == row[3]
        return SAME_NUMBER_OTHER_SERIES if same_total and number.key == other.key else None
    # A digit misread as a letter joined the prefix ("INV-O815"): the same number once the
    # letter is given back.
    return OCR_ONE_APART if keys[0] == keys[1] else None


def _by_amount(invoice: Invoice, number: _Number, row) -> str | None:
    """The rule a candidate of the same total meets, if any (its number is not alike)."""
    if row[2] and invoice.invoice_date:
        close = abs((invoice.invoice_date - row[2]).days) <= DUPLICATE_DAYS
    else:
        close = None  # a date unknown: the amount rule cannot tell, the OCR rule may
    keys = _aligned(number, _Number.of(row[1]))
    if close is not False and keys and all(keys) and _one_edit_apart(*keys):
        return OCR_ONE_APART
    return SAME_AMOUNT_CLOSE_DATES if close else None


def _one_edit_apart(mine: str, theirs: str) -> bool:
    return Levenshtein.distance(mine, theirs, score_cutoff=1) <= 1


def _one_series(mine: str, theirs: str) -> bool:
    """Two prefixes name one series when they are equal or one of them is absent."""
    return mine == theirs or not mine or not theirs


def _aligned(mine: _Number, theirs: _Number) -> tuple[str, str] | None:
    """The two keys as numbers of one series; None for two series ("RE-42", "GS-42").

    A prefix is the letters before the first digit, so a digit misread as a letter right
    after it joins it ("INV-O815" is "INVO" and "815"); a prefix that only adds such
    letters to the other's gives them back to its number, read as digits."""
    if _one_series(mine.prefix, theirs.prefix):
        return mine.key, theirs.key
    short, long = sorted((mine, theirs), key=lambda number: len(number.prefix))
    tail = long.prefix[len(short.prefix) :]
    if not long.prefix.startswith(short.prefix) or not set(tail) <= set(OCR_LETTERS):
        return None
    moved = _joined([fold_ocr_letters(tail), *map(fold_ocr_letters, long.groups)])
    return (moved, short.key) if long is mine else (short.key, moved)


def _misread(mine: _Number, theirs: _Number) -> bool:
    """Whether two numbers alike by key differ as typed in a letter OCR takes for a digit
    (not merely in zeros a vendor pads a group with)."""
    has_letters = any(ch in OCR_LETTERS for ch in mine.typed + theirs.typed)
    return has_letters and mine.typed.replace("0", "") != theirs.typed.replace("0", "")


def duplicate_findings(invoice_number: str, currency: str, total_amount, hits) -> list[dict]:
    """One DUPLICATE finding per hit (dicts: code, message, details, for the engine's
    `match`), naming the earlier invoice (number, date, total, and its id in
    `details["invoice_ids"]`, which the invoice screen links) and the rule that fired, in
    words and as `details["rule"]`."""
    return [_finding(invoice_number, currency, total_amount, hit) for hit in hits]


def _finding(invoice_number: str, currency: str, total_amount, hit: DuplicateHit) -> dict:
    earlier = (
        f"invoice #{hit.invoice_id} ({hit.invoice_number or 'no number'}, "
        f"dated {hit.invoice_date.isoformat() if hit.invoice_date else 'without a date'}, "
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
        if invoice_number_key(invoice_number) == invoice_number_key(hit.invoice_number):
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
    return "unknown" if value is None else f"{value:,.2f} {currency}".strip()
