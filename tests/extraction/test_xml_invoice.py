"""The e-invoice reader against the official EN 16931 examples and hostile XML.

The examples are read from ../shared/data/en16931 at test time, never copied here.
"""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from extraction.extract import extract_source
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
