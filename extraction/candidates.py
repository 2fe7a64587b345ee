"""Candidate values for the header fields, and the features a ranker scores them by.

Every phrase on the page that parses as what a field holds is a candidate: a date for the
invoice and due dates, a money amount for net, tax and total, a token with a digit for the
invoice and order numbers, a name-like phrase for the vendor. Each candidate carries
features that do not depend on a template (Katti et al., "Chargrid", 2018, and Majumder et
al., "Representation Learning for Information Extraction from Form-like Documents", ACL
2020, rank candidates by their neighbourhood the same way):

- the label words near it, in any language: in its own phrase, to its left, above it
  (`labels.match_label` for the labels we know, and keyword families for the ones we don't);
- where it is: page, position on the page and in the reading order, size of its type;
- the value's shape: length, digits, separators, magnitude, rank among its kind;
- the arithmetic: whether it is the sum of two other amounts or part of one, a VAT rate
  of another, the lines' sum;
- whether it sits in the buyer's address block;
- what the rules (`fields.extract_fields`) chose, so the model learns when to trust them.

Features are plain floats in a dict; `extraction.ranker` turns them into vectors by name.
"""

import math
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from statistics import median

from extraction.labels import DOCUMENT_TITLES, is_label_only, match_label
from extraction.layout import Box, Line, Segment
from extraction.parsing import (
    Conventions,
    decimals_pattern,
    parse_amount,
    parse_date,
    vat_ids_in,
)
from extraction.parties import own_identity
from extraction.types import ExtractedField, FieldValue, Provenance

DATE, AMOUNT, REFERENCE, NAME = "date", "amount", "reference", "name"
# Which fields each kind of candidate can fill.
FAMILIES = {
    DATE: ("invoice_date", "due_date"),
    AMOUNT: ("net_amount", "tax_amount", "total_amount"),
    REFERENCE: ("invoice_number", "po_number"),
    NAME: ("vendor_name",),
}
RANKED_FIELDS = tuple(name for names in FAMILIES.values() for name in names)
FAMILY_OF = {name: family for family, names in FAMILIES.items() for name in names}

