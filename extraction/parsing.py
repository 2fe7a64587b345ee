"""Reading values out of printed text: amounts, dates, IBANs, VAT ids, currencies.

Conventions differ by country (1.234,56 vs 1,234.56; 03/04 as March or April), so the
parsers take the document's convention, which `Conventions.of()` infers from the whole text.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision

# Symbols that name one currency; "$" (and "¥", "kr") name several, so a printed ISO code
# overrides them: "$" with "AUD" printed is Australian dollars.
CURRENCY_SYMBOLS = {
    "€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₺": "TRY",
    "₽": "RUB", "₪": "ILS", "₱": "PHP", "₫": "VND", "฿": "THB", "₴": "UAH", "₦": "NGN",
    "zł": "PLN", "Kč": "CZK", "R$": "BRL", "A$": "AUD", "AU$": "AUD", "C$": "CAD",
    "CA$": "CAD", "NZ$": "NZD", "US$": "USD", "S$": "SGD", "HK$": "HKD", "MX$": "MXN",
}  # fmt: skip
# ISO 4217, the active codes.
_ISO_4217 = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF
    YER ZAR ZMW ZWG"""
CURRENCY_CODES = set(_ISO_4217.split())
# Codes common enough on invoices to count wherever they are printed; any other code also
# spells an ordinary word or acronym ("ALL", "TOP", "CAD", "PHP"), so it counts only beside
# an amount or a "Currency" label.
COMMON_CODES = {"EUR", "USD", "GBP", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "JPY"}
# Which codes a symbol may stand for, beyond its own.
SYMBOL_FAMILIES = {
    "USD": {"USD", "AUD", "CAD", "NZD", "SGD", "HKD", "MXN", "ARS", "CLP", "COP", "TWD",
            "BSD", "BBD", "BMD", "BZD", "FJD", "JMD", "KYD", "LRD", "NAD", "SBD", "SRD",
            "TTD", "XCD", "GYD", "BND", "UYU", "CUP", "DOP"},
    "JPY": {"JPY", "CNY"},
}  # fmt: skip
CURRENCY_NAMES = {
    "euro": "EUR", "euros": "EUR", "us dollars": "USD", "u.s. dollars": "USD",
    "australian dollars": "AUD", "canadian dollars": "CAD", "new zealand dollars": "NZD",
    "singapore dollars": "SGD", "hong kong dollars": "HKD", "pounds sterling": "GBP",
    "swiss francs": "CHF", "schweizer franken": "CHF",
    # The minor units of three-decimal currencies name them where the code is not printed
    # ("Neuf cent vingt-sept dinars zéro millime"): dinars alone may be Algerian (2 decimals).
    "millime": "TND", "millimes": "TND", "baisa": "OMR", "baiza": "OMR",
}  # fmt: skip
# Currencies counted in thousandths (ISO 4217 minor unit 3, as CLDR gives it through Babel):
# KWD, BHD, OMR, JOD, LYD, TND. Their amounts print three decimals ("926,400" TND).
THREE_DECIMAL_CURRENCIES = frozenset(
    code for code in CURRENCY_CODES if get_currency_precision(code) == 3
)
_SYMBOL_PATTERN = "|".join(
    re.escape(symbol) for symbol in sorted(CURRENCY_SYMBOLS, key=len, reverse=True)
)
_CURRENCY = re.compile(
    rf"{_SYMBOL_PATTERN}|(?<![A-Za-z])(?:{'|'.join(sorted(CURRENCY_CODES))})(?![A-Za-z])"
)
_MONEY = r"\d[\d.,'\u202f\u00a0 ]*[.,]\d{2,3}(?!\d)"
_CURRENCY_LABEL = re.compile(r"\b(?:currency|währung|devise|valuta|moneda|divisa|moeda)\b", re.I)
# Countries whose VAT ids we recognise by pattern (EU, plus GB, XI, CH and NO).
VAT_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    "GB", "XI", "CH", "NO",
}  # fmt: skip
MONTHS = {
    # English, German, French, Dutch, Italian, Spanish and Portuguese; abbreviations are
    # matched by their first three letters (the Portuguese ones excepted: "out" is a word).
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12,
    "janvier": 1, "février": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7,
    "août": 8, "septembre": 9, "octobre": 10, "novembre": 11, "décembre": 12,
    "januari": 1, "februari": 2, "maart": 3, "mei": 5, "augustus": 8,
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6,
    "luglio": 7, "agosto": 8, "settembre": 9, "ottobre": 10, "dicembre": 12,
    "enero": 1, "febrero": 2, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
}  # fmt: skip
_MONTH_ABBREVIATIONS = {name[:3]: number for name, number in MONTHS.items()}
MONTHS.update({
    "janeiro": 1, "fevereiro": 2, "março": 3, "maio": 5, "junho": 6, "julho": 7,
    "setembro": 9, "outubro": 10, "novembro": 11, "dezembro": 12,
})  # fmt: skip

