"""Receipts and till slips: recognised as such, and their shop, date and total read.

A till slip is not an invoice laid out small. It is printed by a point-of-sale till on a
roll 57 to 80 mm wide, and its genre has fixed parts, the same in the simplified tax
invoices of Malaysia's GST (2015-2018) and the "simplified" or "less detailed" VAT
invoices a shop may give under EU and UK VAT rules for small sales (Directive
2006/112/EC art. 220a, 226b), and as the ICDAR 2019 SROIE receipts show them:

- the shop's name at the top, often in larger type, usually ending with its legal form
  (SDN BHD, S/B, BHD, ENTERPRISE, TRADING, LTD, GMBH), then its registration number, its
  address, telephone and GST or VAT id: a name is the first of those top lines that is not
  an address, a telephone number, a registration number or a tax id;
- a date, printed in any of the till makers' forms (25/12/2018, 12-01-19, 5/3/2018,
  28 MAR 18, 2018-03-23), nearly always with the time of sale beside it or a DATE label;
- the items, then TOTAL (or GRAND TOTAL, NET TOTAL, TOTAL INCL GST, AMOUNT DUE), where a
  cash sale in a country without small coins is rounded to 5 cents (Bank Negara Malaysia's
  rounding mechanism, 2008; Australia, Canada, New Zealand, Sweden alike) with a ROUNDING
  ADJUSTMENT line and a ROUNDED TOTAL that is what was paid;
- the tender (CASH 50.00, CHANGE 16.10, or the card's name and the amount), and the tax
  lines or a GST/VAT summary;
- a farewell (THANK YOU, PLEASE COME AGAIN) and the till's details (cashier, terminal,
  counter, table, pax).

`read_receipt(words)` says whether the words are a receipt (`ReceiptSignals.is_receipt`:
till words of two kinds or more, one of them a kind an invoice hardly prints, such as
CASH, CHANGE, ROUNDING, CASHIER or a time of sale beside the date, and no invoice-only
words such as "Bill to", "Due date" or an IBAN), and reads
the shop, the date and the total by those rules. The total is checked against the tender
(cash less change), the rounding and the GST lines; the date by its label or time; the
name by its legal form. How sure each answer is comes from those checks: their score, times
the OCR recogniser's confidence in the words the value stands on, mapped through an
isotonic calibration measured on held-out shops (`CALIBRATION_PATH`, trained by `manage.py
train_receipt_calibration`), so a field at 0.9 is right about nine times in ten on shops
never seen. Without a calibration file no answer is above UNMEASURED.

A receipt is stored as an invoice of kind "receipt" (core.document_types.Kind.RECEIPT,
`Invoice.document_kind`): it is a non-PO expense, paid at the till, with no purchase order
to match; matching sends it for coding and approval saying so. UNTDID 1001 has no code
for a receipt, so the type code (BT-3) stays empty.
"""

import json
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
from django.conf import settings
from rapidfuzz.distance import Levenshtein

from core.document_types import Kind
from extraction.amounts import LABELLED
from extraction.layout import Box, Line, Word, group_lines, union, word_box
from extraction.parsing import INDIAN_GROUPS, Conventions, currencies_in
from extraction.types import ExtractedField, ExtractionResult, Provenance

CALIBRATION_PATH = Path(__file__).resolve().parent / "model" / "receipt_calibration.json"
FIELDS = ("vendor_name", "invoice_date", "total_amount")
# An answer whose checks were never measured on held-out receipts stays below any sensible
# EXTRACTION_MIN_CONFIDENCE (as extraction.ranker.UNMEASURED).
UNMEASURED = 0.5
MAX_PROBABILITY = 0.99

# --------------------------------------------------------------------- the till's words