# Words that announce a field in the languages AP mailboxes receive, in families: a label
# the label list does not know still shares a family word ("Rechnungs-Endbetrag" has
# "betrag", "Arvonlisävero" has "vero").
KEYWORDS = {
    "total": r"total|gesamt|summe|totaal|totale|montant|importe|betrag|amount|sum\b|"
    r"yhteens|razem|celkem|suma|zusammen|end",
    "net": r"\bnet|netto|\bht\b|sub|zwischen|hors|neto|imponibile|base|veroton|excl|exkl|"
    r"ohne|before|bez\b",
    "tax": r"vat|tax|mwst|\bust|tva|btw|\biva\b|gst|moms|\balv|dph|steuer|impuesto|imposta|"
    r"podatek|vero|hst|pst|sales",
    "gross": r"brutto|ttc|incl|inkl|gross|grand|payable|to pay|zahlen|à payer|betalen|"
    r"pagar|pagare|maksettava|do zapłaty|k úhradě",
    "due": r"due|fällig|échéance|echeance|vencimiento|scadenza|zahlbar|eräp|termin|"
    r"splatnost|pay by|payable|until|\bbis\b|latest|spätestens",
    "date": r"date|datum|fecha|\bdata\b|päivä|\bdne\b|\bvom\b|issued|ausgestellt|"
    r"émission|emission|wystaw|vystaven",
    "invoice": r"invoice|rechnung|facture|factura|fattura|factuur|faktur|lasku|\bbill|"
    r"beleg|document|gutschrift|avoir|credit",
    "number": r"\bno\b|\bno\.|\bnr|number|nummer|\bnum|n°|nº|#|\bid\b|numero|número|"
    r"numéro|\bnro|č\.|čís",
    "order": r"order|bestell|commande|pedido|ordine|auftrag|\bpo\b|p\.o|purchase|objedn|"
    r"zamów|tilaus|\bbon\b",
    "customer": r"customer|kunde|client|klant|buyer|käufer|acheteur|bill to|ship to|"
    r"sold to|deliver|liefer|livraison|asiakas|odběratel|nabywca|empfänger|destinat",
    "seller": r"seller|vendor|supplier|verkäufer|lieferant|fournisseur|vendeur|proveedor|"
    r"fornitore|myyjä|dodavatel|sprzedawca|from\b|issuer|aussteller",
    "reference": r"\bref|referenz|référence|referencia|riferimento|viite|reference",
    "period": r"period|zeitraum|leistung|delivery|lieferdatum|livraison|service|prestation|"
    r"début|\bfin\b|\bvon\b|\bfrom\b|shipped|versand",
    # A preceding invoice's number or date (EN 16931 BT-25, BT-26), not this invoice's.
    "preceding": r"associ|original|ursprüngl|preceding|vorherig|related|corrig|storn|bezug|"
    r"referenced|rectific|previous",
    "paid": r"paid|bezahlt|payé|prepaid|anzahlung|deposit|already|balance|saldo|previous|"
    r"received|gezahlt|acompte",
    "discount": r"discount|rabatt|skonto|remise|descuento|sconto|korting|allowance|escompte",
    "percent": r"%",
    "phone": r"\btel|phone|fax|telefon|mobil|handy|\bfon\b",
    "bank": r"iban|\bbic|swift|bank|konto|account|\bkto|\bblz|sort code|routing|banque",
    "taxid": r"ust-?id|vat (?:reg|id|no)|tax id|siret|siren|\bnif\b|\bcif\b|dič|ičo|\bnip\b|"
    r"\babn\b|steuer-?nr|steuernummer|\buid\b|tva intra|registration|handelsregister|hrb",
    "quantity": r"qty|quantity|menge|anzahl|quantit|cantidad|qté|stück|pcs|unit|einheit|"
    r"price|preis|prix|precio|rate|\beach\b|\bea\b",
    "customer_no": r"customer (?:no|number|id)|kunden-?(?:nr|nummer)|client n|"
    r"n° client|account (?:no|number)|konto-?nr",
}
_KEYWORDS = {name: re.compile(pattern, re.IGNORECASE) for name, pattern in KEYWORDS.items()}
_LEGAL_FORM = re.compile(
    r"\b(?:gmbh|ag|kg|ohg|ug|e\.\s?k\.|ltd|limited|llc|inc|corp|corporation|plc|sarl|sas|"
    r"s\.?a\.?|bv|b\.v\.|nv|n\.v\.|oy|oyj|ab|a/s|aps|srl|s\.r\.l\.|spa|s\.p\.a\.|s\.r\.o\.|"
    r"sp\. z o\.o\.|sp z oo|gbr|eg|se|co\.|company|group|gesellschaft)(?:\W|$)",
    re.IGNORECASE,
)
# The VAT rates of EU member states and others seen on invoices, as fractions.
_VAT_PERMILLE = """50 60 70 80 90 100 120 130 140 150 160 170 180 190 200 210 220 230 240 250 255
    270"""
VAT_RATES = tuple(Decimal(permille) / 1000 for permille in _VAT_PERMILLE.split())
TERM_DAYS = {7, 8, 10, 14, 15, 20, 21, 28, 30, 31, 45, 60, 90}
# Values outside these are no invoice's: misread digits, a serial number, a placeholder.
PLAUSIBLE_YEARS = (1970, 2099)
LARGEST_AMOUNT = Decimal(10) ** 13
# A tax is "a rate of" a base when tax / base is within this of a VAT rate.
RATE_SLACK = Decimal("0.002")
# How many of the largest amounts are tried as sums (a total, the net under it).
ARITHMETIC_POOL = 64


@dataclass
class Candidate:
    """One value the page offers for a family of fields, with where it stands."""

    family: str  # DATE, AMOUNT, REFERENCE or NAME
    value: FieldValue
    page: int
    bbox: Box
    line: int  # index into the document's lines
    features: dict[str, float] = field(default_factory=dict)

    def as_field(self, confidence: float, method: str) -> ExtractedField:
        return ExtractedField(self.value, confidence, Provenance(method, self.page, self.bbox))