# IBAN lengths by country (the SWIFT registry), for the countries we see most: a run of
# tokens that passes mod 97 by chance ("...2687 BIC") is then not taken for an IBAN.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18,
    "FR": 27, "GB": 22, "IE": 22, "IT": 27, "LI": 21, "LU": 20, "NL": 18, "NO": 15,
    "PL": 28, "PT": 25, "SE": 24,
}  # fmt: skip

# Thousands are grouped by a point or comma (whichever is not the decimal mark), an
# apostrophe (Swiss: 1'234.56, typeset also with U+2019), or a space: plain, no-break
# (U+00A0), thin (U+2009) or narrow no-break (U+202F), as CLDR number formats print them.
GROUP_MARKS = "'\u2019\u2009\u202f\u00a0 "
# A minus may lead or trail ("-119,00", "119,00-", "119,00 -"; German ERP prints put it
# after); typesetters use the minus sign U+2212 or an en dash. Parentheses are accountants'.
# A leading minus stands against the digits: "Freight - 5.90" is a dash, not a credit.
_MINUS = "-\u2212\u2013"
_NUMBER = re.compile(
    rf"(?P<lead>[{_MINUS}+(]?)(?P<digits>\d(?:[\d.,{GROUP_MARKS}]*\d)?)\s*(?P<trail>[{_MINUS})]?)"
)
_GROUPED = re.compile(rf"^\d{{1,3}}([.,{GROUP_MARKS}])\d{{3}}(?:\1\d{{3}})*$")
# Indian numbering (lakh and crore: CLDR's en_IN pattern #,##,##0.00): the last three digits
# grouped, then pairs: "2,67,011.67" is 267011.67, "1,00,00,000" one crore.
INDIAN_GROUPS = r"\d{1,2}(?:,\d{2})+,\d{3}"
_GROUPED_INDIAN = re.compile(rf"^{INDIAN_GROUPS}$")
# A money amount's shape, for telling the decimal convention: grouped or not, then a mark and
# two decimals ("8'590.00", "1.234,56", "119,00"). Dates, times, phone numbers and versions
# do not take this shape once read as whole tokens ("09.03.2026", "0761.12.34", "1.2.3").
_MONEY_TOKEN = re.compile(r"(?<![\w.,/:'\u2019+])(?<!\w-)\d[\d.,'\u2019]*")
_WHOLE = r"(?:[1-9]\d?(?:,\d{2})+,\d{3}|[1-9]\d{0,2}(?:([.,'\u2019])\d{3})*|\d+)"
_MONEY_SHAPE = re.compile(rf"^{_WHOLE}(?P<mark>[.,])\d{{2}}$")
# In thousandths, where the document's currency is counted so (Conventions.minor_digits 3).
_MONEY_SHAPE_3 = re.compile(rf"^{_WHOLE}(?P<mark>[.,])\d{{3}}$")


