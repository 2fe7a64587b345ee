"""Template-free extraction from positioned words, and the value parsers beneath it."""

from datetime import date
from decimal import Decimal

import pytest

from extraction.fields import extract_fields
from extraction.labels import match_label
from extraction.layout import Word, group_lines
from extraction.parsing import Conventions, find_iban, is_iban, parse_amount, parse_date, vat_ids_in
from tests.factories import page

EN = Conventions()
DE = Conventions(decimal_comma=True)
US = Conventions(month_first=True)


@pytest.mark.parametrize(
    ("text", "conventions", "expected"),
    [
        ("1,234.56", EN, "1234.56"),
        ("1.234,56", DE, "1234.56"),
        ("1.234,56 €", EN, "1234.56"),  # both marks present: the last one is decimal
        ("EUR 1,234.56", DE, "1234.56"),
        ("€1,234,567.00", EN, "1234567.00"),
        ("12,50", DE, "12.50"),
        ("-25.00", EN, "-25.00"),
        ("(25.00)", EN, "-25.00"),
        ("250", EN, "250"),
        ("1 234,56", DE, "1234.56"),
    ],
)
def test_amounts_in_both_decimal_conventions(text, conventions, expected):
    assert parse_amount(text, conventions) == Decimal(expected)


@pytest.mark.parametrize("text", ["19%", "12.03.2026", "A4,", "INV-42", "1.2.3", ""])
def test_non_amounts_are_rejected(text):
    assert parse_amount(text, EN) is None


@pytest.mark.parametrize(
    ("text", "conventions", "expected"),
    [
        ("2026-03-12", EN, date(2026, 3, 12)),
        ("12.03.2026", US, date(2026, 3, 12)),  # dots are day first everywhere
        ("12/03/2026", EN, date(2026, 3, 12)),
        ("03/12/2026", US, date(2026, 3, 12)),
        ("03/25/2026", EN, date(2026, 3, 25)),  # unambiguous even for a day-first document
        ("12 March 2026", EN, date(2026, 3, 12)),
        ("March 12, 2026", EN, date(2026, 3, 12)),
        ("Mar 12, 2026", EN, date(2026, 3, 12)),
        ("12. März 2026", DE, date(2026, 3, 12)),
        ("4.November 2025", DE, date(2025, 11, 4)),  # as OCR reads "4. November" at times
        ("12 mars 2026", EN, date(2026, 3, 12)),
        ("1er février 2026", EN, None),
        ("31/02/2026", EN, None),
    ],
)
def test_dates_in_common_formats(text, conventions, expected):
    assert parse_date(text, conventions) == expected


def test_conventions_are_inferred_from_the_document():
    assert Conventions.of("Netto 1.234,56 € MwSt 234,56 €") == Conventions(decimal_comma=True)
    assert Conventions.of("Total $1,234.56 due 03/04/2026").month_first
    assert not Conventions.of("Total $1,234.56 due 25/04/2026, issued 03/04/2026").month_first


def test_iban_needs_a_valid_checksum():
    assert is_iban("DE89370400440532013000")
    assert not is_iban("DE89370400440532013001")
    tokens = ["IBAN:", "DE89", "3704", "0044", "0532", "0130", "00", "BIC:", "COBADEFFXXX"]
    assert find_iban(tokens) == ("DE89370400440532013000", 1, 7)


def test_vat_ids_by_pattern():
    assert vat_ids_in("USt-IdNr.: DE123456789") == ["DE123456789"]
    assert vat_ids_in("VAT ID FR 40303265045, ATU12345678") == ["FR40303265045", "ATU12345678"]
    assert vat_ids_in("IBAN DE89 3704 0044 0532 0130 00, RECHNUNGSDATUM") == []


@pytest.mark.parametrize(
    ("text", "field", "rest"),
    [
        ("Invoice No: INV-1", "invoice_number", "INV-1"),
        ("Facture n° F-12", "invoice_number", "F-12"),
        ("Due date", "due_date", ""),
        ("Total HT", "net_amount", ""),
        ("Total TTC", "total_amount", ""),
        ("zzgl. MwSt. 19 %", "tax_amount", ""),
        ("Tax (7%)", "tax_amount", ""),
        ("Échéance :", "due_date", ""),
    ],
)
def test_longest_label_wins(text, field, rest):
    found = match_label(text)
    assert (found.field, found.rest) == (field, rest)


@pytest.mark.parametrize("text", ["Totals", "Pos.", "Lieferdatum", "Description"])
def test_words_that_only_look_like_labels(text):
    assert match_label(text) is None