# Words of the till slip genre, by kind (ReceiptSignals.is_receipt counts the kinds).
# "Total" and "tax" are on every invoice, so they are not among them.
TILL_WORDS = {
    "cash": r"\bcash\b|\btunai\b",
    "change": r"\bchange\b(?!\s*(?:order|request|note))|\bbaki\b|\bwechselgeld\b|\brendu\b",
    "rounding": r"\bround(?:ing|ed)\b|\brnd\s*adj",
    "farewell": r"thank\s*you|\bthanks\b|\btq\b|terima\s+kasih|come\s+again|see\s+you",
    # "Receipt" as a slip's title, not "payable upon receipt" or "goods receipt GR-1".
    "receipt": r"(?<!upon )(?<!on )(?<!of )(?<!goods )(?<!after )\breceipt\b"
    r"(?!\s+(?:of|no\.?\s*gr))|\bcash\s*bill\b|\bresit\b|\bkassenbon\b|\bquittung\b",
    "till": r"\bcashier|\bterminal\b|\bpax\b|\bkasse\b|\bcaisse\b|\btill\b",
    "tender": r"\btender(?:ed)?\b|\bvisa\b|\bmastercard\b|\bamex\b",
}
_TILL = {kind: re.compile(pattern, re.IGNORECASE) for kind, pattern in TILL_WORDS.items()}
# What an invoice prints and a till slip does not: who is billed, when and how to pay.
_INVOICE_ONLY = re.compile(
    r"\bbill\s*to\b|\binvoice\s*to\b|\bship\s*to\b|\bsold\s*to\b|\bdue\s*date\b|"
    r"\bpayment\s*terms\b|\bterms\s*of\s*payment\b|\biban\b|\bbic\b|\bswift\b|"
    r"\bpurchase\s*order\b|\bremit(?:tance)?\b|\brechnungsempf|\bzahlungsziel|"
    r"\bfällig|\béchéance\b|\bnet\s*\d{2}\s*days\b|\bpayable\s*within\b|"
    # An invoice's date or number label ("Invoice date", "Rechnungsnummer"); a till's
    # "TAX INVOICE" title alone is not one (Malaysian and Singapore slips print it).
    r"\binvoice\s*(?:number|date|no\b|nr\b|#)|\brechnungs(?:nummer|datum)\b|\bdate\s*de\s*facture\b|"
    r"\byour\s*order\b|\border\s*(?:no|number)\b|\bihre\s*bestellung\b",
    re.IGNORECASE,
)
# Kinds of till words that an invoice hardly prints: one of them at least is needed. A
# time of sale beside the date ("25/12/2018 8:13:39 PM") is one.
_TILL_ONLY = {"cash", "change", "rounding", "receipt", "till", "time of sale"}
# A till roll is long and narrow: its text at least this many times as tall as wide (an
# A4 page's text is about 1.4 times; a 30 cm slip from a 80 mm roll about 4 times).
_NARROW = 2.5


@dataclass
class ReceiptSignals:
    """What `is_receipt` decides on: the kinds of till words found, the invoice-only words
    found, and whether the text is laid out as on a till roll (narrow and tall).

    A receipt has a kind of till word an invoice hardly prints (_TILL_ONLY) and, without
    invoice-only words, another kind or a till roll's shape; with one invoice-only word,
    four kinds; with more, it is an invoice."""

    till_kinds: list[str]
    invoice_words: list[str]
    narrow: bool

    @property
    def is_receipt(self) -> bool:
        kinds = len(self.till_kinds)
        if not _TILL_ONLY & set(self.till_kinds):
            return False  # "Thank you" and a card's name are on invoices too
        if self.invoice_words:
            # An invoice may say "Thank you" and list a cash payment; only a slip full of
            # till words, with one stray invoice word at most, is still a receipt.
            return kinds >= 4 and len(self.invoice_words) <= 1
        return kinds >= 2 or self.narrow


def receipt_signals(lines: list[Line]) -> ReceiptSignals:
    """The till words, invoice-only words and shape of page 1 (`lines` in reading order)."""
    first = [line for line in lines if line.page == 1]
    text = spelled("\n".join(line.text for line in first))
    kinds = [kind for kind, pattern in _TILL.items() if pattern.search(text)]
    if any(_TIME.search(line.text) and _has_date(line.text) for line in first):
        kinds.append("time of sale")
    invoice_words = sorted({m.group().lower() for m in _INVOICE_ONLY.finditer(text)})
    narrow = False
    if first:
        words = [word for line in first for word in line.words]
        width = max(w.x1 for w in words) - min(w.x0 for w in words)
        height = max(w.bottom for w in words) - min(w.top for w in words)
        narrow = width > 0 and height / width >= _NARROW
    return ReceiptSignals(kinds, invoice_words, narrow)


# ------------------------------------------------------------------------ the shop's name

