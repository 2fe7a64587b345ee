"""A VAT id or IBAN printed anywhere on an invoice names the vendor in the master, with the
master's spelling; the company's own identifiers are never looked up."""

import pytest

from audit.models import AuditEvent
from core.demo_pdf import pdf_invoice
from core.models import Document, Invoice, Status
from extraction.fields import extract_fields
from extraction.intake import receive
from extraction.services import extract_invoice, record_extraction
from tests.extraction.test_parties import WINDOW_INVOICE, page
from tests.factories import demo_invoice, make_vendor

pytestmark = pytest.mark.django_db


def _recorded(words, name="scan.pdf") -> Invoice:
    invoice = receive(
        name.encode(), name=name, channel=Document.Channel.UPLOAD, actor="test"
    ).invoice
    record_extraction(invoice, extract_fields(words))
    invoice.refresh_from_db()
    assert invoice.status == Status.EXTRACTED
    return invoice


def _recognised_by(invoice: Invoice) -> str:
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.extracted")
    return event.payload["inputs"]["vendor_recognised_by"]


def test_a_known_vat_id_gives_the_masters_name_whatever_is_printed():
    acme = make_vendor()  # "Acme Office Supplies GmbH", DE123456789
    data = pdf_invoice(demo_invoice(acme, vendor_name="ACME Büro & Office"), "modern")
    invoice = receive(data, name="acme.pdf", channel=Document.Channel.UPLOAD, actor="t").invoice

    extract_invoice(invoice)
    invoice.refresh_from_db()

    assert invoice.vendor == acme
    assert invoice.vendor_name == "Acme Office Supplies GmbH"
    assert invoice.confidence["vendor_name"] == 1.0
    assert invoice.provenance["vendor_name"] == {
        "page": 1,
        "bbox": invoice.provenance["vendor_vat_id"]["bbox"],
        "method": "master",
    }
    assert invoice.confidence["vendor_vat_id"] == 1.0
    assert _recognised_by(invoice) == "vat_id"


def test_any_printed_vat_id_counts_not_only_the_one_the_extractor_chose():
    acme = make_vendor(iban="")
    words = page(
        (30, (40, "Acme Bürobedarf")),
        (60, (40, "Fiscal representative VAT DE999999999")),
        (150, (40, "Invoice No: INV-7"), (300, "Date: 12.03.2026")),
        (700, (40, "USt-IdNr. DE123456789")),
    )
    assert extract_fields(words).value("vendor_vat_id") == "DE999999999"

    invoice = _recorded(words)

    assert (invoice.vendor, invoice.vendor_name) == (acme, "Acme Office Supplies GmbH")
    assert invoice.vendor_vat_id == "DE123456789"
    assert invoice.provenance["vendor_vat_id"]["method"] == "master"
    assert invoice.provenance["vendor_vat_id"]["bbox"][1] == 700
    assert invoice.provenance["vendor_name"] == invoice.provenance["vendor_vat_id"]
    assert _recognised_by(invoice) == "vat_id"


def test_a_known_iban_names_the_vendor_when_no_vat_id_does():
    acme = make_vendor(vat_id="")
    words = page(
        (30, (40, "Acme Bürobedarf")),
        (150, (40, "Invoice No: INV-8"), (300, "Date: 12.03.2026")),
        (700, (40, "IBAN DE89 3704 0044 0532 0130 00")),
    )

    invoice = _recorded(words)

    assert (invoice.vendor, invoice.vendor_name) == (acme, "Acme Office Supplies GmbH")
    assert invoice.vendor_iban == "DE89370400440532013000"
    assert _recognised_by(invoice) == "iban"


def test_the_buyers_own_identity_in_the_address_window_is_not_the_vendor(settings):
    settings.COMPANY_NAME = "Northwind Manufacturing Ltd"
    settings.COMPANY_VAT_IDS = ["DE111111111"]
    settings.COMPANY_IBANS = ["DE02120300000000202051"]
    acme = make_vendor()
    # The company buys from itself too (intercompany): its own record in the master.
    make_vendor(
        name="Northwind Manufacturing Ltd",
        vat_id="DE111111111",
        iban="DE02120300000000202051",
        external_id="V-0001",
    )

    invoice = _recorded(WINDOW_INVOICE)

    assert invoice.vendor == acme
    assert invoice.vendor_name == "Acme Office Supplies GmbH"
    assert invoice.vendor_vat_id == "DE123456789"
    assert invoice.vendor_iban == "DE89370400440532013000"
    assert _recognised_by(invoice) == "vat_id"


def test_identifiers_of_two_different_vendors_name_neither():
    make_vendor()  # DE123456789, DE89370400440532013000
    make_vendor(
        name="Kestrel Logistics",
        vat_id="DE222222222",
        iban="DE02120300000000202051",
        external_id="V-2002",
    )
    words = page(
        (30, (40, "Someone Else Trading")),
        (150, (40, "Invoice No: INV-9"), (300, "Date: 12.03.2026")),
        (700, (40, "VAT DE123456789")),
        (712, (40, "IBAN DE02 1203 0000 0000 2020 51")),
    )

    invoice = _recorded(words)

    assert invoice.vendor is None
    assert invoice.vendor_name == "Someone Else Trading"
    assert _recognised_by(invoice) == ""


def test_a_different_iban_read_beside_a_known_vat_id_stays_for_the_bank_check():
    acme = make_vendor()
    words = page(
        (30, (40, "Acme Office Supplies")),
        (150, (40, "Invoice No: INV-10"), (300, "Date: 12.03.2026")),
        (700, (40, "VAT DE123456789")),
        (712, (40, "New account: IBAN DE02 1203 0000 0000 2020 51")),
        (724, (40, "Old account: DE89 3704 0044 0532 0130 00")),
    )

    invoice = _recorded(words)

    assert invoice.vendor == acme
    assert invoice.vendor_iban == "DE02120300000000202051"  # not the master's: a person looks
