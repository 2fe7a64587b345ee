"""Template-free header fields from positioned words.

A label ("Invoice No:", "Rechnungsdatum", "Total TTC") announces a field; its value is in
the same phrase, in the next phrase to the right, or just beneath it. Amounts are then
chosen so that the arithmetic holds (net + tax = total), and confidence says how much
evidence stands behind each value:

- 0.95  amounts that the arithmetic confirms
- 0.9   an IBAN whose checksum holds
- 0.85  a labelled value that parses as what the label promises
- 0.6   a labelled amount the arithmetic cannot confirm
- 0.4   a guess from a pattern alone, with no label
"""

import re
from collections import Counter
from dataclasses import replace

from extraction.amounts import (
    CHECKSUM,
    CONFIRMED,
    GUESS,
    LABELLED,
    UNCONFIRMED,
    Candidate,
    choose_amounts,
    confirm_net,
)
from extraction.document_type import document_type
from extraction.labels import BUYER_LABELS, DOCUMENT_TITLES, is_label_only, match_label
from extraction.layout import Line, Segment, Word, group_lines, segment_after, segments_below
from extraction.line_items import item_rows, listed_items
from extraction.parsing import (
    SYMBOL_FAMILIES,
    Conventions,
    amount_at_end,
    currencies_in,
    currency_names_in,
    find_iban,
    parse_date,
    strip_currency,
    tax_ids_in,
    vat_ids_in,
)
from extraction.parties import own_identity
from extraction.terms import due_date_from_days, due_date_in_terms
from extraction.types import (
    AMOUNT_FIELDS,
    DATE_FIELDS,
    ExtractedField,
    ExtractionResult,
    Provenance,
)

__all__ = ["CHECKSUM", "CONFIRMED", "GUESS", "LABELLED", "UNCONFIRMED", "extract_fields"]
_LEGAL_FORM = re.compile(
    r"(?:^|\s)(?:gmbh(?:\s*&\s*co\.?\s*kg)?|ag|kg|ohg|ug|e\.\s?k\.|ltd\.?|limited|llc|"
    r"inc\.?|corp\.?|corporation|plc|sarl|s\.a\.r\.l\.|sas|sa|s\.a\.|bv|b\.v\.|nv|n\.v\.|"
    r"oy|ab|a/s|aps|srl|s\.r\.l\.|spa|s\.p\.a\.)$",
    re.IGNORECASE,
)
_TAX_ID_LABEL = re.compile(
    r"vat|ust|tva|mwst|btw|tax|uid|steuer|iva|gst|abn|moms|nif|cif", re.IGNORECASE
)
# "Fattura n. 666/2026 del 15/05/2026", "Rechnung Nr. 42 vom 12.03.2026": the date the
# number is "of" is the invoice date.
_DATED = re.compile(r"\s(?:del|dated|of|vom|du|van|de|d\.d\.)\s+(.+)$", re.IGNORECASE)


def extract_fields(
    words: list[Word], fmt: str = "pdf-text", method: str = "text"
) -> ExtractionResult:
    """Fields from positioned words, whichever reader produced them (`method`: text, ocr)."""
    lines = group_lines(words)
    conventions = Conventions.of("\n".join(line.text for line in lines))
    buyer = buyer_segments(lines)
    candidates = labelled_candidates(lines, conventions)
    rows = item_rows(lines, conventions)
    result = ExtractionResult(format=fmt, lines=[item for _, item in rows], words=words)

    for name in ("invoice_number", "invoice_date", "due_date", "po_number"):
        if candidates.get(name):
            best = min(candidates[name], key=lambda c: (c.priority, c.order))
            result.fields[name] = best.field(LABELLED)
    if "invoice_date" not in result.fields:
        first_date = _first_date(lines, conventions)
        if first_date:
            result.fields["invoice_date"] = first_date.field(GUESS)
    if "due_date" not in result.fields:
        due = due_date_in_terms(lines, conventions)
        if due:
            result.fields["due_date"] = due.field(UNCONFIRMED)
    invoice_date = result.fields.get("invoice_date")
    if "due_date" not in result.fields and invoice_date:
        due = due_date_from_days(lines, invoice_date.value)
        if due:
            # Only as sure as the invoice date it counts from, and never more than unconfirmed.
            result.fields["due_date"] = due.field(min(invoice_date.confidence, UNCONFIRMED))

    table = [index for index, _ in rows]
    amounts = choose_amounts(candidates, result.lines, lines, conventions, table)
    net = amounts.get("net_amount")
    if not result.lines and net:
        end = _line_of(net, lines)
        listed = listed_items(lines, end, net.value, conventions) if end is not None else []
        if listed:
            result.lines = listed
            confirm_net(amounts, net.value)
    result.fields.update(amounts)
    result.document_type = document_type(lines, result.value("total_amount"))
    for name, found in (
        ("vendor_name", vendor_name(lines, buyer)),
        ("vendor_vat_id", vendor_vat_id(lines, buyer)),
        ("vendor_iban", vendor_iban(lines, buyer)),
        ("currency", currency(lines)),
    ):
        if found:
            result.fields[name] = found
    if method != "text":
        result.fields = {
            name: replace(found, provenance=replace(found.provenance, method=method))
            for name, found in result.fields.items()
        }
    return result