# Legal forms a shop's name ends with (Malaysian Companies Act 2016 s. 27: "Sendirian
# Berhad", "Berhad"; sole proprietors register "Enterprise" or "Trading" names; and the
# common forms elsewhere). OCR reads BHD as BND or 8HD now and then.
_LEGAL_FORM = re.compile(
    r"(?:\bsdn\.?\s*b\S?d\b|\bs/b\b|\bb[hn8]d\b|\benterprises?\b|\btrading(?:\s+co)?\b|"
    r"\bltd\b|\blimited\b|\bplc\b|\binc\b|\bllc\b|\bgmbh\b|\bpte\b|\bcorp(?:oration)?\b|"
    r"\bco\b|\bcompany\b|\b(?:s\.?a\.?r\.?l|s\.?a|b\.?v|n\.?v|ag|kg)\b)[\s.,)]*(?:\d+)?$",
    re.IGNORECASE,
)
# Words a shop's name holds: what it is (Malay "perniagaan" business, "kedai" shop,
# "pasaraya" supermarket, "restoran").
_TRADE = re.compile(
    r"\b(?:restaurant|restoran|cafe|café|bistro|kitchen|kitchenette|bakery|mart|market|"
    r"minimarket|supermarket|pasaraya|hypermarket|grocer|hardware|stationery|bookstore|"
    r"books?|pharmacy|farmasi|perniagaan|kedai|store|shop|trading|enterprise|gallery|"
    r"electrical|machinery|motor|petro|station|hotel|pub|bar|deli|handicraft|"
    r"marketing|services?)\b",
    re.IGNORECASE,
)
# Lines at the top that are not the name: the address, telephone, registration and tax
# ids, the title and the till's details.
_NOT_NAME = re.compile(
    r"^\s*(?:no\b|no\.|lot\b|unit\b|jalan\b|jln\b|taman\b|tmn\b|blok?\b|block\b|"
    r"level\b|floor\b|tingkat\b|\d[\w-]*\s*,|\d+[-/])|"
    r"\b(?:jalan|jln|taman|tmn|lorong|persiaran|bandar|street|st\.|road|rd\.|avenue|"
    r"strasse|straße|str\.|rue)\b|\b\d{5}\b|"
    r"\b(?:tel|telephone|phone|fax|h/p|hp|mobile|e-?mail|www|http)\b|@|\.com\b|\.my\b|"
    r"\b(?:co\.?\s*reg|company\s*(?:no|reg)|reg(?:istration)?\.?\s*no|roc|br\s*no|"
    r"gst|sst|vat|tax|abn|ust|mwst|tva)\b|\(\s*\d{4,}|(?<!\d)\d{5,12}-?[a-z]\b|"
    r"\b(?:invoice|receipt|cash\s*bill|bill|resit|document|cashier|welcome|selamat|qty|"
    r"price|amount|desc\w*|items?)\b|"
    r"\b(?:date|time)\s*[:.]",
    re.IGNORECASE,
)
# A company's registration number after its name: "(1070687-M)", "789417-W".
_REGISTRATION = re.compile(
    r"\(?\s*(?:co\.?\s*(?:no|reg)\.?\s*:?\s*)?[A-Z]{0,3}(?<!\d)\d{5,12}-?[A-Z]\s*\)?", re.IGNORECASE
)
_PARENTHESES = re.compile(r"\([^)]*\)")
_ADDRESS = re.compile(
    r"^\s*(?:no\b|no\.|lot\b|unit\b|jalan\b|jln\b|\d[\w-]*\s*,|\d+[-/])|"
    r"\b(?:jalan|jln|taman|tmn|lorong|persiaran|street|road|avenue|strasse|straße|rue)\b|"
    r"\b\d{5}\b",
    re.IGNORECASE,
)
# What ends the header: a title, a date or the till's details.
_HEADER_END = re.compile(
    r"\b(?:invoice|receipt|cash\s*bill|bill|resit|cashier|terminal|counter|table|date|"
    r"order|doc(?:ument)?\s*(?:no|#))\b",
    re.IGNORECASE,
)
# How many lines from the top the name may stand on.
_TOP_LINES = 10


def shop_name(lines: list[Line]) -> tuple[str, float, list[Word]] | None:
    """(name, evidence 0..1, its words) from the header, the lines above the first title,
    date or till line ("TAX INVOICE", "RECEIPT", "CASHIER: ..."; a company named below
    those is the customer): the first line ending with a legal form (joined to the line
    above where the form stands alone: "PASARAYA BORONG PINTAR" / "SDN BHD"), else the
    top-most line that is not an address, a telephone, a registration number or a tax id.
    Evidence 1.0 for a legal form, 0.6 for a top line naming a trade ("RESTORAN"), 0.4
    for a top line alone."""
    top = _header(lines)
    for index, line in enumerate(top):
        text = _clean(_REGISTRATION.sub("", line.text))
        if not _LEGAL_FORM.search(text):
            continue
        bare = _without_legal_form(text)
        if _NOT_NAME.search(_PARENTHESES.sub("", bare)):
            continue
        words = [w for w in line.words if not _REGISTRATION.fullmatch(w.text)]
        if not bare.strip(" .,()&") and index and _name_like(top[index - 1].text):
            words = [*top[index - 1].words, *words]  # the form alone under the name
        elif not bare.strip(" .,()&"):
            continue
        return _clean(" ".join(w.text for w in words)), 1.0, words
    # Above the address: a line under it that has no legal form is the address's own.
    address = next((i for i, line in enumerate(top) if _ADDRESS.search(line.text)), len(top))
    names = [line for line in top[:address] if _name_like(line.text)]
    if names:
        evidence = 0.6 if _TRADE.search(names[0].text) else 0.4
        return _clean(names[0].text), evidence, list(names[0].words)
    return None


def _header(lines: list[Line]) -> list[Line]:
    """The top lines of page 1 down to the first title, date or till line that follows a
    line that could be a name (at most _TOP_LINES); lines OCR read with a mean confidence
    under _UNREAD (a logo, a stamp) left out, and a name ending in "&" joined to the next."""
    top = [line for line in lines if line.page == 1][:_TOP_LINES]
    top = [line for line in top if _mean_confidence(line) >= _UNREAD]
    joined = []
    for line in top:
        if joined and re.search(r"(?:&|\band)\s*$", joined[-1].text, re.IGNORECASE):
            last = joined[-1]
            joined[-1] = Line(last.page, last.top, line.bottom, [*last.words, *line.words])
        else:
            joined.append(line)
    top = joined
    for index, line in enumerate(top):
        ends = _HEADER_END.search(line.text) or _TIME.search(line.text)
        if ends and any(_name_like(above.text) for above in top[:index]):
            return top[:index]
    return top


