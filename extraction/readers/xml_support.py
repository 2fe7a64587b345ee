"""What every e-invoice syntax reader shares: reading untrusted XML as it comes, and the
small helpers that turn its elements into values.

XML as it comes. Invoices arrive in whatever encoding the sender's system writes: UTF-8
with or without a byte-order mark, UTF-16 (Windows and .NET exporters, LE or BE, with or
without a BOM), UTF-32, ISO-8859-1/15, windows-1252, with whitespace or a comment before
the prolog. The encoding is found as XML 1.0 Appendix F finds it: a BOM first, then the
byte pattern of the first character ("<" or whitespace) for the 16- and 32-bit encodings,
then the encoding the declaration names (UTF-8 when none). The bytes are decoded with
Python's codecs and the text after the declaration is parsed: expat then has no encoding
of its own to get wrong. A document that declares a 16/32-bit encoding but is written in
single bytes (a common .NET slip) is read as UTF-8, what its bytes show.

Still no DTDs: the parser is defusedxml with DTDs forbidden, whatever the encoding,
because invoices arrive from strangers by mail and an entity declaration is either an
attack (billion laughs, external entities) or a mistake.
"""

import codecs
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

from core.document_types import document_type
from extraction.types import (
    AllowanceCharge,
    DocumentTotals,
    ExtractedField,
    ExtractionResult,
    LineItem,
    Provenance,
    TaxSubtotal,
    UnreadableDocument,
)

PARSED = Provenance(method="xml")

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Where the NUL bytes of the first ASCII character fall (XML 1.0 Appendix F).
_NUL_PATTERNS = {
    (True, True, True, False): "utf-32-be",
    (False, True, True, True): "utf-32-le",
    (True, False): "utf-16-be",
    (False, True): "utf-16-le",
}
_WIDE = re.compile(r"^(utf-?(16|32)|ucs-?[24]|unicode)", re.IGNORECASE)
# Whitespace and comments before the prolog; the declaration's encoding, in single bytes.
_MISC = r"\s*(?:<!--(?:(?!-->).)*-->\s*)*"
_DECLARED = re.compile(
    rf"{_MISC}<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']".encode(), re.DOTALL
)
_TEXT_MISC = re.compile(_MISC, re.DOTALL)
# The character sets a declaration may name: Python's codec names (codecs.lookup(...).name)
# of real text encodings. Others Python knows would decode too, but are no character set of
# a document, and some of them (punycode, idna, utf-7, unicode_escape) take time that grows
# with the square of the input: a small file could hold a worker for hours.
_CHARSETS = re.compile(
    r"(utf-(8|16|32)(-[lb]e)?|utf-8-sig|ascii|latin-1|iso8859-\d+|cp125\d|cp(437|850|852|858|866|932|936"
    r"|949|950)|mac-[a-z]+|koi8-[a-z]+|shift_jis(x0213|_2004)?|euc_(jp|jis_2004|jisx0213|kr)"
    r"|gb2312|gbk|gb18030|big5(hkscs)?|iso2022_[a-z0-9_]+|kz1048|ptcp154|tis-620|johab)"
)
_DECLARATION = re.compile(r"<\?xml(?:\s[^>]*?)?\?>", re.DOTALL)


def looks_like_xml(data: bytes) -> bool:
    """Whether the bytes start like an XML document, in any encoding decode_xml reads."""
    encoding, skip = _encoding_shown(data)
    head = data[skip : skip + 256].decode(encoding or "latin-1", errors="ignore")
    return head.lstrip(" \t\r\n").startswith("<")


def decode_xml(data: bytes) -> str:
    """The document as text, decoded by its BOM, byte pattern or declared encoding."""
    encoding, skip = _encoding_shown(data)
    declared = None
    if not encoding:
        found = _DECLARED.match(data, 0, 64 * 1024)
        declared = found.group(1).decode("ascii", errors="replace").strip() if found else None
        encoding = "utf-8" if not declared or _WIDE.match(declared) else declared
    try:
        known = codecs.lookup(encoding).name
    except LookupError:
        known = ""
    if not _CHARSETS.fullmatch(known):
        raise UnreadableDocument(
            f"The XML declares the character encoding {declared!r}, "
            "which is not an encoding this product knows"
        )
    try:
        return data[skip:].decode(encoding)
    except UnicodeError as exc:
        where = f" at byte {exc.start + skip}" if isinstance(exc, UnicodeDecodeError) else ""
        name = declared if encoding == declared else encoding.upper()
        raise UnreadableDocument(
            f"The XML is not valid {name} text ({getattr(exc, 'reason', exc)}{where})"
        ) from exc


def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML in any encoding, turning every complaint into UnreadableDocument."""
    text = _after_prolog(decode_xml(data))
    try:
        return fromstring(text, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise UnreadableDocument(
            "The XML contains a DOCTYPE/entity declaration, refused for safety"
        ) from exc
    except (ParseError, ValueError) as exc:
        raise UnreadableDocument(f"The XML is malformed: {exc}") from exc


def _encoding_shown(data: bytes) -> tuple[str, int]:
    """(codec, length of the BOM) where the bytes themselves show the encoding; ("", 0)
    for a single-byte pattern, whose declaration then says which encoding it is."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return encoding, len(mark)
    nuls = tuple(byte == 0 for byte in data[:4].ljust(4, b"\1"))
    return _NUL_PATTERNS.get(nuls) or _NUL_PATTERNS.get(nuls[:2]) or "", 0


def _after_prolog(text: str) -> str:
    """The text from the root on (or what precedes it after the declaration): the BOM,
    whitespace and comments before the declaration and the declaration itself are dropped,
    since the text is already decoded and expat would refuse anything before it."""
    position = _TEXT_MISC.match(text, 1 if text.startswith("\ufeff") else 0).end()
    declaration = _DECLARATION.match(text, position)
    return text[declaration.end() if declaration else position :]


