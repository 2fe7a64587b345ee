"""Invoices from issuers never seen: labels in more languages, bilingual labels, payment
terms, currencies by ISO code, non-EU tax ids, and totals found by structure alone."""

from datetime import date
from decimal import Decimal

import pytest

from extraction.fields import extract_fields
from extraction.labels import match_label
from extraction.parsing import Conventions, currencies_in, is_abn, parse_date, tax_ids_in
from tests.extraction.test_fields import DE, EN, page


@pytest.mark.parametrize(
    ("text", "field", "rest"),
    [
        ("Factuurnummer", "invoice_number", ""),
        ("Fattura n. 12/2026", "invoice_number", "12/2026"),
        ("Número de factura: F-7", "invoice_number", "F-7"),
        ("Bill number", "invoice_number", ""),
        ("Factuurdatum", "invoice_date", ""),
        ("Data fattura", "invoice_date", ""),
        ("Fecha de emisión", "invoice_date", ""),
        ("Bill date", "invoice_date", ""),
        ("Vervaldatum", "due_date", ""),
        ("Data scadenza", "due_date", ""),
        ("Fecha de vencimiento", "due_date", ""),
        ("Rif. ordine n.", "po_number", ""),
        ("Auftrags-Nr.:", "po_number", ""),
        ("Imponibile", "net_amount", ""),
        ("Base imponible", "net_amount", ""),
        ("Goods value", "net_amount", ""),
        ("Total charges (excluding VAT)", "net_amount", ""),
        ("Total ex GST", "net_amount", ""),
        ("BTW 21%", "tax_amount", ""),
        ("IVA 22%", "tax_amount", ""),
        ("GST 10%", "tax_amount", ""),
        ("Totale IVA", "tax_amount", ""),
        ("VAT @ 23%", "tax_amount", ""),
        ("Totale documento", "total_amount", ""),
        ("Netto a pagare", "total_amount", ""),
        ("Amount payable", "total_amount", ""),
        ("Total charges this period", "total_amount", ""),
        ("Totaal te betalen", "total_amount", ""),
        ("Importe total", "total_amount", ""),
    ],
)
def test_labels_in_more_languages(text, field, rest):
    found = match_label(text)
    assert (found.field, found.rest) == (field, rest)


@pytest.mark.parametrize(
    ("text", "field", "rest"),
    [
        ("Subtotaal / Subtotal", "net_amount", ""),
        ("Totaal / Total", "total_amount", ""),
        ("Factuurnummer / Invoice number: H93-1", "invoice_number", "H93-1"),
        ("BTW / VAT 21% over € 100,00", "tax_amount", "over € 100,00"),
        ("Rechnungsnummer / Invoice no.", "invoice_number", ""),
        # Only a half that follows words alone may be the label.
        ("Omschrijving / Description", None, None),
        ("Papier A4 / Total", None, None),
    ],
)
def test_bilingual_labels_are_read_half_by_half(text, field, rest):
    found = match_label(text)
    assert (found and (found.field, found.rest)) == (field and (field, rest))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1st March 2026", date(2026, 3, 1)),
        ("3rd of March, 2026", date(2026, 3, 3)),
        ("22nd Feb 2026", date(2026, 2, 22)),
        ("15 maggio 2026", date(2026, 5, 15)),
        ("12 de marzo de 2026", date(2026, 3, 12)),
        ("2 januari 2026", date(2026, 1, 2)),
        ("5 dicembre 2026", date(2026, 12, 5)),
    ],
)
def test_ordinal_and_more_month_names(text, expected):
    assert parse_date(text, EN) == expected


def test_due_date_from_payment_terms_in_days():
    words = page(
        (40, (50, "Vendor GmbH")),
        (60, (350, "Rechnungsdatum:"), (450, "05.08.2026")),
        (100, (300, "Summe netto"), (450, "7.003,32 €")),
        (140, (50, "Zahlungsziel: 30 Tage netto.")),
        (155, (50, "Bei Zahlung innerhalb von 7 Tagen gewähren wir 3 % Skonto.")),
    )

    result = extract_fields(words)

    assert result.value("due_date") == date(2026, 9, 4)
    assert result.fields["due_date"].confidence == 0.6


@pytest.mark.parametrize(
    ("terms", "expected"),
    [
        ("Terms: Net 30", date(2026, 3, 31)),
        ("Payment within 14 days", date(2026, 3, 15)),
        ("Pagamento: bonifico 60 gg d.f.f.m.", date(2026, 4, 30)),
        ("2% 10 days, net 45", date(2026, 4, 15)),
    ],
)
def test_payment_term_wordings(terms, expected):
    words = page((40, (50, "Invoice date: 01/03/2026")), (80, (50, terms)))

    assert extract_fields(words).value("due_date") == expected


def test_a_billing_period_is_not_payment_terms():
    words = page(
        (40, (50, "Bill date: 27 November 2025")),
        (80, (50, "Charges for the period 25 October 2025 to 24 November 2025 (31 days)")),
    )

    assert extract_fields(words).value("due_date") is None