_UNREAD = 0.02


def _mean_confidence(line: Line) -> float:
    return sum(word.confidence for word in line.words) / max(len(line.words), 1)


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(" ,:;*-")


def _without_legal_form(text: str) -> str:
    return _LEGAL_FORM.sub("", text)


def _name_like(text: str) -> bool:
    text = _clean(text)
    letters = sum(char.isalpha() for char in text)
    return (
        letters >= 3
        # A till prints its header in capitals; small letters alone are a hand's note.
        and text != text.lower()
        and not re.search(r"[^\W\d_]\d|\d[^\W\d_]{2}", text)  # "Aoxo4s", "46X230ML"
        and letters >= 0.5 * len(text.replace(" ", ""))
        and not _NOT_NAME.search(_without_legal_form(text))
        and not any(pattern.search(text) for pattern in _TILL.values())
    )


# ---------------------------------------------------------------------------- the date

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_WORDS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
# OCR may read one of the separators as another ("5/3,2018").
_NUMERIC_DATE = re.compile(
    r"(?<![\d.,])(\d{1,2})([/.-])(\d{1,2})(?:\2|[/.,-](?=\d{4}))(\d{4}|\d{2})(?![\d])"
)
_YEAR_FIRST = re.compile(r"(?<!\d)(20\d{2})([/.-])(\d{1,2})\2(\d{1,2})(?!\d)")
_NAMED_DATE = re.compile(
    rf"(?<!\d)(\d{{1,2}})\s*[-/ ]?\s*({_MONTH_WORDS})[a-z]*\.?\s*[-/ ,]?\s*(\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?<!\d)\d{1,2}[:;]\d{2}(?:[:;,]\d{2})?(?!\d)|\b\d{1,2}[.:]\d{2}\s*[ap]\.?m\b", re.I
)
_DATE_LABEL = re.compile(r"\bdate\b|\btarikh\b|\bdatum\b|\bfecha\b|\bdata\b|\btgl\b", re.I)
# Dates that are not the sale's: an expiry, a voucher's validity, a member's since.
_OTHER_DATE = re.compile(r"\bexp|\bvalid|\buntil\b|\bbefore\b|\bsince\b|\bjoin|\bbirth", re.I)
_PLAUSIBLE_YEARS = (2000, 2099)


@dataclass
class DateCandidate:
    value: date
    order: int
    labelled: bool
    timed: bool
    words: list[Word] = field(default_factory=list)


def sale_date(lines: list[Line], conventions: Conventions) -> tuple[date, float, list[Word]] | None:
    """(date, evidence 0..1, its words): the first date printed with a DATE label (on its
    line or the line above) or the time of sale beside it; failing that, the first date.
    Day first unless a date on the page can only be month first (12/28/2017), or the
    document's convention is month first (US dollars). Evidence: 1.0 labelled or timed
    and no other date disagrees, 0.6 when another does, 0.4 unlabelled alone, 0.2 else."""
    found: list[DateCandidate] = []
    month_first = _month_first(lines, conventions)
    for order, line in enumerate(lines):
        if _OTHER_DATE.search(line.text):
            continue
        above = lines[order - 1].text if order else ""
        for value, start, end in _dates_in(line.text, month_first):
            labelled = bool(_DATE_LABEL.search(line.text[:start])) or bool(
                _DATE_LABEL.fullmatch(_clean(above).rstrip(":"))
            )
            timed = bool(_TIME.search(line.text))
            words = _words_at(line, start, end)
            found.append(DateCandidate(value, order, labelled, timed, words))
    if not found:
        return None
    strong = [c for c in found if c.labelled or c.timed]
    best = (strong or found)[0]
    others = {c.value for c in found} - {best.value}
    evidence = (0.6 if others else 1.0) if strong else (0.2 if others else 0.4)
    return best.value, evidence, best.words


def _month_first(lines: list[Line], conventions: Conventions) -> bool:
    firsts, seconds = False, False
    for line in lines:
        for match in _NUMERIC_DATE.finditer(line.text):
            if match.group(2) == "." and len(match.group(4)) == 2:
                continue  # "5.41.06" is a time
            firsts |= int(match.group(1)) > 12
            seconds |= int(match.group(3)) > 12
    if firsts != seconds:
        return seconds
    return conventions.month_first


def _dates_in(text: str, month_first: bool):
    """(date, start, end) of each date printed in `text`."""
    for match in _YEAR_FIRST.finditer(text):
        year, month, day = int(match.group(1)), int(match.group(3)), int(match.group(4))
        found = _safe(year, month, day)
        if found:
            yield found, match.start(), match.end()
    for match in _NUMERIC_DATE.finditer(text):
        if _YEAR_FIRST.search(text[max(0, match.start() - 5) : match.end()]):
            continue
        first, second, year = int(match.group(1)), int(match.group(3)), match.group(4)
        day, month = (second, first) if month_first else (first, second)
        if month > 12 >= day:
            day, month = month, day
        found = _safe(_year(year), month, day)
        if found:
            yield found, match.start(), match.end()
    for match in _NAMED_DATE.finditer(text):
        month = _MONTHS.index(match.group(2)[:3].lower()) + 1
        found = _safe(_year(match.group(3)), month, int(match.group(1)))
        if found:
            yield found, match.start(), match.end()


