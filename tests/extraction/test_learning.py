"""Learning from corrections: a vendor's odd label is learned from one clerk correction."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from fpdf import FPDF

from approvals import decisions
from audit.models import AuditEvent
from core import pipeline
from core.coding import code_lines
from core.models import Document, Status
from extraction.corrections import correct_fields
from extraction.intake import receive
from extraction.layout import Word
from extraction.learning import learn_hint
from extraction.models import VendorProfile
from extraction.ranker import using
from tests.factories import make_vendor


def kestrel_invoice(
    number: str, label: str = "Beleg-Kennung", below: bool = False, day: str = "14.10.2026"
) -> bytes:
    """A vendor layout whose invoice number hides behind a label no generic list knows."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(15, 20, "Kestrel Tooling GmbH")
    pdf.set_font("Helvetica", "", 9)
    for row, text in enumerate(
        ["Werkstraße 5, 70173 Stuttgart", "USt-IdNr. DE287654321", "IBAN DE75512108001245126199"]
    ):
        pdf.text(15, 27 + row * 5, text)
    pdf.set_font("Helvetica", "", 10)
    pdf.text(120, 50, label)
    pdf.text(120, 55, number) if below else pdf.text(160, 50, number)
    pdf.text(120, 62, "Datum")
    pdf.text(160, 62, day)
    pdf.text(120, 68, "Kunden-Nr.")
    pdf.text(160, 68, "K-7781")
    pdf.text(15, 90, "Fräser HSS 10 mm")
    for x, text in ((120, "4"), (140, "37,50"), (170, "150,00")):
        pdf.text(x, 90, text)
    for y, label_text, amount in (
        (110, "Nettobetrag", "150,00"),
        (116, "MwSt 19 %", "28,50"),
        (122, "Gesamtbetrag EUR", "178,50"),
    ):
        pdf.text(120, y, label_text)
        pdf.text(170, y, amount)
    return bytes(pdf.output())


@pytest.fixture(autouse=True)
def _rules_alone():
    """The vendor's learned hints are tried on the rules' reading: the field model reads
    the Kestrel layout's "Beleg-Kennung" number already (it learnt such labels from real
    invoices), and these tests are about what a correction teaches where nothing did."""
    with using(None):
        yield


def _ingest(data: bytes, name: str):
    received = receive(data, name=name, channel=Document.Channel.UPLOAD, actor="system:test")
    return pipeline.advance(received.invoice.pk)


def _code(invoice, clerk):
    """Code the lines of the non-PO invoice (core.coding), as a clerk does in review."""
    coding = {"gl_account": "4400", "cost_center": "PROD", "tax_code": "V19"}
    code_lines(invoice, clerk, {line.pk: coding for line in invoice.lines.all()})


@pytest.fixture
def kestrel(db):
    return make_vendor(
        name="Kestrel Tooling GmbH",
        vat_id="DE287654321",
        iban="DE75512108001245126199",
        external_id="V-2001",
    )


@pytest.mark.django_db
def test_one_correction_teaches_the_vendors_layout(kestrel, clerk):
    first = _ingest(kestrel_invoice("DK-2026-0042"), "k1.pdf")
    assert first.status == Status.NEEDS_REVIEW
    assert first.invoice_number == ""  # the generic labels do not know "Beleg-Kennung"
    assert "MISSING_FIELD" in first.open_exceptions().values_list("code", flat=True)

    changed = correct_fields(first, clerk, {"invoice_number": "DK-2026-0042"})

    assert changed == ["invoice_number"]
    hint = VendorProfile.objects.get(vendor=kestrel).hints["invoice_number"]
    assert hint == {
        "label": "beleg-kennung",
        "where": "right",
        "shape": "AA-9999-9999",
        "learned_from": first.pk,
    }
    event = AuditEvent.objects.get(invoice_id=first.pk, action="invoice.fields_corrected")
    assert event.actor == "clara"
    assert event.payload["fields"] == {"invoice_number": {"from": "", "to": "DK-2026-0042"}}
    assert event.payload["learned"] == ["invoice_number"]

    _code(first, clerk)  # an invoice without a PO is booked as the clerk codes it
    decisions.send_back_to_matching(first, clerk, "corrected")
    first = pipeline.advance(first.pk)
    assert first.status == Status.PENDING_APPROVAL  # non-PO invoice: an approver decides
    assert not first.open_exceptions().exists()

    # A month later: the same amount within a week would be a possible duplicate.
    second = _ingest(kestrel_invoice("DK-2026-0077", day="14.11.2026"), "k2.pdf")

    assert second.invoice_number == "DK-2026-0077"
    assert second.provenance["invoice_number"]["method"] == "learned"
    assert second.confidence["invoice_number"] == 0.9
    # Read right: only its coding (no PO) waits for a clerk.
    assert list(second.open_exceptions().values_list("code", flat=True)) == ["NOT_CODED"]
    extracted = AuditEvent.objects.get(invoice_id=second.pk, action="invoice.extracted")
    assert extracted.payload["inputs"]["learned_fields"] == ["invoice_number"]


@pytest.mark.django_db
def test_without_a_profile_the_same_layout_stays_wrong(kestrel):
    invoice = _ingest(kestrel_invoice("DK-2026-0077"), "k2.pdf")
    assert invoice.invoice_number == ""


def test_a_label_above_the_value_is_learned_as_below():
    from extraction.readers.pdf_text import pdf_words

    words = pdf_words(kestrel_invoice("DK-2026-0042", label="Belegschlüssel", below=True))
    hint = learn_hint("invoice_number", "DK-2026-0042", words)
    assert hint == {"label": "belegschlüssel", "where": "below", "shape": "AA-9999-9999"}


def test_a_value_not_on_the_page_teaches_nothing():
    words = [Word("Total", 1, 10, 10, 30, 20), Word("12.00", 1, 40, 10, 60, 20)]
    assert learn_hint("invoice_number", "NOT-THERE-1", words) is None
    assert learn_hint("vendor_name", "Kestrel", words) is None  # identity, not layout


@pytest.mark.django_db
def test_corrections_are_only_for_invoices_in_review(kestrel, clerk):
    invoice = _ingest(kestrel_invoice("DK-2026-0042"), "k1.pdf")
    invoice.transition(Status.REJECTED, actor="system:test", reason="setup")
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="in review"):
        correct_fields(invoice, clerk, {"invoice_number": "X-1"})


@pytest.mark.django_db
def test_clerk_corrects_fields_on_the_screen_and_the_invoice_is_matched_again(
    client, kestrel, clerk, django_capture_on_commit_callbacks, monkeypatch
):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    invoice = _ingest(kestrel_invoice("DK-2026-0042"), "k1.pdf")
    _code(invoice, clerk)
    client.force_login(clerk)
    url = reverse("invoice_fields", args=[invoice.pk])
    form_page = client.get(url)
    assert form_page.status_code == 200
    data = {name: (value or "") for name, value in form_page.context["form"].initial.items()}
    data["invoice_number"] = "DK-2026-0042"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.invoice_number == "DK-2026-0042"
    assert invoice.status == Status.PENDING_APPROVAL
    assert invoice.provenance["invoice_number"]["method"] == "clerk"
    bad = client.post(url, {**data, "invoice_date": "2026-02-31"})
    assert bad.status_code == 200  # shown again with the reason, nothing saved
    assert "Enter a valid date." in bad.content.decode()