def test_french_invoice_with_labels_left_and_comma_decimals():
    words = page(
        (40, (50, "Fournitures Dupont SARL")),
        (70, (50, "N° TVA : FR40303265045"), (350, "Facture n°"), (450, "F2026-118")),
        (85, (350, "Date de facture"), (450, "05/01/2026")),
        (100, (350, "Échéance"), (450, "04/02/2026")),
        (115, (50, "Client :"), (350, "Bon de commande"), (450, "PO-77")),
        (130, (50, "Société Acheteuse SA"), (350, "N° TVA client FR11999999999")),
        (200, (50, "DUP-9"), (120, "Classeurs A4"), (330, "250"), (400, "3,10"), (480, "775,00")),
        (240, (350, "Total HT"), (480, "775,00")),
        (255, (350, "TVA 20 %"), (480, "155,00")),
        (270, (350, "Total TTC"), (480, "930,00 EUR")),
        (300, (50, "IBAN FR14 2004 1010 0505 0001 3M02 606")),
    )

    result = extract_fields(words)

    assert result.value("vendor_name") == "Fournitures Dupont SARL"
    assert result.value("vendor_vat_id") == "FR40303265045"
    assert result.value("vendor_iban") == "FR1420041010050500013M02606"
    assert result.value("invoice_number") == "F2026-118"
    assert result.value("invoice_date") == date(2026, 1, 5)
    assert result.value("due_date") == date(2026, 2, 4)
    assert result.value("po_number") == "PO-77"
    assert result.value("currency") == "EUR"
    assert [result.value(n) for n in ("net_amount", "tax_amount", "total_amount")] == [
        Decimal("775.00"), Decimal("155.00"), Decimal("930.00")
    ]  # fmt: skip
    assert result.fields["total_amount"].confidence == 0.95
    line = result.lines[0]
    assert (line.item_code, line.description, line.quantity) == ("DUP-9", "Classeurs A4", 250)
    assert (line.unit_price, line.amount) == (Decimal("3.10"), Decimal("775.00"))


def test_values_beneath_their_labels():
    words = page(
        (40, (50, "Northwind Traders Ltd")),
        (80, (50, "Invoice Number"), (200, "Invoice Date"), (350, "PO Number")),
        (95, (50, "NT-555"), (200, "12 March 2026"), (350, "4500009")),
    )

    result = extract_fields(words)

    assert result.value("invoice_number") == "NT-555"
    assert result.value("invoice_date") == date(2026, 3, 12)
    assert result.value("po_number") == "4500009"
    assert result.fields["invoice_number"].confidence == 0.85
    assert result.fields["invoice_number"].provenance.bbox[1] == 95


def test_amounts_that_do_not_add_up_get_lower_confidence():
    words = page(
        (40, (50, "Vendor GmbH")),
        (100, (300, "Net amount"), (450, "100.00")),
        (115, (300, "VAT"), (450, "19.00")),
        (130, (300, "Total"), (450, "120.00")),
    )

    result = extract_fields(words)

    assert result.value("total_amount") == Decimal("120.00")
    assert {result.fields[n].confidence for n in ("net_amount", "tax_amount", "total_amount")} == {
        0.6
    }


def test_arithmetic_picks_the_right_candidate():
    words = page(
        (40, (50, "Vendor GmbH")),
        (60, (50, "Net 30 days")),
        (100, (300, "Subtotal"), (450, "100.00")),
        (115, (300, "VAT 19%"), (450, "19.00")),
        (130, (300, "Total"), (450, "119.00")),
    )

    result = extract_fields(words)

    assert result.value("net_amount") == Decimal("100.00")
    assert result.fields["net_amount"].confidence == 0.95


def test_invoice_date_without_label_is_a_guess():
    words = page((40, (50, "Vendor GmbH")), (60, (400, "Berlin, 12.03.2026")))

    result = extract_fields(words)

    assert result.value("invoice_date") == date(2026, 3, 12)
    assert result.fields["invoice_date"].confidence == 0.4


def test_buyer_vat_id_is_not_taken_for_the_vendor():
    words = page(
        (40, (50, "Bill to:")),
        (55, (50, "Buyer Ltd")),
        (70, (50, "VAT GB123456789")),
        (120, (50, "Seller GmbH, VAT ID DE123456789")),
    )

    assert extract_fields(words).value("vendor_vat_id") == "DE123456789"


def test_vendor_is_the_most_prominent_name_not_the_title():
    words = page((40, (50, "INVOICE")), size=24) + page(
        (80, (50, "Small Print Ltd")), (95, (50, "1 High Street"))
    )
    words += page((60, (50, "Big Vendor BV")), size=16)

    assert extract_fields(words).value("vendor_name") == "Big Vendor BV"


def test_a_word_under_another_starts_a_line_beside_a_tall_heading():
    # "Facture" in 28pt at the left; the vendor's name and street to its right, both
    # inside the heading's height: two lines, not "Vandenberghe Tools Rue Neuve SRL 168".
    words = [
        Word("Facture", 1, 40, 40, 150, 80),
        Word("Vandenberghe", 1, 400, 45, 470, 57),
        Word("Tools", 1, 474, 45, 500, 57),
        Word("SRL", 1, 504, 45, 524, 57),
        Word("Rue", 1, 440, 62, 460, 72),
        Word("Neuve", 1, 463, 62, 495, 72),
        Word("168", 1, 499, 62, 520, 72),
    ]

    lines = [line.text for line in group_lines(words)]

    assert "Vandenberghe Tools SRL" in lines
    assert not any("Vandenberghe" in line and "Rue" in line for line in lines)