def _has_date(text: str) -> bool:
    return bool(_YEAR_FIRST.search(text) or _NUMERIC_DATE.search(text) or _NAMED_DATE.search(text))


def _year(printed: str) -> int:
    return int(printed) + 2000 if len(printed) == 2 else int(printed)


def _safe(year: int, month: int, day: int) -> date | None:
    if not _PLAUSIBLE_YEARS[0] <= year <= _PLAUSIBLE_YEARS[1]:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _words_at(line: Line, start: int, end: int) -> list[Word]:
    """The words of `line` that the characters start..end of `line.text` fall in."""
    chosen, position = [], 0
    for word in line.words:
        word_end = position + len(word.text)
        if word_end > start and position < end:
            chosen.append(word)
        position = word_end + 1
    return chosen or list(line.words)


# --------------------------------------------------------------------------- the total

# The line that states what was paid, strongest first: a rounded or grand total, the
# amount due, a total including tax; then TOTAL alone.
_ROUNDED_TOTAL = re.compile(
    r"round(?:ed|ing)?\s*(?:ed\s*)?total|total\s*(?:after\s*)?round|"
    r"\bnett?\s*total|grand\s*total|total\s*amount|total\s*payable|amount\s*payable|"
    r"(?:amount|amt|balance|total)\s*due|total\s*(?:\(?\s*incl|inclusive|sales\s*\(?\s*incl)|"
    r"total\s*\(\s*(?:rm|\$|€|£|myr|usd|eur)\s*\)|total\s*sales|total\s*gross",
    re.IGNORECASE,
)
_TOTAL = re.compile(r"\btotal\b|\bjumlah\b|\bsumme\b", re.IGNORECASE)
# "Total" lines that are not the amount paid: quantities, items, the sum before tax or
# discount, the tax itself, the savings.
_NOT_TOTAL = re.compile(
    r"sub\s*-?\s*total|total\s*(?:qty|quantity|items?|item\s*\(s\)|pcs|units?|disc|"
    r"saving|gst|tax|vat|sst|excl|exclusive|before|point|weight|no\b)|"
    r"\bexcl(?:usive|\.|\b)|\bdiscount\b|\bsaving",
    re.IGNORECASE,
)
_CASH = re.compile(r"\bcash\b|\btunai\b|\btender(?:ed)?\b|\bpaid\b|\bpayment\b", re.I)
_CHANGE = re.compile(r"\bchange\b|\bbaki\b|\bbalance\b(?!\s*due)", re.IGNORECASE)
_CARD = re.compile(
    r"\bvisa\b|\bmaster(?:card)?\b|\bcredit\s*card\b|\bdebit\b|\bamex\b|\bcard\b|"
    r"\be-?wallet\b|\bboost\b|\bgrab\s*pay\b|\btouch\s*n\s*go\b|\bnets\b",
    re.IGNORECASE,
)
_ROUNDING = re.compile(r"round(?:ing)?\s*(?:adj|adjustment)|\brounding\b|\brnd\b", re.I)
_GST = re.compile(r"\b(?:gst|vat|sst|tax)\b", re.IGNORECASE)
_TOTAL_TAX = re.compile(r"total\s*(?:gst|vat|sst|tax)\b(?!.*\bincl)", re.IGNORECASE)
# OCR reads a till's decimal point as a comma, and puts a space after it ("150, 00").
_MONEY = re.compile(
    r"(?<![\d.,])(-)?\s*(?:rm|myr|\$|€|£|s\$)?\s*(-)?\s*"
    rf"({INDIAN_GROUPS}|\d{{1,3}}(?:[,.]\d{{3}})+|\d+)([.,]) ?(\d{{2}})(?![\d%])",
    re.IGNORECASE,
)
# Letters OCR reads for digits in a figure ("28.B0", "100.0O", "I5.90").
_LOOKALIKES = str.maketrans("OoDQBSsIl|Z", "00008551112")
_FIGURE = re.compile(r"[\dOoDQBSsIl|Z][\dOoDQBSsIl|Z.,]*")
# Words of the genre that OCR misreads by a letter ("Totul", "CASHIER?", "Rounding").
_KEYWORDS = (
    "total", "cash", "change", "rounding", "rounded", "amount", "grand", "thank", "cashier",
    "receipt", "subtotal", "invoice", "tender", "balance",
)  # fmt: skip
_NOT_KEYWORDS = {"charge", "chang", "cast", "count", "mount"}


@dataclass
class Amount:
    value: Decimal
    order: int  # the line's index
    words: list[Word]