@dataclass
class Page:
    """What the features measure positions against: the extent of the words on a page."""

    right: float
    bottom: float


def document_candidates(
    lines: list[Line],
    conventions: Conventions,
    rules: dict[str, ExtractedField],
    buyer: set[int],
    table: list[int],
    lines_sum: Decimal | None,
) -> dict[str, list[Candidate]]:
    """{family: candidates} with their features, for one document's lines.

    `rules` are the fields the rules chose (their values become features, and a value the
    rules computed rather than read, such as a due date from payment terms, is a candidate
    too); `buyer` the ids of the phrases in the buyer's block; `table` the indices of the
    lines the line items were read from; `lines_sum` the items' sum (None without items).
    """
    own = own_identity()
    pages = _pages(lines)
    heights = [word.height for line in lines for word in line.words] or [10.0]
    typical_height = median(heights) or 10.0
    found: dict[str, list[Candidate]] = {family: [] for family in FAMILIES}
    seen: set[tuple] = set()
    for index, line in enumerate(lines):
        for position, segment in enumerate(line.segments):
            for family, value, start, end in _values_in(segment, conventions):
                if family == NAME and own.is_own_name(value):
                    continue  # the company's own name is the buyer's, never the vendor's
                words = segment.words[start:end]
                box = Segment(words).bbox
                key = (family, str(value), line.page, round(box[0]), round(box[1]))
                if key in seen:
                    continue
                seen.add(key)
                candidate = Candidate(family, value, line.page, box, index)
                candidate.features = _context(
                    lines, index, position, start, pages[line.page], typical_height, buyer, table
                )
                found[family].append(candidate)
    # A value the rules computed (due date from terms) or read across phrases.
    for name, chosen in rules.items():
        family = FAMILY_OF.get(name)
        if family is None or chosen.value is None:
            continue
        if not any(c.value == chosen.value for c in found[family]):
            page = chosen.provenance.page or 1
            box = chosen.provenance.bbox or (0.0, 0.0, 0.0, 0.0)
            index = _line_at(lines, page, box)
            candidate = Candidate(family, chosen.value, page, box, index)
            candidate.features = _context(
                lines, index, 0, 0, pages.get(page, Page(1, 1)), typical_height, buyer, table
            )
            candidate.features["computed"] = 1.0
            found[family].append(candidate)
    _value_features(found, lines_sum)
    # How far, in lines, a date or amount stands from where the rules found the invoice
    # number: the header's dates sit around it, the totals far below.
    number = rules.get("invoice_number")
    if number is not None and number.provenance.bbox:
        anchor = _line_at(lines, number.provenance.page or 1, number.provenance.bbox)
        for candidates in (found[DATE], found[AMOUNT]):
            for candidate in candidates:
                same_page = lines[anchor].page == candidate.page
                candidate.features["lines_from_number"] = float(
                    min(abs(candidate.line - anchor), 30) if same_page else 30
                )
    for family, candidates in found.items():
        for candidate in candidates:
            for name in FAMILIES[family]:
                chosen = rules.get(name)
                same = chosen is not None and _same_value(chosen.value, candidate.value)
                candidate.features[f"rule_{name}"] = chosen.confidence if same else 0.0
    return found


