"""Coding invoices without a purchase order: NOT_CODED until each line has a GL account
and a cost center, suggestions from the vendor's earlier coded invoices, the coding
audited and kept for learning, and the invoice matched again and on its way."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django_q.conf import Conf

from audit.models import AuditEvent
from core.coding import code_lines, coding_examples, suggestions
from core.demo_documents import DemoLine, ubl_xml
from core.models import Document, Invoice, Status
from extraction.intake import receive
from extraction.services import extract_invoice
from matching.services import match_invoice
from tests.factories import demo_invoice, make_vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def brightline():
    return make_vendor(
        name="Brightline Analytics Ltd",
        vat_id="GB123456789",
        iban="GB29NWBK60161331926819",
        external_id="V-1004",
    )


@pytest.fixture(autouse=True)
def _sync_pipeline(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)  # matching again runs where it is queued


def non_po_invoice(vendor, number: str, *lines) -> Invoice:
    """An invoice without a PO through intake, extraction and matching."""
    lines = lines or (
        DemoLine("SUP-1", "Support hours", Decimal(6), Decimal("95.00"), Decimal(20)),
    )
    document = demo_invoice(
        vendor, invoice_number=number, po_number="", lines=list(lines),
        invoice_date=date(2026, 10, 1 + Invoice.objects.count()),
    )  # fmt: skip
    received = receive(ubl_xml(document), name=f"{number}.xml", channel=Document.Channel.UPLOAD,
                       actor="t")  # fmt: skip
    extract_invoice(received.invoice)
    match_invoice(Invoice.objects.get(pk=received.invoice.pk))
    return Invoice.objects.get(pk=received.invoice.pk)


def coding_data(invoice: Invoice, *codings) -> dict:
    """The coding form as posted: (gl_account, cost_center, tax_code) per line."""
    lines = list(invoice.lines.all())
    data = {
        "form-TOTAL_FORMS": str(len(lines)),
        "form-INITIAL_FORMS": str(len(lines)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for index, (line, (gl, cc, tax)) in enumerate(zip(lines, codings, strict=True)):
        data |= {
            f"form-{index}-line": str(line.pk),
            f"form-{index}-gl_account": gl,
            f"form-{index}-cost_center": cc,
            f"form-{index}-tax_code": tax,
        }
    return data


def test_an_invoice_without_a_po_waits_for_coding(brightline, clerk, client):
    invoice = non_po_invoice(brightline, "BL-1")

    assert invoice.status == Status.NEEDS_REVIEW
    (finding,) = invoice.open_exceptions()
    assert finding.code == "NOT_CODED"
    assert finding.message == (
        "No purchase order: 1 of 1 line(s) need a GL account and a cost center (line 1)."
    )
    client.force_login(clerk)
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "each line needs a GL account and a cost center" in page
    assert 'id="code-lines"' in page


def test_coding_a_non_po_invoice_clears_not_coded_and_it_goes_on(
    brightline, clerk, client, django_capture_on_commit_callbacks
):
    invoice = non_po_invoice(brightline, "BL-1")
    client.force_login(clerk)
    url = reverse("invoice_coding", args=[invoice.pk])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, coding_data(invoice, ("6300", "CC-100", "V20")))

    assert response.status_code == 302
    line = invoice.lines.get()
    assert (line.gl_account, line.cost_center, line.tax_code) == ("6300", "CC-100", "V20")
    invoice.refresh_from_db()
    # Matched again: NOT_CODED superseded, none raised again; a non-PO invoice goes to an
    # approver, with its cost center for the approval policy.
    assert invoice.status == Status.PENDING_APPROVAL
    assert not invoice.open_exceptions().exists()
    resolved = invoice.exceptions.get(code="NOT_CODED")
    assert resolved.resolved_by == clerk
    moved = AuditEvent.objects.filter(invoice_id=invoice.pk, action="invoice.extracted").last()
    assert moved.payload["reason"] == "Coded line 1; matching again"
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.lines_coded")
    assert event.actor == "clara"
    (item,) = event.payload["lines"]
    assert item["fields"] == {
        "gl_account": {"from": "", "to": "6300"},
        "cost_center": {"from": "", "to": "CC-100"},
        "tax_code": {"from": "", "to": "V20"},
    }
    assert item["suggested"] is None
    assert item["suggestion_taken"] is False
    # Once approved, the ERP books the line on what the clerk coded.
    invoice.transition(Status.APPROVED, actor="arnold", reason="ok")
    (posted,) = invoice.postings.get().payload["lines"]
    assert (posted["gl_account"], posted["cost_center"], posted["tax_code"]) == (
        "6300",
        "CC-100",
        "V20",
    )


def test_suggestions_come_from_the_vendors_earlier_coded_invoices(brightline, clerk, client):
    earlier = non_po_invoice(
        brightline,
        "BL-1",
        DemoLine("SUP-1", "Support hours, October", Decimal(6), Decimal("95.00"), Decimal(20)),
        DemoLine("LIC-1", "Analytics licence, annual", Decimal(1), Decimal("1200.00"), Decimal(20)),
    )
    support, licence = earlier.lines.all()
    code_lines(
        earlier,
        clerk,
        {
            support.pk: {"gl_account": "6300", "cost_center": "CC-IT", "tax_code": "V20"},
            licence.pk: {"gl_account": "6810", "cost_center": "CC-IT", "tax_code": "V20"},
        },
    )
    other = make_vendor(name="Other Ltd", vat_id="GB999999973", iban="", external_id="V-9")
    Invoice.objects.filter(pk=earlier.pk).update(vendor=other)  # not Brightline's any more ...
    assert suggestions(non_po_invoice(brightline, "BL-0")) == {}  # ... so nothing to suggest
    Invoice.objects.filter(pk=earlier.pk).update(vendor=brightline)

    invoice = non_po_invoice(
        brightline,
        "BL-2",
        DemoLine("LIC-1", "Annual analytics licence", Decimal(1), Decimal("1200.00"), Decimal(20)),
        DemoLine("SUP-1", "support hours november", Decimal(4), Decimal("95.00"), Decimal(20)),
        DemoLine("TRV-1", "Travel costs", Decimal(1), Decimal("80.00"), Decimal(20)),
    )
    found = suggestions(invoice)
    licence_line, support_line, travel = invoice.lines.all()
    assert (found[licence_line.pk].gl_account, found[licence_line.pk].cost_center) == (
        "6810",
        "CC-IT",
    )
    assert found[licence_line.pk].source.startswith("like line 2 of invoice BL-1")
    assert found[support_line.pk].gl_account == "6300"
    assert found[support_line.pk].score >= 70
    # Nothing alike: the vendor's most frequent coding (both lines were booked on CC-IT;
    # the accounts tie, and the newest first wins).
    assert found[travel.pk].score == 0
    assert found[travel.pk].cost_center == "CC-IT"
    assert "usual coding" in found[travel.pk].source

    # On the screen they are filled in, for the clerk to confirm.
    client.force_login(clerk)
    page = client.get(reverse("invoice_coding", args=[invoice.pk]))
    initial = [form.initial for form in page.context["formset"].forms]
    assert [(i["gl_account"], i["cost_center"]) for i in initial[:2]] == [
        ("6810", "CC-IT"),
        ("6300", "CC-IT"),
    ]
    assert "like line 2 of invoice BL-1" in page.content.decode()


def test_coding_is_recorded_for_learning_with_the_suggestion_taken_or_not(brightline, clerk):
    earlier = non_po_invoice(brightline, "BL-1")
    code_lines(earlier, clerk, {earlier.lines.get().pk: {"gl_account": "6300",
                                                         "cost_center": "CC-IT",
                                                         "tax_code": "V20"}})  # fmt: skip
    invoice = non_po_invoice(
        brightline,
        "BL-2",
        DemoLine("SUP-1", "Support hours", Decimal(2), Decimal("95.00"), Decimal(20)),
        DemoLine("SUP-2", "Support hours, weekend", Decimal(1), Decimal("140.00"), Decimal(20)),
    )
    offered = suggestions(invoice)
    first, second = invoice.lines.all()

    code_lines(
        invoice,
        clerk,
        {
            first.pk: offered[first.pk].as_dict(),  # confirmed as suggested
            second.pk: {"gl_account": "6300", "cost_center": "CC-OPS", "tax_code": "V20"},
        },
        offered,
    )

    examples = coding_examples(vendor_id=brightline.pk)
    assert [(e["invoice_id"], e["suggestion_taken"]) for e in examples] == [
        (earlier.pk, False),
        (invoice.pk, True),
        (invoice.pk, False),
    ]
    assert examples[2]["coding"] == {"gl_account": "6300", "cost_center": "CC-OPS",
                                     "tax_code": "V20"}  # fmt: skip
    assert examples[2]["suggested"]["cost_center"] == "CC-IT"
    # The next invoice learns from what the clerk settled on.
    later = non_po_invoice(
        brightline,
        "BL-3",
        DemoLine("SUP-2", "Support hours, weekend", Decimal(1), Decimal("140.00"), Decimal(20)),
    )
    assert next(iter(suggestions(later).values())).cost_center == "CC-OPS"


@pytest.mark.parametrize(
    ("coding", "message"),
    [
        (("6300", "", ""), "Enter the cost center."),
        (("", "CC-100", ""), "Enter the GL account."),
        (("63 00", "CC-100", ""), "A GL account is letters and digits"),
    ],
)
def test_incomplete_or_malformed_coding_is_refused(brightline, clerk, client, coding, message):
    invoice = non_po_invoice(brightline, "BL-1")
    client.force_login(clerk)

    response = client.post(
        reverse("invoice_coding", args=[invoice.pk]), coding_data(invoice, coding)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert invoice.lines.get().gl_account == ""
    assert not AuditEvent.objects.filter(action="invoice.lines_coded").exists()


def test_only_clerks_code_and_only_in_review(brightline, clerk, approver, compliance, client):
    invoice = non_po_invoice(brightline, "BL-1")
    url = reverse("invoice_coding", args=[invoice.pk])
    data = coding_data(invoice, ("6300", "CC-100", ""))
    for user in (approver, compliance):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    client.force_login(clerk)
    invoice.transition(Status.REJECTED, actor="system:test", reason="setup")

    response = client.post(url, data, follow=True)

    assert "Lines can be coded while an invoice is in review" in response.content.decode()
    assert invoice.lines.get().gl_account == ""