def amounts_in(line: Line, conventions: Conventions) -> list[Amount]:
    """The money amounts printed on `line`, left to right (two decimals; thousands
    grouped by the mark that is not the decimal mark; a minus before or after the
    currency); not percentages, not times."""
    found = []
    text = _figures(line.text)
    for match in _MONEY.finditer(text):
        whole, mark, cents = match.group(3), match.group(4), match.group(5)
        if mark in whole:
            continue  # "1.234.56": not one amount
        if re.match(r"\s*:", text[match.end() :]) or re.match(r"\d:", text[match.end() :]):
            continue
        digits = re.sub(r"\D", "", whole)
        value = Decimal(f"{digits}.{cents}")
        if match.group(1) or match.group(2):
            value = -value
        found.append(Amount(value, -1, _words_at(line, match.start(), match.end())))
    return found


def _figures(text: str) -> str:
    """`text` with the letters OCR reads for digits made digits inside figures (a run at
    least half digits), and a ringgit amount's decimal point read as a hyphen put back
    ("RM 14-10"); the same length, so positions hold."""
    text = re.sub(r"(?<=\bR[MN] )(\d+)-(\d{2})\b|(?<=\bR[MN])(\d+)-(\d{2})\b", _point, text)

    def fix(match: re.Match) -> str:
        token = match.group()
        digits = sum(char.isdigit() for char in token)
        return token.translate(_LOOKALIKES) if digits and digits * 2 >= len(token) else token

    return _FIGURE.sub(fix, text)


def _point(match: re.Match) -> str:
    whole, cents = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
    return f"{whole}.{cents}"


def spelled(text: str) -> str:
    """`text` with each word one letter from a word of the genre (_KEYWORDS) spelled as
    that word ("Totul" -> "total"), so that OCR's slips do not hide a label."""

    def fix(match: re.Match) -> str:
        word = match.group().lower()
        if len(word) < 4 or word in _KEYWORDS or word in _NOT_KEYWORDS:
            return match.group()
        for keyword in _KEYWORDS:
            if abs(len(keyword) - len(word)) <= 1 and Levenshtein.distance(word, keyword) <= 1:
                return keyword
        return match.group()

    return re.sub(r"[^\W\d_]+", fix, text)


FIVE_CENTS = Decimal("0.05")


@dataclass
class TotalCandidate:
    value: Decimal
    score: float = 0.0
    order: int = 0
    words: list[Word] = field(default_factory=list)
    checks: set = field(default_factory=set)


def labelled_amounts(lines: list[Line], conventions: Conventions):
    """(amount, its label, line index) of every amount printed: the label is the text
    before the amount in its phrase, else the nearest phrase to its left with words in it
    ("SUB TOTAL", ":", "RM", "68.87"), else, for a line of amounts alone, the line above
    when that is a label alone ("TOTAL:" over "9.00")."""
    found = []
    for index, line in enumerate(lines):
        amounts = amounts_in(line, conventions)
        for amount in amounts:
            label = _label_of(line, amount)
            if not label and index:
                above = lines[index - 1]
                if not amounts_in(above, conventions) and _has_words(above.text):
                    label = above.text
            found.append((amount, label, index))
    return found


def _has_words(text: str) -> bool:
    return bool(re.search(r"[^\W\d_]{2,}", re.sub(r"\b(?:RM|MYR)\b", "", text)))


def _label_of(line: Line, amount: Amount) -> str:
    first = amount.words[0]
    segment_index = next(
        i for i, segment in enumerate(line.segments) if any(w is first for w in segment.words)
    )
    segment = line.segments[segment_index]
    before = " ".join(w.text for w in segment.words[: segment.words.index(first)])
    if _has_words(before):
        return before
    texts = []
    for left in reversed(line.segments[:segment_index]):
        if amounts_in(Line(line.page, line.top, line.bottom, left.words), Conventions()):
            break  # another amount: what is left of it is its label
        texts.insert(0, left.text)
    label = " ".join(texts)
    return label if _has_words(label) else ""