def labelled_candidates(lines: list[Line], conventions: Conventions):
    candidates: dict[str, list[Candidate]] = {}
    order = 0
    for index, line in enumerate(lines):
        for segment in line.segments:
            label = match_label(segment.text)
            if not label:
                continue
            order += 1
            for value, box in _values_for(label, segment, line, lines, index, conventions):
                candidates.setdefault(label.field, []).append(
                    Candidate(value, label.priority, order, segment.page, box)
                )
            dated = label.field == "invoice_number" and _DATED.search(label.rest)
            value = dated and parse_date(dated.group(1), conventions)
            if value:
                candidates.setdefault("invoice_date", []).append(
                    Candidate(value, 50, order, segment.page, segment.bbox)
                )
    return candidates


def _line_of(found: ExtractedField, lines: list[Line]) -> int | None:
    page, box = found.provenance.page, found.provenance.bbox
    middle = (box[1] + box[3]) / 2
    for index, line in enumerate(lines):
        if line.page == page and line.top <= middle <= line.bottom:
            return index
    return None


def _values_for(label, segment: Segment, line: Line, lines: list[Line], index, conventions):
    """The label's value, most likely first; an amount label may offer two for the
    arithmetic to decide between ("VAT 20% on 1,200.00" then "240.00" to its right)."""
    parse = _parser(label.field, conventions)
    found = []
    if label.field in AMOUNT_FIELDS and label.rest.strip("() ") == "%":
        return found  # "VAT %", a column of rates, not an amount
    if label.rest:
        value = parse(label.rest)
        if value is not None:
            rest_words = segment.words[-len(label.rest.split()) :]
            found.append((value, Segment(rest_words).bbox))
            # Only an amount that followed more words may be a base rather than the value.
            words_before = re.search(r"[^\W\d_]", _strip_currency(label.rest.split()[0]))
            if label.field not in AMOUNT_FIELDS or not words_before:
                return found
        # More words after the label that are not its value: a different label
        # ("VAT Reg. No."), so do not go looking for a value elsewhere.
        elif re.search(r"[^\W\d_]", _strip_currency(label.rest)):
            return found
    neighbours = [segment_after(segment, line), *segments_below(segment, lines, index)]
    for neighbour in neighbours:
        if neighbour is None or match_label(neighbour.text):
            continue
        value = parse(neighbour.text)
        if value is not None:
            return [*found, (value, neighbour.bbox)]
    return found


def _parser(name: str, conventions: Conventions):
    if name in DATE_FIELDS:
        return lambda text: parse_date(text, conventions)
    if name in AMOUNT_FIELDS:
        return lambda text: _amount(text, conventions)
    return _reference


def _amount(text: str, conventions: Conventions):
    return amount_at_end(text, conventions)


def _reference(text: str) -> str | None:
    """An invoice or order number: one token holding at least one digit."""
    tokens = text.split()
    if not tokens:
        return None
    token = tokens[0].strip(":#").rstrip(".,;")
    if len(token) < 2 or not any(char.isdigit() for char in token):
        return None
    return token


def _strip_currency(text: str) -> str:
    """`text` without currency signs and codes, whatever their case ("Total eur")."""
    return strip_currency(strip_currency(text).upper())


def _first_date(lines: list[Line], conventions: Conventions) -> Candidate | None:
    for order, line in enumerate(lines):
        for segment in line.segments:
            value = parse_date(segment.text, conventions)
            if value:
                return Candidate(value, 99, order, segment.page, segment.bbox)
    return None


def buyer_segments(lines: list[Line]) -> set[int]:
    """ids of the phrases in the buyer's address block, under "Bill to" and the like;
    where no such label is printed, under a phrase that holds the company's own name, VAT
    id or address (extraction.parties: the company is the buyer of what it receives)."""
    zone: set[int] = set()
    for index, line in enumerate(lines):
        for segment in line.segments:
            if BUYER_LABELS.match(segment.text):
                zone |= _block_under(segment, index, lines)
    if zone:
        return zone
    own = own_identity()
    for index, line in enumerate(lines):
        for segment in line.segments:
            text = segment.text
            if (
                own.is_own_name(text)
                or any(own.is_own_vat_id(vat_id) for vat_id in vat_ids_in(text))
                or own.is_own_address(text)
            ):
                zone |= _block_under(segment, index, lines)
    return zone


def _block_under(segment: Segment, index: int, lines: list[Line]) -> set[int]:
    """ids of `segment` and of the phrases in the column under it, until a gap."""
    block = {id(segment)}
    bottom = segment.bbox[3]
    for below in lines[index + 1 : index + 8]:
        if below.page != segment.page or below.top - bottom > segment.height * 2.5:
            break
        column = [s for s in below.segments if abs(s.x0 - segment.x0) < 12]
        if not column:
            break
        block.update(id(s) for s in column)
        bottom = below.bottom
    return block