def _values_in(segment: Segment, conventions: Conventions):
    """(family, value, first word, end word) for the values in a phrase."""
    words = [word.text for word in segment.words]
    count = len(words)
    text = segment.text
    if _looks_like_name(text):
        # A sender line ("Acme GmbH · Street 1 · City") starts with the name.
        yield NAME, re.split(r"\s[·|•,]\s|\s[-\u2013]\s", text)[0].strip(" ,"), 0, count
    labelled = next((i for i, word in enumerate(words[:3]) if word.endswith(":")), None)
    if labelled is not None and labelled + 1 < count:
        # "Name: Musterbetrieb AG", "Seller: Acme Ltd": the name is after the label.
        rest = " ".join(words[labelled + 1 :])
        if _looks_like_name(rest):
            yield NAME, rest, labelled + 1, count
    dates: set[date] = set()
    for start in range(count):
        for end in range(start + 1, min(count, start + 4) + 1):
            window = " ".join(words[start:end])
            if end - start == 1 or not dates:
                value = parse_date(window, conventions)
                if (
                    value
                    and value not in dates
                    and PLAUSIBLE_YEARS[0] <= value.year <= PLAUSIBLE_YEARS[1]
                    and _date_uses_window(window, words, start, end)
                ):
                    dates.add(value)
                    yield DATE, value, start, end
    ends_in_money = re.compile(rf"\d[.,]{decimals_pattern(conventions)}(?:\s?-)?$")
    for start in range(count):
        for end in range(start + 1, min(count, start + 3) + 1):
            window = " ".join(words[start:end])
            if not ends_in_money.search(window) or (end < count and _continues(words[end])):
                continue
            value = parse_amount(window, conventions)
            if value is None and end - start == 1:
                continue
            if value is not None:
                if abs(value) < LARGEST_AMOUNT:
                    yield AMOUNT, value, start, end
                break
    for position, word in enumerate(words):
        token = word.strip(":#,;()[]").rstrip(".")
        if 2 <= len(token) <= 40 and any(char.isdigit() for char in token):
            yield REFERENCE, token, position, position + 1


def _continues(word: str) -> bool:
    """Whether the word after an amount belongs to it (a trailing minus, a currency)."""
    return word in ("-",)


def _date_uses_window(window: str, words: list[str], start: int, end: int) -> bool:
    # The window's first and last words must both be part of the date, so "Date: 12.03.2026"
    # yields the date once, at the words that print it.
    first, last = words[start], words[end - 1]
    return bool(re.search(r"\d", first) or end - start > 1) and bool(
        re.search(r"\d", last) or end - start == 1
    )


def _looks_like_name(text: str) -> bool:
    letters = sum(char.isalpha() for char in text)
    return (
        letters >= 3
        and letters >= len(text) / 2
        and not text[0].isdigit()
        and len(text) <= 80
        and not re.fullmatch(r"[A-Z]{2,3}", text)
        and not re.search(r"@|www\.|https?:|\bpage\b|\bseite\b", text, re.IGNORECASE)
        and not text.rstrip().endswith(":")
        # A heading or label alone ("Verkäufer", "DODAVATEL", "Items") is never a name.
        and not is_label_only(text)
    )


def _pages(lines: list[Line]) -> dict[int, Page]:
    pages: dict[int, Page] = {}
    for line in lines:
        page = pages.setdefault(line.page, Page(1.0, 1.0))
        page.right = max(page.right, max(word.x1 for word in line.words))
        page.bottom = max(page.bottom, line.bottom)
    return pages


def _line_at(lines: list[Line], page: int, box: Box) -> int:
    middle = (box[1] + box[3]) / 2
    for index, line in enumerate(lines):
        if line.page == page and line.top <= middle <= line.bottom:
            return index
    return 0


def _context(lines, index, position, start, page, typical_height, buyer, table):
    """Features of where a value stands: labels and keywords near it, position, size."""
    line = lines[index]
    segment = line.segments[position] if line.segments else Segment(line.words)
    before_in_phrase = " ".join(word.text for word in segment.words[:start])
    left = line.segments[position - 1].text if position > 0 else ""
    above = _above(lines, index, segment)
    last_page = lines[-1].page if lines else 1
    features = {
        "page": float(line.page),
        "first_page": float(line.page == 1),
        "last_page": float(line.page == last_page),
        "y": line.top / page.bottom,
        "x": segment.words[start].x0 / page.right if segment.words else 0.0,
        "order": index / max(len(lines), 1),
        "height": segment.height / typical_height,
        "rightmost": float(position == len(line.segments) - 1),
        "segments_on_line": float(len(line.segments)),
        "words_before_in_phrase": float(start),
        "in_buyer_block": float(id(segment) in buyer),
        "in_table": float(index in table),
        "below_table": float(bool(table) and index > max(table)),
        "above_table": float(bool(table) and index < min(table)),
        "title_line": float(bool(DOCUMENT_TITLES.match(line.text))),
    }
    near = " ".join((before_in_phrase or left).split()[-3:])
    heading = _heading(lines, index, segment)
    for where, text in (
        ("same", before_in_phrase),
        ("left", left),
        ("above", above),
        ("near", near),
        ("heading", heading),
    ):
        label = match_label(text) if text else None
        if label and (where == "above" or not label.rest or label.rest == text[-len(label.rest) :]):
            features[f"label_{where}_{label.field}"] = 1.0
            features[f"label_{where}_priority"] = float(label.priority)
        for name, pattern in _KEYWORDS.items():
            if text and pattern.search(text):
                features[f"kw_{where}_{name}"] = 1.0
    for name, pattern in _KEYWORDS.items():
        if pattern.search(line.text):
            features[f"kw_line_{name}"] = 1.0
    return features