@dataclass(frozen=True)
class Conventions:
    decimal_comma: bool = False  # 1.234,56
    month_first: bool = False  # 03/12/2026 is March 12
    # 3 where the document's currency counts thousandths (THREE_DECIMAL_CURRENCIES):
    # "926,400" is then 926.4, not 926400.
    minor_digits: int = 2

    @classmethod
    def of(cls, text: str) -> "Conventions":
        minor_digits = 3 if _THREE_DECIMALS.search(text) else 2
        marks = Counter(money_marks(text, minor_digits))
        commas, points = marks[","], marks["."]
        first_over_12 = second_over_12 = False
        for first, second in re.findall(r"\b(\d{1,2})/(\d{1,2})/\d{4}\b", text):
            first_over_12 |= int(first) > 12
            second_over_12 |= int(second) > 12
        # Any date that can only be read one way settles it; otherwise dollars mean en-US.
        # A non-US dollar ("AUD", "A$", an Australian ABN) leaves "$" no hint of en-US.
        other_dollar = re.search(r"\b(?:AUD|NZD|CAD|SGD|HKD|ABN)\b|(?:AU?|NZ|C|CA|S|HK)\$", text)
        us_hint = ("$" in text or "USD" in text) and not other_dollar
        month_first = second_over_12 or (us_hint and not first_over_12)
        return cls(
            decimal_comma=commas > points, month_first=month_first, minor_digits=minor_digits
        )


# A three-decimal currency printed: its ISO code beside an amount, as currencies_in counts
# a code that also spells a word ("SDN BHD" is a Malaysian company, Berhad, not Bahraini
# dinars), or its minor unit named in words.
_THOUSANDTHS_CODES = "|".join(sorted(THREE_DECIMAL_CURRENCIES))
_THOUSANDTHS_NAMES = [n for n, code in CURRENCY_NAMES.items() if code in THREE_DECIMAL_CURRENCIES]
_THREE_DECIMALS = re.compile(
    rf"(?<![A-Za-z])(?:{_THOUSANDTHS_CODES})\s*[^\w\s]?\s*{_MONEY}"
    rf"|{_MONEY}\s*\)?\s*(?:{_THOUSANDTHS_CODES})(?![A-Za-z])"
    rf"|(?i:\b(?:{'|'.join(_THOUSANDTHS_NAMES)})\b)"
)


def decimals_pattern(conventions: Conventions) -> str:
    """A regex for the decimals a money amount prints after its mark in the document's
    currency: two, or two or three where it counts thousandths (minor_digits 3; quantities
    and rates there still print two)."""
    return r"\d{2,3}" if conventions.minor_digits == 3 else r"\d{2}"


def money_marks(text: str, minor_digits: int = 2) -> list[str]:
    """The decimal mark ("," or ".") of each money amount printed in `text`, in order.

    Only amounts count: a whole token of digits and marks ending in a mark and two decimals
    (or three, with `minor_digits` 3: a three-decimal currency), its thousands grouped
    consistently. Dates ("09.03.2026", "09.03."), times ("12.30 Uhr"),
    phone numbers ("0761.12.34", "+41 44 123 45 67"), versions ("v1.20") and numbers glued to
    letters do not count, so they cannot outvote the amounts.
    """
    found = []
    for match in _MONEY_TOKEN.finditer(text):
        printed = match.group()
        token = printed.rstrip(".,'\u2019")
        shape = _MONEY_SHAPE.match(token) or (
            _MONEY_SHAPE_3.match(token) if minor_digits == 3 else None
        )
        if not shape or shape.group(1) == shape.group("mark"):
            continue
        after = text[match.start() + len(token) :]
        if re.match(r"[\w:]|\s*(?:uhr|h)\b", after, re.IGNORECASE):
            continue
        if printed.endswith(".") and re.fullmatch(r"\d{1,2}\.\d{2}", token):
            continue  # "am 09.03." is a date
        found.append(shape.group("mark"))
    return found


def parse_amount(text: str, conventions: Conventions) -> Decimal | None:
    """A money amount or quantity printed in `text` (one token or phrase, nothing else but
    currency symbols or codes, which are ignored), or None.

    Negative when a minus leads or trails ("-25.00", "25,00-", "25,00 -") or parentheses
    enclose it. Thousands may be grouped by a point, comma, apostrophe (' or U+2019) or any
    space (GROUP_MARKS), or in Indian lakhs ("2,67,011.67"). A mark printed once and
    followed by other than three digits is the decimal mark whatever the document's
    convention ("1'234.56", "12,50"); a mark printed twice groups thousands; only "1,234"
    or "1.234" is decided by `conventions` (the document's decimal mark makes it 1.234).
    """
    cleaned = strip_currency(text).strip()
    found = _NUMBER.fullmatch(cleaned) if cleaned else None
    if not found:
        return None
    negative = bool(found.group("lead") in {*_MINUS, "("} or found.group("trail"))
    digits = found.group("digits")
    decimal_mark = _decimal_mark(digits, conventions)
    whole, fraction = digits, ""
    if decimal_mark:
        whole, _, fraction = digits.rpartition(decimal_mark)
    grouped = _GROUPED.match(whole) or _GROUPED_INDIAN.match(whole)
    if not (whole.isdigit() or grouped) or (fraction and not fraction.isdigit()):
        return None
    try:
        value = Decimal(re.sub(r"\D", "", whole) + ("." + fraction if fraction else ""))
    except InvalidOperation:
        return None
    return -value if negative else value