def test_printed_iso_code_overrides_the_dollar_sign():
    words = page(
        (40, (50, "Harbour Supplies Pty Ltd")),
        (100, (300, "Subtotal"), (450, "$947.18")),
        (115, (300, "GST 10%"), (450, "$94.72")),
        (130, (300, "Total AUD"), (450, "$1,041.90")),
    )

    result = extract_fields(words)

    assert result.value("currency") == "AUD"
    assert result.value("total_amount") == Decimal("1041.90")
    assert result.fields["total_amount"].confidence == 0.95


def test_iso_codes_that_are_also_words_need_an_amount_beside_them():
    assert currencies_in("NZD", "Total NZD 120.00") == ["NZD"]
    assert currencies_in("ALL", "ALL PRICES IN EUR") == []
    assert currencies_in("SVC-01", "SVC-01 Workshop 7.5 $180.00") == []
    assert currencies_in("CAD", "Currency: CAD") == ["CAD"]


def test_a_vat_rate_column_is_not_the_tax_amount():
    words = page(
        (40, (50, "Vendor BV")),
        (80, (50, "Item"), (150, "Description"), (330, "Qty"), (380, "Price"), (430, "VAT %"),
         (480, "Amount")),
        (95, (50, "A-1"), (150, "Chair"), (330, "2"), (380, "50.00"), (430, "21"),
         (480, "100.00")),
        (130, (300, "Net"), (480, "100.00")),
        (145, (300, "Tax"), (480, "20.00")),
        (160, (300, "Total"), (480, "130.00")),
    )  # fmt: skip

    result = extract_fields(words)

    assert result.value("tax_amount") == Decimal("20.00")


def test_totals_without_known_labels_are_found_by_their_arithmetic():
    words = page(
        (40, (50, "Vendor BV")),
        (80, (50, "Chair"), (330, "2"), (380, "50.00"), (480, "100.00")),
        (95, (50, "Desk"), (330, "1"), (380, "20.00"), (480, "20.00")),
        (130, (300, "Warenkorb"), (480, "120.00")),
        (145, (300, "Abgabe 20"), (480, "24.00")),
        (160, (300, "Endsaldo"), (480, "144.00")),
    )

    result = extract_fields(words)

    assert [result.value(n) for n in ("net_amount", "tax_amount", "total_amount")] == [
        Decimal("120.00"), Decimal("24.00"), Decimal("144.00")
    ]  # fmt: skip
    assert result.fields["net_amount"].confidence == 0.95  # the lines add up to it


def test_charges_listed_without_a_table_are_the_lines():
    words = page(
        (40, (50, "Britannia Energy LLP")),
        (80, (50, "Electricity charges")),
        (95, (50, "Standing charge"), (200, "31 days @ 38.37p per day"), (480, "£11.89")),
        (110, (50, "Day units"), (200, "24,890 kWh @ 22.750p per kWh"), (480, "£5,662.48")),
        (125, (50, "Total charges (excluding VAT)"), (480, "£5,674.37")),
        (140, (50, "VAT at 20% on £5,674.37"), (480, "£1,134.87")),
        (155, (50, "Total charges this period"), (480, "£6,809.24")),
    )

    result = extract_fields(words)

    assert [line.amount for line in result.lines] == [Decimal("11.89"), Decimal("5662.48")]
    assert result.lines[0].description == "Standing charge 31 days @ 38.37p per day"
    assert result.value("total_amount") == Decimal("6809.24")
    assert result.value("currency") == "GBP"


def test_abn_is_the_vendors_tax_id_when_its_checksum_holds():
    assert is_abn("51824753556")
    assert not is_abn("51824753557")
    assert tax_ids_in("ABN 51 824 753 556") == ["51824753556"]
    assert tax_ids_in("GST No: 123-456-789") == ["123456789"]
    assert tax_ids_in("EIN 12-3456789") == []  # an income-tax id, not a VAT registration
    words = page(
        (40, (50, "TAX INVOICE"), (350, "Outback Freight Pty Ltd")),
        (55, (350, "ABN 51 824 753 556")),
        (80, (50, "Bill To")),
        (95, (50, "Buyer GmbH, USt-IdNr. DE123456789")),
    )

    assert extract_fields(words).value("vendor_vat_id") == "51824753556"


def test_bilingual_title_is_not_the_vendor_and_dated_number_gives_the_date():
    words = page(
        (40, (50, "Forniture Rossi S.r.l."), (350, "FACTUUR / INVOICE")),
        (60, (50, "Fattura n. 666/2026 del 15/05/2026")),
    )

    result = extract_fields(words)

    assert result.value("vendor_name") == "Forniture Rossi S.r.l."
    assert result.value("invoice_number") == "666/2026"
    assert result.value("invoice_date") == date(2026, 5, 15)
    assert result.fields["invoice_date"].confidence == 0.85


def test_dollars_with_a_non_us_code_are_not_month_first():
    assert not Conventions.of("Total AUD $1,041.90 issued 03/04/2026").month_first
    assert Conventions.of("Total $1,041.90 issued 03/04/2026").month_first
    assert DE.decimal_comma
