"""The e-invoice reader against the official EN 16931 examples and hostile XML.

The examples are read from ../shared/data/en16931 at test time, never copied here.
"""

import codecs
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from extraction.extract import extract_source
from extraction.readers.xml_invoice import looks_like_xml
from extraction.types import SourceFile, UnreadableDocument
from tests.extraction.en16931 import EXAMPLES, example_files, needs_examples

# The official examples live in the shared folder beside the checkout; they are read from
# there, never copied. Where that folder is, missing examples fail the tests; a checkout
# without it skips them, saying why.


@needs_examples
def test_the_official_examples_are_there():
    assert len(list(EXAMPLES.glob("*/*.[xX][mM][lL]"))) >= 30, (
        f"EN 16931 examples missing in {EXAMPLES}"
    )


AGREEING_FIELDS = (
    "invoice_number",
    "invoice_date",
    "due_date",
    "currency",
    "net_amount",
    "tax_amount",
    "total_amount",
    "vendor_vat_id",
)
# Where the official UBL and CII renderings of one example really state different values
# (checked by hand in the files); the test asserts the difference so a reader bug that
# happens to "fix" it is noticed too.
KNOWN_DIFFERENCES = {
    (7, "invoice_date"): (date(2013, 3, 11), date(2013, 5, 13)),
    (7, "tax_amount"): (Decimal("0.00"), None),  # CII omits TaxTotalAmount (category O)
    (9, "due_date"): (date(2015, 4, 14), date(2015, 4, 15)),
}


def _read(path: Path):
    return extract_source(SourceFile(name=path.name, data=path.read_bytes()))


@needs_examples
@pytest.mark.parametrize("number", [1, 2, 4, 5, 6, 7, 8, 9])
def test_ubl_and_cii_examples_agree(number):
    ubl = _read(EXAMPLES / "ubl" / f"ubl-tc434-example{number}.xml")
    cii = _read(EXAMPLES / "cii" / f"CII_example{number}.xml")

    assert (ubl.format, cii.format) == ("ubl", "cii")
    for name in AGREEING_FIELDS:
        pair = (ubl.value(name), cii.value(name))
        assert pair == KNOWN_DIFFERENCES.get((number, name), (pair[0], pair[0])), name
    assert ubl.value("invoice_number")
    assert ubl.value("total_amount") is not None
    assert len(ubl.lines) == len(cii.lines) > 0
    # Quantities are left out: example 2's UBL bills 2 laptops for the price of one.
    for ubl_line, cii_line in zip(ubl.lines, cii.lines, strict=True):
        assert (ubl_line.item_code, ubl_line.amount) == (cii_line.item_code, cii_line.amount)


@needs_examples
@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_every_example_reads(path):
    # The contract only asks for "reads or raises UnreadableDocument"; today all of them
    # read, and this pins it (any other exception would fail here as well).
    result = _read(path)

    assert result.format in {"ubl", "ubl-creditnote", "cii"}
    assert result.value("invoice_number")
    assert result.value("currency")
    assert all(f.confidence == 1.0 and f.provenance.method == "xml" for f in result.fields.values())


@needs_examples
def test_example1_fields_and_lines():
    result = _read(EXAMPLES / "ubl" / "ubl-tc434-example1.xml")

    assert result.value("vendor_name") == "De Koksmaat"
    assert result.value("vendor_iban") == "NL57RABO0107307510"
    assert result.value("invoice_date") == date(2015, 1, 9)
    assert result.value("total_amount") == Decimal("250.33")
    first = result.lines[0]
    assert (first.description, first.item_code) == ("PATAT FRITES 10MM 10KG", "166022")
    assert (first.quantity, first.unit_price, first.amount) == (
        2,
        Decimal("9.95"),
        Decimal("19.90"),
    )
    assert first.tax_rate == 6
    assert result.fields["total_amount"].provenance.page is None