def paid_total(lines: list[Line], conventions: Conventions):
    """(total, evidence 0..1, its words): the amount on the strongest total line (a
    rounded or grand total, the amount due, a total including tax; TOTAL alone), each
    value checked against the tender (cash less change), a card payment of the same
    amount, the rounding (a total plus the rounding adjustment is the rounded total) and
    the GST lines (the total before tax plus the tax). The value with the most behind it
    wins (an amount printed without a label only where a check holds); evidence grows with
    the checks that hold and the margin over the next value."""
    candidates: dict[Decimal, TotalCandidate] = {}
    unlabelled: dict[Decimal, TotalCandidate] = {}
    cash, change, card, rounding, before, taxes = [], [], [], [], [], []
    for amount, label, index in labelled_amounts(lines, conventions):
        value, label = amount.value, spelled(label)
        if _ROUNDING.search(label) and not _ROUNDED_TOTAL.search(label):
            if abs(value) < 1:
                rounding.append(value)
            continue
        if _CHANGE.search(label):
            change.append(value)
            continue
        if _CASH.search(label) and not _TOTAL.search(label):
            cash.append(value)
            continue
        if _CARD.search(label) and not _TOTAL.search(label):
            card.append(value)
            continue
        if re.search(r"sub\s*-?\s*total|\bexcl", label, re.IGNORECASE):
            before.append(value)
            continue
        if _GST.search(label) and (not _TOTAL.search(label) or _TOTAL_TAX.search(label)):
            taxes.append(value)
            continue
        if value <= 0 or _NOT_TOTAL.search(label):
            continue
        strength = 3.0 if _ROUNDED_TOTAL.search(label) else 2.0 if _TOTAL.search(label) else 0.0
        pool = candidates if strength else unlabelled
        found = pool.setdefault(value, TotalCandidate(value, order=index, words=amount.words))
        if strength > found.score:
            found.score, found.words = strength, amount.words
        elif strength and strength == found.score:
            found.score += 0.25  # the same amount on two total lines
        found.order = max(found.order, index)
    given = {c - g for c in cash for g in change if c >= g >= 0 and c > 0}
    tendered = given | ({c for c in cash if c > 0} if not change else set())
    labelled_values = set(candidates)
    for value, found in unlabelled.items():
        rounded = any(other + r == value for other in labelled_values for r in rounding if r)
        if value not in candidates and (value in tendered or value in card or rounded):
            candidates[value] = found
    if not candidates:
        return _unlabelled_total(lines, conventions, cash, change)
    for found in candidates.values():
        others = [other for other in candidates if other != found.value]
        paid = tendered | set(cash)
        if found.value in tendered or any(
            abs(found.value - t) < FIVE_CENTS and not t % FIVE_CENTS for t in paid
        ):
            found.checks.add("tender")  # or cash a rounding's few cents from it
        if found.value in card:
            found.checks.add("card")
        if any(other + r == found.value for other in others for r in rounding if r):
            found.checks.add("rounded")
        if any(found.value + r in others for r in rounding if r):
            found.score -= 1.0  # the total before rounding: the rounded one was paid
        if any(
            net + tax + r == found.value for net in before for tax in taxes for r in {0, *rounding}
        ):
            found.checks.add("tax")
        unpaid = not found.checks & {"tender", "card"}
        if unpaid and found.value in before and any(tax > 0 for tax in taxes):
            found.score -= 1.5  # the sum before tax, where tax was charged on top
        found.score += 2.5 * ("tender" in found.checks) + sum(
            1.0 for check in ("card", "rounded", "tax") if check in found.checks
        )
    ranked = sorted(candidates.values(), key=lambda c: (-c.score, -c.order))
    best = ranked[0]
    margin = best.score - (ranked[1].score if len(ranked) > 1 else 0.0)
    # Each check that holds (other lines' readings agree: independent evidence) counts
    # most; then the label's strength and a clear lead over the next value.
    evidence = 0.1 + 0.35 * min(len(best.checks), 2) + 0.05 * min(best.score, 3.0)
    evidence = min(1.0, evidence + (0.05 if margin >= 1 else -0.05))
    for paid in tendered | set(cash):
        # Cash rounded to 5 cents (the rounded total was not read): what was paid is cash
        # less change (or the cash), a few cents from the total.
        if paid != best.value and abs(paid - best.value) < FIVE_CENTS and not paid % FIVE_CENTS:
            return paid, evidence, best.words
    return best.value, evidence, best.words


def _unlabelled_total(lines: list[Line], conventions: Conventions, cash, change):
    """No total line: the tender less the change, else the largest amount (a guess)."""
    for paid in cash:
        for given in change:
            if paid >= given >= 0:
                return paid - given, 0.3, []
    everything = [a for line in lines for a in amounts_in(line, conventions) if a.value > 0]
    if not everything:
        return None
    largest = max(everything, key=lambda a: a.value)
    return largest.value, 0.1, largest.words


# ------------------------------------------------------------------------ the currency


def till_currency(lines: list[Line]) -> str | None:
    """The currency of a till slip: "RM", the ringgit's sign (Bank Negara Malaysia),
    beside an amount or as a column's unit; else a code or symbol (extraction.parsing) on
    a total or tender line (an item's name may hold a code: "GEL PEN")."""
    text = "\n".join(line.text for line in lines)
    if re.search(r"\bRM\s*-?\s*\d|\(\s*RM\s*\)|\bMYR\b", text):
        return "MYR"
    for line in lines:
        if _TOTAL.search(line.text) or _CASH.search(line.text):
            found = currencies_in(line.text, line.text)
            if found:
                return found[0]
    return None


# -------------------------------------------------------------------------- the reading


@dataclass
class ReceiptReading:
    """A receipt's three fields, each (value, raw score 0..1, its words) or None; the raw
    score is the rules' evidence times the OCR confidence of the value's words."""

    signals: ReceiptSignals
    fields: dict[str, tuple[object, float, list[Word]]]
    currency: str | None = None