def vendor_name(lines: list[Line], buyer: set[int]) -> ExtractedField | None:
    """The most prominent name at the top of page 1 that is not a title, a label or the
    company's own name (extraction.parties)."""
    own = own_identity()
    names = []
    for order, line in enumerate([line for line in lines if line.page == 1][:15]):
        for segment in line.segments:
            # A sender line ("Acme GmbH · Street 1 · City") starts with the name.
            text = re.split(r"\s[·|•]\s", segment.text)[0].strip(" ,")
            if id(segment) not in buyer and _looks_like_name(text) and not own.is_own_name(text):
                legal = bool(_LEGAL_FORM.search(text))
                names.append((round(segment.height), legal, -order, text, segment))
    if not names:
        return None
    height, legal, _, text, segment = max(names, key=lambda name: name[:3])
    heights = sorted(name[0] for name in names)
    prominent = height > heights[len(heights) // 2] * 1.2
    confidence = 0.7 if legal or prominent else GUESS
    return ExtractedField(text, confidence, Provenance("text", segment.page, segment.bbox))


def _looks_like_name(text: str) -> bool:
    letters = sum(char.isalpha() for char in text)
    # A lone word of two or three capitals is a logo's initials, not the company's name.
    initials = re.fullmatch(r"[A-Z]{2,3}", text)
    return (
        letters >= 2
        and not initials
        and letters >= len(text) / 2
        and not text[0].isdigit()
        and not match_label(text)
        # "Währung:", "Devise", and "Währung: EUR" by the label it starts with
        and not is_label_only(text)
        and not is_label_only(text.partition(":")[0])
        and not DOCUMENT_TITLES.match(text)
        and not text.startswith("/")
        and not BUYER_LABELS.match(text)
        and not re.search(r"@|www\.|https?:|\bpage\b|\bseite\b", text, re.IGNORECASE)
    )


def vendor_vat_id(lines: list[Line], buyer: set[int]) -> ExtractedField | None:
    """The first VAT id outside the buyer's block, a labelled one first; failing any, a
    labelled registration number of another kind (an Australian ABN, a GST number, an EIN).
    The company's own VAT ids are never the vendor's (extraction.parties)."""
    own = own_identity()
    found = []
    for order, line in enumerate(lines):
        for segment in line.segments:
            if id(segment) in buyer:
                continue
            for vat_id in vat_ids_in(segment.text):
                labelled = bool(_TAX_ID_LABEL.search(line.text))
                if not own.is_own_vat_id(vat_id):
                    found.append((0, not labelled, order, vat_id, segment))
            for tax_id in tax_ids_in(segment.text):
                if not own.is_own_vat_id(tax_id):
                    found.append((1, False, order, tax_id, segment))
    if not found:
        return None
    _, unlabelled, _, vat_id, segment = min(found, key=lambda item: item[:3])
    return ExtractedField(
        vat_id, GUESS if unlabelled else LABELLED, Provenance("text", segment.page, segment.bbox)
    )


def vendor_iban(lines: list[Line], buyer: set[int]) -> ExtractedField | None:
    """The first valid IBAN outside the buyer's block that is not the company's own (a
    direct debit mandate prints the buyer's; extraction.parties)."""
    own = own_identity()
    for line in lines:
        words = [w for s in line.segments if id(s) not in buyer for w in s.words]
        start = 0
        while found := find_iban([word.text for word in words[start:]]):
            iban, first, end = found
            if not own.is_own_iban(iban):
                box = Segment(words[start + first : start + end]).bbox
                return ExtractedField(iban, CHECKSUM, Provenance("text", line.page, box))
            start += end
    return None


def currency(lines: list[Line]) -> ExtractedField | None:
    """The currency by its printed ISO codes (or names: "Australian dollars"), which
    override a symbol that several currencies use ("$"); failing any, by its symbols."""
    codes, symbols = Counter(), Counter()
    first_word: dict[str, Word] = {}
    previous = ""
    for line in lines:
        for word in line.words:
            for code in currencies_in(word.text, line.text, previous):
                (codes if code in word.text else symbols)[code] += 1
                first_word.setdefault(code, word)
        for code in currency_names_in(line.text):
            codes[code] += 1
            first_word.setdefault(code, line.words[0])
        previous = line.text
    seen = codes or symbols
    if not seen:
        return None
    code, _ = seen.most_common(1)[0]
    agreeing = all(symbol == code or code in SYMBOL_FAMILIES.get(symbol, ()) for symbol in symbols)
    confidence = LABELLED if len(seen) == 1 and agreeing else UNCONFIRMED
    word = first_word[code]
    box = (word.x0, word.top, word.x1, word.bottom)
    return ExtractedField(code, confidence, Provenance("text", word.page, box))