def _decimal_mark(digits: str, conventions: Conventions) -> str | None:
    marks = [char for char in digits if char in ".,"]
    if not marks:
        return None
    if len(set(marks)) == 2:
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    mark = marks[0]
    if len(marks) > 1:
        return None  # "1.234.567": a mark printed twice groups thousands
    if len(digits) - digits.rfind(mark) - 1 != 3:
        return mark  # thousands come in threes, so "12,50" and "1'234.5" have decimals
    return mark if (mark == ",") == conventions.decimal_comma else None


def amount_at_end(text: str, conventions: Conventions) -> Decimal | None:
    """The amount a phrase ends with: the whole phrase if it is one ("EUR 1 234,56-"),
    else the longest run of its last words that is ("Total (EUR) 1 234,56" gives 1234.56).

    Text extraction splits "1 234,56" (grouped by a space of any width) into two words that
    a phrase joins with one space; reading the longest run puts them back together.
    """
    value = parse_amount(text, conventions)
    tokens = text.split()
    for start in range(max(1, len(tokens) - 6), len(tokens)):
        if value is not None:
            break
        value = parse_amount(" ".join(tokens[start:]), conventions)
    return value


def parse_date(text: str, conventions: Conventions) -> date | None:
    text = text.strip().rstrip(".,;")
    for parse in (_iso, _numeric, _day_month_name, _month_name_day):
        found = parse(text, conventions)
        if found:
            return found
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _iso(text, _conventions):
    match = re.search(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
    return match and _safe_date(*map(int, match.groups()))


def _numeric(text, conventions):
    match = re.search(r"\b(\d{1,2})([./-])(\d{1,2})\2(\d{4})\b", text)
    if not match:
        return None
    first, separator, second, year = match.groups()
    day, month = int(first), int(second)
    # Dots are always day first (German, French); slashes follow the document.
    if separator != "." and conventions.month_first:
        day, month = month, day
    if month > 12 >= day:
        day, month = month, day
    return _safe_date(int(year), month, day)


def _month_number(name: str) -> int | None:
    name = name.lower().rstrip(".")
    return MONTHS.get(name) or (_MONTH_ABBREVIATIONS.get(name[:3]) if len(name) >= 3 else None)


def _day_month_name(text, _conventions):
    # "12 March 2026", "12. März 2026" (or "12.März 2026"), "1st March 2026", "1st of
    # March, 2026", "12 de marzo de 2026", and with hyphens as in "12-Mar-2026"
    match = re.search(
        r"\b(\d{1,2})(?:st|nd|rd|th)?(?:(?:\.\s*|\s+)(?:of\s+|de\s+)?|-)([^\W\d_]+)\.?,?"
        r"(?:\s+(?:de\s+)?|-)(\d{4})\b",
        text,
    )
    month = match and _month_number(match.group(2))
    return month and _safe_date(int(match.group(3)), month, int(match.group(1)))


def _month_name_day(text, _conventions):
    match = re.search(r"\b([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", text)
    month = match and _month_number(match.group(1))
    return month and _safe_date(int(match.group(3)), month, int(match.group(2)))


def find_iban(tokens: list[str]) -> tuple[str, int, int] | None:
    """The first valid IBAN in a run of tokens, with the token span it takes.

    Printed IBANs come in groups of four, so tokens are joined until the checksum holds;
    the longest valid run wins, as a shorter prefix can pass mod 97 by chance.
    """
    for start, token in enumerate(tokens):
        token = token.strip(":,;").upper()
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]*", token):
            continue
        candidate, best = token, None
        for end in range(start + 1, min(len(tokens), start + 10) + 1):
            if is_iban(candidate):
                best = (candidate, start, end)
            if end == len(tokens):
                break
            following = tokens[end].strip(",;").upper()
            if not following.isalnum() or len(candidate) + len(following) > 34:
                break
            candidate += following
        if best:
            return best
    return None