@needs_examples
def test_credit_note_keeps_amounts_as_stated():
    result = _read(EXAMPLES / "ubl" / "ubl-tc434-creditnote1.xml")

    assert result.format == "ubl-creditnote"
    assert result.value("total_amount") == Decimal("100.11")
    assert len(result.lines) == 1
    assert result.lines[0].quantity == 1


@needs_examples
def test_po_number_comes_from_the_header_not_the_lines():
    assert _read(EXAMPLES / "ubl" / "ubl-tc434-example5.xml").value("po_number") == "PO4711"
    assert _read(EXAMPLES / "cii" / "CII_example5.xml").value("po_number") == "PO4711"


@needs_examples
def test_unit_price_is_per_unit_when_price_has_a_base_quantity():
    result = _read(EXAMPLES / "cii" / "CII_example2.xml")

    assert [line.unit_price for line in result.lines] == [
        Decimal(1273),
        Decimal("3.96"),
        Decimal("2.48"),
        Decimal(25),
        Decimal("0.75"),
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&lol3;</Invoice>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">
<ID xmlns="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">&xxe;</ID>
</Invoice>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_xml_with_entity_declarations_is_refused(data):
    with pytest.raises(UnreadableDocument, match="DOCTYPE/entity declaration, refused"):
        extract_source(SourceFile(name="evil.xml", data=data))


def test_malformed_xml_is_unreadable():
    with pytest.raises(UnreadableDocument, match="malformed"):
        extract_source(SourceFile(name="cut.xml", data=b"<?xml version='1.0'?><Invoice><cbc:ID"))


def test_xml_that_is_not_an_invoice_is_unreadable():
    with pytest.raises(UnreadableDocument, match=r"not an e-invoice.*'html'"):
        extract_source(SourceFile(name="page.xml", data=b"<html><body>hi</body></html>"))


# --- XML as it comes: any encoding the prolog declares or a BOM shows ----------------------------

UMLAUT_INVOICE = """<?xml version="1.0" encoding="{encoding}"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>MÜ-2026/ß1</cbc:ID><cbc:IssueDate>2026-03-02</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty><cac:Party><cac:PartyName>
    <cbc:Name>Müller &amp; Söhne Größenwerk</cbc:Name></cac:PartyName></cac:Party>
  </cac:AccountingSupplierParty>
  <cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">119.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine><cbc:ID>1</cbc:ID>
    <cbc:LineExtensionAmount currencyID="EUR">100.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>{item}</cbc:Name></cac:Item></cac:InvoiceLine>
</Invoice>
"""


def _umlaut_invoice(encoding: str, codec: str, item="Prüfgerät", bom=b"") -> bytes:
    return bom + UMLAUT_INVOICE.format(encoding=encoding, item=item).encode(codec)


def _assert_umlauts_read(data: bytes, item="Prüfgerät"):
    result = extract_source(SourceFile(name="invoice.xml", data=data))
    assert (result.format, result.value("invoice_number")) == ("ubl", "MÜ-2026/ß1")
    assert result.value("vendor_name") == "Müller & Söhne Größenwerk"
    assert result.lines[0].description == item
    assert result.totals.amount_due == Decimal("119.00")


@pytest.mark.parametrize(
    ("encoding", "codec", "bom"),
    [
        ("UTF-16", "utf-16-le", codecs.BOM_UTF16_LE),
        ("UTF-16", "utf-16-be", codecs.BOM_UTF16_BE),
        ("UTF-16LE", "utf-16-le", b""),
        ("UTF-16BE", "utf-16-be", b""),
        ("UTF-16", "utf-16-le", b""),  # declared without an order: the byte pattern shows it
        ("UTF-32", "utf-32-le", codecs.BOM_UTF32_LE),
        ("UTF-8", "utf-8", codecs.BOM_UTF8),
        ("ISO-8859-1", "latin-1", b""),
        ("iso-8859-15", "iso-8859-15", b""),
    ],
    ids=[
        "16le-bom",
        "16be-bom",
        "16le",
        "16be",
        "16-undeclared-order",
        "32le-bom",
        "8-bom",
        "latin1",
        "latin9",
    ],
)
def test_xml_in_any_declared_or_marked_encoding_is_read(encoding, codec, bom):
    _assert_umlauts_read(_umlaut_invoice(encoding, codec, bom=bom))


def test_windows_1252_is_read_with_its_own_characters():
    item = "\u201ePrüfgerät\u201c \u2013 5 € Pfand"  # cp1252 0x84, 0x93, 0x96, 0x80
    _assert_umlauts_read(_umlaut_invoice("windows-1252", "cp1252", item=item), item=item)


def test_whitespace_and_a_comment_before_the_prolog_are_skipped():
    text = "\r\n  <!-- exported by ERP 4.2 -->\n " + UMLAUT_INVOICE.format(
        encoding="UTF-16", item="Prüfgerät"
    )
    _assert_umlauts_read(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    _assert_umlauts_read(text.encode("utf-8").replace(b"UTF-16", b"UTF-8"))


def test_many_comments_before_the_root_are_skipped_in_one_pass():
    # Untrusted input: finding the declaration must not backtrack over the comments.
    comments = "<!-- generated by ERP 4.2 -->\n" * 200
    body = UMLAUT_INVOICE.format(encoding="ISO-8859-1", item="Prüfgerät")
    _assert_umlauts_read((comments + body).encode("latin-1"))
    without_prolog = comments + body.split("?>", 1)[1]
    _assert_umlauts_read(without_prolog.encode("utf-8"))


def test_a_declared_utf16_written_in_single_bytes_is_read_as_its_bytes_show():
    # A common .NET slip: a StringWriter declares UTF-16, the file is written in UTF-8.
    _assert_umlauts_read(_umlaut_invoice("utf-16", "utf-8"))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_looks_like_xml(codec):
    assert looks_like_xml(UMLAUT_INVOICE.encode(codec))
    assert looks_like_xml("\n <a/>".encode(codec))
    assert not looks_like_xml("%PDF-1.7".encode(codec))


def test_binary_files_do_not_look_like_xml():
    assert not looks_like_xml(b"%PDF-1.7\n")
    assert not looks_like_xml(b"\x89PNG\r\n\x1a\n")
    assert not looks_like_xml(b"\xff\xd8\xff\xe0\x00\x10JFIF")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_entity_declarations_are_refused_in_utf16_too(codec):
    data = BILLION_LAUGHS.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
    with pytest.raises(UnreadableDocument, match="DOCTYPE/entity declaration, refused"):
        extract_source(SourceFile(name="evil.xml", data=data.encode(codec)))


def test_an_unknown_encoding_is_refused_naming_it():
    data = _umlaut_invoice("x-klingon-8", "utf-8")
    with pytest.raises(UnreadableDocument, match="encoding 'x-klingon-8', which is not an enc"):
        extract_source(SourceFile(name="invoice.xml", data=data))


@pytest.mark.parametrize("codec", ["punycode", "idna", "utf-7", "raw_unicode_escape"])
def test_a_codec_that_is_no_character_set_is_refused_before_decoding(codec):
    """Python decodes these, some in time that grows with the square of the input (100 KB
    of punycode took 0.6 s, 300 KB 7 s): refused as unknown, before any decoding."""
    data = f"<?xml version='1.0' encoding='{codec}'?><a/>-".encode() + b"a" * 2_000_000
    with pytest.raises(UnreadableDocument, match=f"encoding '{codec}', which is not an enc"):
        extract_source(SourceFile(name="invoice.xml", data=data))


def test_bytes_that_are_not_the_declared_encoding_are_refused_naming_it():
    data = _umlaut_invoice("UTF-8", "latin-1")
    with pytest.raises(UnreadableDocument, match=r"not valid UTF-8 text \(invalid .* at byte"):
        extract_source(SourceFile(name="invoice.xml", data=data))
