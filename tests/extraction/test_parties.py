"""The company's own identity is never the vendor's: names, VAT ids and IBANs skipped, the
buyer's block found by the company's own name, the admin's rows merged and cached."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from core.demo_pdf import pdf_invoice
from core.models import OwnIdentity as OwnIdentityRow
from extraction import parties
from extraction.fields import extract_fields
from extraction.parties import OwnIdentity, PrintedIdentifier, own_identity, printed_identifiers
from tests.factories import demo_invoice, page

NORTHWIND = OwnIdentity(
    names=("Northwind Manufacturing Ltd",),
    vat_ids=("DE111111111",),
    ibans=("DE02120300000000202051",),
    addresses=("Industriestr. 5, 80331 München",),
)


# No "Bill to": the buyer's name, address and VAT id in the address window, set larger
# than the seller's letterhead; the seller's VAT id and IBAN in the footer. The buyer's
# IBAN is printed first, for the direct debit.
WINDOW_INVOICE = [
    *page((60, (40, "Northwind Manufacturing Ltd")), size=14),
    *page(
        (80, (40, "Industriestr. 5")),
        (92, (40, "80331 München")),
        (104, (40, "VAT DE111111111")),
        (30, (380, "Acme Office Supplies")),
        (150, (40, "Invoice No: INV-7"), (300, "Date: 12.03.2026")),
        (
            600,
            (40, "We debit your account DE02 1203 0000 0000 2020 51"),
            (330, "on 20.03.2026"),
        ),
        (700, (40, "Acme Office Supplies · Hauptstr. 1 · 10115 Berlin")),
        (712, (40, "USt-IdNr. DE123456789")),
        (724, (40, "IBAN DE89 3704 0044 0532 0130 00")),
    ),
]


@pytest.mark.parametrize(
    ("text", "own"),
    [
        ("Northwind Manufacturing Ltd", True),
        ("NORTHWIND MANUFACTURING LIMITED", True),  # legal forms say nothing
        ("Northwind Manufacturlng Ltd.", True),  # an OCR slip
        ("Northwind Manufacturing Ltd, Purchasing", True),  # contains the name
        ("Manufacturing", False),  # a word of the name is not the name
        ("Acme Office Supplies GmbH", False),
        ("Thank you for your order, dear Northwind Manufacturing team", False),
        ("Ltd", False),
    ],
)
def test_own_names_are_recognised_without_legal_forms(text, own):
    assert NORTHWIND.is_own_name(text) is own


def test_a_one_word_name_is_only_the_whole_text():
    acme = OwnIdentity(names=("Acme AG",))
    assert acme.is_own_name("ACME")
    assert not acme.is_own_name("Acme Office Supplies")


def test_own_identifiers_compare_compact():
    assert NORTHWIND.is_own_vat_id("DE 111 111 111")
    assert NORTHWIND.is_own_iban("de02 1203 0000 0000 2020 51")
    assert not NORTHWIND.is_own_vat_id("DE123456789")
    assert not NORTHWIND.is_own_iban("")
    assert NORTHWIND.is_own_address("Industriestr. 5")
    assert NORTHWIND.is_own_address("80331 Munchen")
    assert not NORTHWIND.is_own_address("Hauptstr. 1")


def test_the_settings_are_the_own_identity(settings):
    settings.COMPANY_NAME = "Northwind Manufacturing Ltd"
    settings.COMPANY_VAT_IDS = ["DE111111111"]
    settings.COMPANY_IBANS = ["DE02120300000000202051"]
    settings.COMPANY_ADDRESSES = ["Industriestr. 5, 80331 München"]

    assert own_identity() == NORTHWIND


def test_without_the_own_identity_the_buyer_is_taken_for_the_vendor():
    result = extract_fields(WINDOW_INVOICE)

    assert result.value("vendor_name") == "Northwind Manufacturing Ltd"
    assert result.value("vendor_vat_id") == "DE111111111"
    assert result.value("vendor_iban") == "DE02120300000000202051"


def test_the_own_identity_is_never_the_vendor(settings):
    settings.COMPANY_NAME = "Northwind Manufacturing"
    settings.COMPANY_VAT_IDS = ["DE 111 111 111"]
    settings.COMPANY_IBANS = ["DE02120300000000202051"]

    result = extract_fields(WINDOW_INVOICE)

    assert result.value("vendor_name") == "Acme Office Supplies"
    assert result.value("vendor_vat_id") == "DE123456789"
    assert result.value("vendor_iban") == "DE89370400440532013000"


def test_the_own_name_marks_the_buyer_block_under_it(settings):
    # Only the name is known: the VAT id under it, in the address window, is the buyer's.
    settings.COMPANY_NAME = "Northwind Manufacturing Ltd"

    result = extract_fields(WINDOW_INVOICE)

    assert result.value("vendor_vat_id") == "DE123456789"


def test_an_own_iban_beside_the_vendors_on_one_line_is_passed_over(settings):
    settings.COMPANY_IBANS = ["DE02120300000000202051"]
    words = page(
        (30, (40, "Acme Office Supplies")),
        (700, (40, "Mandate DE02 1203 0000 0000 2020 51 pay to DE89 3704 0044 0532 0130 00")),
    )

    assert extract_fields(words).value("vendor_iban") == "DE89370400440532013000"


def test_every_printed_identifier_is_found():
    found = printed_identifiers(WINDOW_INVOICE)

    assert [(p.kind, p.value) for p in found] == [
        ("vat_id", "DE111111111"),
        ("iban", "DE02120300000000202051"),
        ("vat_id", "DE123456789"),
        ("iban", "DE89370400440532013000"),
    ]
    assert found[0] == PrintedIdentifier("vat_id", "DE111111111", 1, (40.0, 104.0, 112.8, 114.0))


@pytest.mark.django_db
def test_the_admins_rows_join_the_settings_and_are_kept_a_minute(settings):
    settings.COMPANY_NAME = "Northwind Manufacturing Ltd"
    OwnIdentityRow.objects.create(kind="vat_id", value="de 111.111.111", note="Northwind")
    OwnIdentityRow.objects.create(kind="name", value="Northwind Logistics GmbH")

    own = own_identity()

    assert OwnIdentityRow.objects.get(kind="vat_id").value == "DE111111111"
    assert own.names == ("Northwind Manufacturing Ltd", "Northwind Logistics GmbH")
    assert own.vat_ids == ("DE111111111",)
    OwnIdentityRow.objects.create(kind="iban", value="DE02 1203 0000 0000 2020 51")
    assert own_identity().ibans == ()  # read again only after a minute
    parties.clear_cache()
    assert own_identity().ibans == ("DE02120300000000202051",)


@pytest.mark.django_db
def test_without_the_table_the_settings_alone_count(settings):
    settings.COMPANY_VAT_IDS = ["DE111111111"]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE core_ownidentity")

    assert own_identity().vat_ids == ("DE111111111",)
    # The failed read did not spoil the test's transaction (PostgreSQL would refuse more).
    assert OwnIdentityRow.history.count() == 0


def test_extract_works_before_migrate_with_the_own_identity(tmp_path):
    invoice = tmp_path / "acme.pdf"
    invoice.write_bytes(pdf_invoice(demo_invoice(), "modern"))
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "LEDGERLINE_VAR_DIR": str(tmp_path / "var"),  # a database nobody migrated
        "COMPANY_VAT_IDS": "DE123456789",  # as if Acme were the buyer
    }
    env.pop("DATABASE_URL", None)

    done = subprocess.run(
        [sys.executable, "manage.py", "extract", str(invoice), "--json"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )

    fields = json.loads(done.stdout)["fields"]
    assert fields["invoice_number"] == "INV-2026-0001"
    assert fields["vendor_vat_id"] is None