def is_iban(text: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", text):
        return False
    if len(text) != IBAN_LENGTHS.get(text[:2], len(text)):
        return False
    rearranged = text[4:] + text[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


def vat_ids_in(text: str) -> list[str]:
    # Swiss UIDs print as CHE-123.456.789 with MWST, TVA or IVA after them.
    found = [
        "CHE" + "".join(groups)
        for groups in re.findall(r"\bCHE[- ]?(\d{3})\.?(\d{3})\.?(\d{3})\b", text.upper())
    ]
    for match in re.finditer(r"(?=\b([A-Z]{2}) ?([0-9A-Z]{8,12})\b)", text.upper()):
        country, rest = match.groups()
        if country in VAT_COUNTRIES and sum(c.isdigit() for c in rest) >= 7:
            found.append(country + rest)
    return found


def strip_currency(text: str) -> str:
    """`text` without currency symbols and ISO codes."""
    return _CURRENCY.sub("", text)


def currencies_in(text: str, context: str = "", header: str = "") -> list[str]:
    """Currencies printed in a word (or phrase): symbols by their usual code, and ISO codes.
    A code that is also an ordinary word counts only beside an amount in `context` (the
    word's line), or where the line or `header` (the line above) has a "Currency" label."""
    found = []
    for match in _CURRENCY.finditer(text):
        printed = match.group()
        if printed in CURRENCY_SYMBOLS:
            found.append(CURRENCY_SYMBOLS[printed])
            continue
        code = re.escape(printed)
        beside_amount = re.search(
            rf"(?<![A-Za-z]){code}\s*[^\w\s]?\s*{_MONEY}|{_MONEY}\s*\)?\s*{code}(?![A-Za-z])",
            f"{text} {context}",
        )
        labelled = _CURRENCY_LABEL.search(f"{context} {header}")
        if printed in COMMON_CODES or beside_amount or labelled:
            found.append(printed)
    return found


def currency_names_in(text: str) -> list[str]:
    """Currencies named in words: "All amounts are in Australian dollars"."""
    lowered = text.lower()
    return [
        code
        for name, code in CURRENCY_NAMES.items()
        if re.search(rf"\b{re.escape(name)}\b", lowered)
    ]


# VAT and GST registrations that the EU pattern cannot know, by the label printed before
# them: the Australian ABN (the GST registration), GST/HST numbers (Canada, New Zealand,
# Singapore), India's GSTIN, a VAT "TRN". Income-tax ids (a US EIN or TIN) are not VAT ids.
_TAX_ID = re.compile(
    r"\b(ABN|(?:GST|HST|GST/HST)\s*(?:reg(?:istration|\.)?\s*)?(?:no\.?|number|#|id)|GSTIN|"
    r"TRN|(?:VAT|tax)\s*reg(?:istration|\.)?\s*(?:no\.?|number))(?![A-Za-z])[\s:.#]*"
    r"((?:[A-Z]*\d[A-Z\d-]*)(?:\s[A-Z]*\d[A-Z\d-]*)*)",
    re.IGNORECASE,
)


def tax_ids_in(text: str) -> list[str]:
    """Labelled tax ids that `vat_ids_in` cannot know by pattern; an ABN must pass its
    checksum, any other needs six digits or more in 8 to 20 characters."""
    found = []
    for label, printed in _TAX_ID.findall(text):
        compact = re.sub(r"[^0-9A-Za-z]", "", printed).upper()
        if label.upper() == "ABN":
            if is_abn(compact):
                found.append(compact)
        elif sum(char.isdigit() for char in compact) >= 6 and 8 <= len(compact) <= 20:
            found.append(compact)
    return found


def is_abn(text: str) -> bool:
    """An Australian Business Number: 11 digits whose weighted sum (the first digit less
    one) is divisible by 89."""
    if not re.fullmatch(r"\d{11}", text):
        return False
    digits = [int(char) for char in text]
    digits[0] -= 1
    weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 89 == 0