# --- values ------------------------------------------------------------------------------------


def find(element: Element | None, path: str, ns: dict) -> Element | None:
    return element.find(path, ns) if element is not None else None


def find_text(element: Element | None, path: str, ns: dict) -> str | None:
    found = find(element, path, ns)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def first_text(element: Element | None, *paths: str, ns: dict) -> str | None:
    for path in paths:
        text = find_text(element, path, ns)
        if text:
            return text
    return None


def compact(text: str | None) -> str | None:
    return "".join(text.split()).upper() if text else None


def iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def cii_date(element: Element | None) -> date | None:
    if element is None or not element.text:
        return None
    text = element.text.strip()
    # Format 102 (YYYYMMDD) is the only one EN 16931 allows, but be lenient about ISO.
    for pattern in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def indicator(text: str | None) -> bool:
    """An xs:boolean (UBL ChargeIndicator, CII udt:Indicator): "true" or "1"."""
    return (text or "").strip().lower() in ("true", "1")


def unit_price(
    price: Decimal | None,
    base_quantity: Decimal | None,
    quantity: Decimal | None = None,
    line_amount: Decimal | None = None,
) -> Decimal | None:
    """The price per unit; a price may be stated per base quantity (e.g. per 100 pieces).

    Some senders fill the base quantity with nonsense (the official CII example 2 repeats
    the price there), so when the line amount proves the undivided price right, keep it.
    """
    if price is None or not base_quantity or base_quantity == 1:
        return price
    per_unit = price / base_quantity
    if quantity is not None and line_amount is not None:
        divided_fits = abs(quantity * per_unit - line_amount) <= Decimal("0.01")
        if not divided_fits and abs(quantity * price - line_amount) <= Decimal("0.01"):
            return price
    exact = per_unit.quantize(Decimal("0.0001"))
    return exact if exact == per_unit else per_unit.quantize(Decimal("0.000001"))


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


# --- results -----------------------------------------------------------------------------------


def parsed_result(
    fmt: str, values: dict, lines: list[LineItem], type_code: str | None, default_code: str
) -> ExtractionResult:
    """The result of a parsed e-invoice: every stated value at confidence 1.0, the type
    code as stated (BT-3; `default_code` where the syntax implies it: 380 for an invoice,
    381 for a UBL CreditNote) and its direction from UNTDID 1001."""
    fields = {
        name: ExtractedField(value=value, confidence=1.0, provenance=PARSED)
        for name, value in values.items()
        if value not in (None, "")
    }
    # Kept as stated, bounded as core.document_types bounds an unknown code.
    code = (type_code or default_code).strip()[:8]
    return ExtractionResult(
        format=fmt,
        fields=fields,
        lines=lines,
        type_code=code,
        document_type=document_type(code).direction,
    )


def is_credit_note(type_code: str | None, default_code: str = "380") -> bool:
    return document_type(type_code or default_code).direction == "credit_note"


# --- the CII family (CII D16B and ZUGFeRD 1.0 name these alike) -------------------------------


def cii_allowance_charge(element: Element, ns: dict, rate_tag: str) -> AllowanceCharge:
    """ram:SpecifiedTradeAllowanceCharge: BG-20/BG-21 in the header settlement, BG-27/BG-28
    in a line's. `rate_tag` is CII's RateApplicablePercent, ZUGFeRD 1.0's ApplicablePercent."""
    return AllowanceCharge(
        charge=indicator(find_text(element, "ram:ChargeIndicator/udt:Indicator", ns)),
        amount=amount(find_text(element, "ram:ActualAmount", ns)),
        base_amount=amount(find_text(element, "ram:BasisAmount", ns)),
        percent=amount(find_text(element, "ram:CalculationPercent", ns)),
        reason=find_text(element, "ram:Reason", ns) or "",
        reason_code=find_text(element, "ram:ReasonCode", ns) or "",
        tax_category=find_text(element, "ram:CategoryTradeTax/ram:CategoryCode", ns) or "",
        tax_rate=amount(find_text(element, f"ram:CategoryTradeTax/ram:{rate_tag}", ns)),
    )


def cii_tax_subtotal(element: Element, ns: dict, rate_tag: str) -> TaxSubtotal:
    """A header ram:ApplicableTradeTax: one row of the VAT breakdown (BG-23)."""
    return TaxSubtotal(
        category=find_text(element, "ram:CategoryCode", ns) or "",
        rate=amount(find_text(element, f"ram:{rate_tag}", ns)),
        taxable_amount=amount(find_text(element, "ram:BasisAmount", ns)),
        tax_amount=amount(find_text(element, "ram:CalculatedAmount", ns)),
        exemption_reason=find_text(element, "ram:ExemptionReason", ns) or "",
        exemption_reason_code=find_text(element, "ram:ExemptionReasonCode", ns) or "",
    )


def cii_document_totals(totals: Element | None, ns: dict) -> DocumentTotals:
    """BT-106, 107, 108, 113, 114 and 115 from a CII (or ZUGFeRD 1.0: the same element
    names, in `ns`) header monetary summation."""

    def stated(tag: str) -> Decimal | None:
        return amount(find_text(totals, f"ram:{tag}", ns))

    return DocumentTotals(
        line_total=stated("LineTotalAmount"),
        allowance_total=stated("AllowanceTotalAmount"),
        charge_total=stated("ChargeTotalAmount"),
        prepaid=stated("TotalPrepaidAmount"),
        rounding=stated("RoundingAmount"),
        amount_due=stated("DuePayableAmount"),
    )