def _heading(lines: list[Line], index: int, segment: Segment) -> str:
    """The heading of the block `segment` stands in: the nearest short line above it in its
    column, of words alone ("Verkäufer", "Bill to", "Adresse de livraison")."""
    line = lines[index]
    for above in reversed(lines[max(0, index - 12) : index]):
        if above.page != line.page:
            return ""
        text = above.text
        if (
            len(above.words) <= 4
            and not any(char.isdigit() for char in text)
            and above.words[0].x0 <= segment.x0 + 5
            and above.words[-1].x1 >= segment.x0
        ):
            return text
    return ""


def _above(lines: list[Line], index: int, segment: Segment) -> str:
    """The phrase just above `segment` (its column header or stacked label)."""
    line = lines[index]
    for above in reversed(lines[max(0, index - 3) : index]):
        if above.page != line.page or line.top - above.bottom > segment.height * 4:
            return ""
        over = [s for s in above.segments if s.x0 < segment.x1 and s.x1 > segment.x0]
        if over:
            return over[0].text
    return ""


def _value_features(found: dict[str, list[Candidate]], lines_sum: Decimal | None) -> None:
    """Features that compare a value with the others of its kind on the same document.

    Linear or n log n in the number of candidates: a 200-page itemised invoice has
    thousands of amounts, so sums are looked for among the ARITHMETIC_POOL largest values
    (a total, and the net it is the sum of, are among them) and rates by binary search."""
    amounts = found[AMOUNT]
    values = sorted({abs(c.value) for c in amounts})
    value_set, rank_of = set(values), {value: index for index, value in enumerate(values)}
    counts = Counter(abs(c.value) for c in amounts)
    pool = [value for value in values[-ARITHMETIC_POOL:] if value]
    pair_sums = {a + b for a in pool for b in values if b}
    arithmetic: dict[Decimal, tuple[float, ...]] = {}
    for value in values:
        if not value:
            arithmetic[value] = (0.0, 0.0, 0.0, 0.0, 0.0)
            continue
        arithmetic[value] = (
            float(value in pair_sums),
            float(bool(value) and any(total - value in value_set for total in pool)),
            float(
                any(
                    _has_between(values, value / (r + RATE_SLACK), value / (r - RATE_SLACK))
                    for r in VAT_RATES
                )
            ),
            float(
                any(
                    _has_between(values, value * (r - RATE_SLACK), value * (r + RATE_SLACK))
                    for r in VAT_RATES
                )
            ),
            float(
                any(
                    _has_between(values, value / (1 + r + RATE_SLACK), value / (1 + r - RATE_SLACK))
                    for r in VAT_RATES
                )
            ),
        )
    top = values[-1] if values else Decimal(0)
    for candidate in amounts:
        value = abs(candidate.value)
        rank = len(values) - rank_of[value]
        f = candidate.features
        f["log_value"] = math.log10(float(value) + 1)
        f["negative"] = float(candidate.value < 0)
        f["is_largest"] = float(value == top)
        f["rank_from_top"] = float(rank)
        f["rank_share"] = rank / len(values)
        f["repeats"] = float(counts[value])
        f["whole"] = float(value == value.to_integral_value())
        f["lines_sum"] = float(lines_sum is not None and value == abs(lines_sum))
        (
            f["is_sum_of_two"],
            f["part_of_sum"],
            f["rate_of_other"],
            f["base_of_other"],
            f["gross_of_other"],
        ) = arithmetic[value]
    dates = sorted({c.value for c in found[DATE]})
    date_rank = {value: index for index, value in enumerate(dates)}
    date_counts = Counter(c.value for c in found[DATE])
    for candidate in found[DATE]:
        f = candidate.features
        f["date_rank"] = float(date_rank[candidate.value])
        f["date_rank_from_end"] = float(len(dates) - 1 - date_rank[candidate.value])
        f["dates"] = float(len(dates))
        f["days_after_first"] = min((candidate.value - dates[0]).days, 400) / 30
        f["terms_after_other"] = float(
            any(candidate.value - timedelta(days=days) in date_counts for days in TERM_DAYS)
        )
        f["repeats"] = float(date_counts[candidate.value])
    references = found[REFERENCE]
    reference_counts = Counter(c.value for c in references)
    for candidate in references:
        text = str(candidate.value)
        f = candidate.features
        f["length"] = float(len(text))
        f["digit_share"] = sum(char.isdigit() for char in text) / len(text)
        f["letters"] = float(sum(char.isalpha() for char in text))
        f["separators"] = float(sum(char in "-/._" for char in text))
        f["all_digits"] = float(text.isdigit())
        f["looks_date"] = float(parse_date(text, Conventions()) is not None)
        f["looks_amount"] = float(bool(re.fullmatch(r"-?[\d.,']+[.,]\d{2}-?", text)))
        f["looks_percent"] = float(text.endswith("%"))
        f["vat_id_like"] = float(bool(vat_ids_in(text)))
        f["repeats"] = float(reference_counts[candidate.value])
    identifiers = [
        r for r in references if r.features.get("vat_id_like") or r.features.get("kw_line_taxid")
    ]
    names = found[NAME]
    name_counts = Counter(str(c.value).casefold() for c in names)
    legal_rank: dict[int, int] = {}
    name_rank: dict[int, int] = {}
    for candidate in names:
        if _LEGAL_FORM.search(str(candidate.value)):
            legal_rank[id(candidate)] = len(legal_rank)
        if candidate.page == 1:
            name_rank[id(candidate)] = len(name_rank)
    for candidate in names:
        text = str(candidate.value)
        f = candidate.features
        f["legal_form"] = float(id(candidate) in legal_rank)
        f["name_words"] = float(len(text.split()))
        f["upper_share"] = sum(char.isupper() for char in text) / max(len(text), 1)
        f["has_digit"] = float(any(char.isdigit() for char in text))
        f["is_label"] = float(match_label(text) is not None)
        f["is_title"] = float(bool(DOCUMENT_TITLES.match(text)))
        f["repeats"] = float(name_counts[text.casefold()])
        f["near_tax_or_bank"] = float(_near_identifiers(candidate, identifiers))
        f["name_rank"] = float(name_rank.get(id(candidate), len(name_rank)))
        f["legal_rank"] = float(legal_rank.get(id(candidate), len(legal_rank)))
        for family, pattern in _KEYWORDS.items():
            if pattern.search(text):
                f[f"kw_self_{family}"] = 1.0


def _has_between(values: list[Decimal], low: Decimal, high: Decimal) -> bool:
    """Whether the sorted `values` hold one in [low, high] (positive, below the top)."""
    index = bisect_left(values, low)
    return index < len(values) and values[index] <= high


def _near_identifiers(candidate: Candidate, identifiers: list[Candidate]) -> bool:
    """A VAT id or a labelled tax registration within a few lines below the name, in its
    column."""
    return any(
        r.page == candidate.page
        and 0 <= r.line - candidate.line <= 6
        and abs(r.bbox[0] - candidate.bbox[0]) < 60
        for r in identifiers
    )


def _same_value(a, b) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return abs(a) == abs(b)
    if isinstance(a, str) and isinstance(b, str):
        return re.sub(r"\W", "", a).casefold() == re.sub(r"\W", "", b).casefold()
    return a == b