def read_receipt(words: list[Word]) -> ReceiptReading:
    """The receipt signals of `words` and, whatever they say, the shop, date and total
    read by the till slip's rules."""
    lines = group_lines(words)
    conventions = Conventions.of("\n".join(line.text for line in lines))
    signals = receipt_signals(lines)
    fields = {}
    for name, found in (
        ("vendor_name", shop_name(lines)),
        ("invoice_date", sale_date(lines, conventions)),
        ("total_amount", paid_total(lines, conventions)),
    ):
        if found is not None:
            value, evidence, value_words = found
            confidences = [w.confidence for w in value_words] or [1.0]
            # A name is judged by its words together (a letter misread leaves it the
            # name); a figure by its least sure word (one digit misread makes it wrong).
            reading = (
                sum(confidences) / len(confidences) if name == "vendor_name" else min(confidences)
            )
            fields[name] = (value, round(evidence * reading, 4), value_words)
    return ReceiptReading(signals, fields, till_currency(lines))


def apply_receipt(result: ExtractionResult, method: str) -> bool:
    """Where `result.words` are a receipt's: mark it a receipt (`document_kind`), put the
    receipt reading's shop, date and total in place of the invoice rules' (each with its
    calibrated confidence, dropped under ABSTAIN_BELOW), take the till's currency (over a
    code the invoice rules may have found in an item's name: "GEL PEN"), and drop what a
    till slip does not have (an order number, a due date).
    Returns whether it was a receipt. Raises nothing; a result without words is left."""
    if not result.words or result.document_type != "invoice":
        return False
    # The signals first: the fields are read only on what is a receipt.
    if not receipt_signals(group_lines(result.words)).is_receipt:
        return False
    reading = read_receipt(result.words)
    result.document_kind = Kind.RECEIPT
    calibration = active_calibration()
    for name in FIELDS:
        found = reading.fields.get(name)
        if found is None:
            result.fields.pop(name, None)
            continue
        value, score, value_words = found
        confidence = probability(calibration, name, score)
        if confidence < ABSTAIN_BELOW:
            result.fields.pop(name, None)
            continue
        box: Box | None = union(word_box(w) for w in value_words) if value_words else None
        page = value_words[0].page if value_words else None
        result.fields[name] = ExtractedField(value, confidence, Provenance(method, page, box))
    if reading.currency:
        # As sure as the invoice rules' currency read from one printed code (LABELLED).
        result.fields["currency"] = ExtractedField(reading.currency, LABELLED, Provenance(method))
    # A till slip has no due date; an order number is kept only where it is read surely.
    result.fields.pop("due_date", None)
    order = result.fields.get("po_number")
    if order is not None and order.confidence < settings.EXTRACTION_MIN_CONFIDENCE:
        result.fields.pop("po_number")
    # A till slip's net and tax are read by the invoice rules; one that contradicts the
    # total read here is not kept.
    net, tax = result.value("net_amount"), result.value("tax_amount")
    total = result.value("total_amount")
    if total is not None and net is not None and tax is not None and net + tax != total:
        result.fields.pop("net_amount", None)
        result.fields.pop("tax_amount", None)
    if total is not None:
        # Paid at the till (EN 16931 BT-113 paid amount = the total, BT-115 amount due 0):
        # the ERP books it and pays nothing again; matching raises PREPAID for a person to
        # see that the payment (a card, an employee's cash) is booked against it.
        result.totals = replace(result.totals, prepaid=total, amount_due=Decimal(0))
    return True


# ---------------------------------------------------------------------- the calibration

ABSTAIN_BELOW = 0.15


def probability(calibration: dict | None, name: str, score: float) -> float:
    """The measured probability that a receipt answer of raw `score` is right: the
    isotonic map of `name` in the calibration (extraction.training.calibration's form),
    never above MAX_PROBABILITY; without one, at most UNMEASURED."""
    curve = (calibration or {}).get(name)
    if not curve or not curve.get("x"):
        return round(min(float(score), UNMEASURED), 4)
    xs, ys = curve["x"], curve["y"]
    if xs[0] > 0:
        xs, ys = [0.0, *xs], [0.0, *ys]
    return round(min(float(np.interp(score, xs, ys)), MAX_PROBABILITY), 4)


_loaded: dict[str, dict | None] = {}


def active_calibration() -> dict | None:
    """The shipped calibration (read once per process), or None without a readable file."""
    if "shipped" not in _loaded:
        try:
            payload = json.loads(CALIBRATION_PATH.read_text(encoding="utf-8"))
            _loaded["shipped"] = payload["fields"]
        except (OSError, ValueError, KeyError, TypeError):
            _loaded["shipped"] = None
    return _loaded["shipped"]


def fit_calibration(answers: dict[str, list[tuple[float, bool]]]) -> dict:
    """{field: {"x": [...], "y": [...]}} from held-out answers (raw score, right) per
    field, by extraction.training.calibration (isotonic, Laplace-capped). Fields without
    answers are left out."""
    from extraction.training import calibration

    fitted = {}
    for name, pairs in answers.items():
        if len(pairs) >= 2:
            xs, ys = calibration([s for s, _ in pairs], [int(r) for _, r in pairs])
            fitted[name] = {"x": xs, "y": ys}
    return fitted


__all__ = ["apply_receipt", "read_receipt", "receipt_signals"]
