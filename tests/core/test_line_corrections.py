"""Clerks correct, add and remove invoice lines on the invoice screen: validated as the
header form is, audited line by line, recorded for learning, then matched again."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django_q.conf import Conf

from approvals.trust import track_record
from audit.models import AuditEvent
from core.demo_documents import ubl_xml
from core.models import Document, Invoice, Status
from extraction.intake import receive
from extraction.line_corrections import LineChanges, correct_lines, corrected_lines
from extraction.services import extract_invoice
from matching.services import match_invoice
from tests.factories import demo_invoice, make_purchase_order, make_vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_vendor()


@pytest.fixture(autouse=True)
def _sync_pipeline(monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", True)  # matching again runs where it is queued


def misread_invoice(vendor) -> Invoice:
    """The default invoice (10 x 25.00 of P-100 on PO 4500001), its line read as 1 x 25.00:
    in review, the lines not adding up to the net amount."""
    make_purchase_order(vendor)
    received = receive(
        ubl_xml(demo_invoice(vendor)), name="inv.xml", channel=Document.Channel.UPLOAD, actor="t"
    )
    invoice = received.invoice
    extract_invoice(invoice)
    invoice.lines.update(quantity=Decimal(1), amount=Decimal("25.00"))
    match_invoice(Invoice.objects.get(pk=invoice.pk))
    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    return invoice


def form_data(invoice: Invoice, **changes) -> dict:
    """The lines form as the screen posts it, one row per line and the empty new row;
    `changes` are "<index>-<field>" values."""
    lines = list(invoice.lines.all())
    data = {
        "form-TOTAL_FORMS": str(len(lines) + 1),
        "form-INITIAL_FORMS": str(len(lines)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate(lines):
        data |= {
            f"form-{index}-id": str(line.pk),
            f"form-{index}-item_code": line.item_code,
            f"form-{index}-description": line.description,
            f"form-{index}-quantity": "" if line.quantity is None else str(line.quantity),
            f"form-{index}-unit_price": "" if line.unit_price is None else str(line.unit_price),
            f"form-{index}-amount": "" if line.amount is None else str(line.amount),
            f"form-{index}-tax_category": line.tax_category,
            f"form-{index}-tax_rate": "" if line.tax_rate is None else str(line.tax_rate),
        }
    new = len(lines)
    for name in ("id", "item_code", "description", "quantity", "unit_price", "amount",
                 "tax_category", "tax_rate"):  # fmt: skip
        data[f"form-{new}-{name}"] = ""
    return data | {f"form-{key}": value for key, value in changes.items()}


def test_a_clerk_corrects_a_misread_line_and_the_invoice_is_matched_again(
    client, clerk, acme, django_capture_on_commit_callbacks
):
    invoice = misread_invoice(acme)
    before = set(invoice.open_exceptions().values_list("code", flat=True))
    assert before  # the lines did not add up / did not match the order
    client.force_login(clerk)
    url = reverse("invoice_lines", args=[invoice.pk])
    assert client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, form_data(invoice, **{"0-quantity": "10", "0-amount": ""}))

    assert response.status_code == 302
    line = invoice.lines.get()
    assert (line.quantity, line.amount) == (Decimal(10), Decimal("250.00"))  # amount computed
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.lines_corrected")
    assert event.actor == "clara"
    assert event.payload["lines"] == [
        {
            "position": 1,
            "action": "changed",
            "fields": {
                "quantity": {"from": "1.0000", "to": "10"},
                "amount": {"from": "25.00", "to": "250.00"},
            },
        }
    ]
    # Matched again, the way a header correction goes: the old findings are superseded,
    # and the invoice now matches its order and goes on to an approver (vendor: manual).
    moved = AuditEvent.objects.filter(invoice_id=invoice.pk, action="invoice.extracted").last()
    assert moved.payload["reason"] == "Corrected line 1 (quantity, amount); matching again"
    assert set(moved.payload["inputs"]["superseded_exceptions"]) == before
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    assert not invoice.open_exceptions().exists()


def test_lines_are_added_and_removed_with_an_audit_entry_each(client, clerk, acme):
    invoice = misread_invoice(acme)
    first = invoice.lines.get()
    client.force_login(clerk)
    data = form_data(
        invoice,
        **{
            "0-DELETE": "on",
            "1-item_code": "P-100",
            "1-description": "Printer paper A4, box",
            "1-quantity": "10",
            "1-unit_price": "25.00",
            "1-amount": "250.00",
            "1-tax_category": "S",
            "1-tax_rate": "19",
        },
    )

    response = client.post(reverse("invoice_lines", args=[invoice.pk]), data)

    assert response.status_code == 302
    (added,) = invoice.lines.all()
    assert added.pk != first.pk
    assert added.position == 2
    assert (added.tax_category, added.tax_rate) == ("S", Decimal(19))
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.lines_corrected")
    assert [(item["position"], item["action"]) for item in event.payload["lines"]] == [
        (1, "removed"),
        (2, "added"),
    ]
    assert event.payload["lines"][0]["fields"]["quantity"] == {"from": "1.0000", "to": None}
    assert event.payload["reason"] == "Corrected line 1 removed, line 2 added"


def test_quantity_times_price_that_does_not_give_the_amount_is_refused(client, clerk, acme):
    invoice = misread_invoice(acme)
    client.force_login(clerk)
    url = reverse("invoice_lines", args=[invoice.pk])

    response = client.post(url, form_data(invoice, **{"0-quantity": "10"}))  # amount 25.00

    assert response.status_code == 200  # shown again with the reason, nothing saved
    assert "Quantity \u00d7 unit price is 250.00, not 25.00" in response.content.decode()
    assert invoice.lines.get().quantity == Decimal(1)
    assert not AuditEvent.objects.filter(action="invoice.lines_corrected").exists()


def test_a_line_whose_numbers_are_not_touched_is_not_refused_for_them(client, clerk, acme):
    invoice = misread_invoice(acme)
    invoice.lines.update(amount=Decimal("30.00"))  # as the document has it, say
    client.force_login(clerk)

    response = client.post(
        reverse("invoice_lines", args=[invoice.pk]),
        form_data(invoice, **{"0-description": "Printer paper A4, box of 5 reams"}),
    )

    assert response.status_code == 302
    assert invoice.lines.get().description == "Printer paper A4, box of 5 reams"
    assert invoice.lines.get().amount == Decimal("30.00")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"0-quantity": "ten"}, "Enter a number."),
        ({"0-unit_price": "25,00.0"}, "Enter a number."),
        ({"0-tax_rate": "190"}, "A VAT rate is a percentage between 0 and 100."),
        ({"0-tax_category": "XX"}, "Select a valid choice."),
        ({"0-description": "", "0-item_code": ""}, "Enter a description or an item code."),
        ({"0-DELETE": "on"}, "An invoice keeps at least one line"),
    ],
)
def test_lines_that_cannot_be_right_are_refused_with_the_reason(
    client, clerk, acme, changes, message
):
    invoice = misread_invoice(acme)
    client.force_login(clerk)

    response = client.post(
        reverse("invoice_lines", args=[invoice.pk]), form_data(invoice, **changes)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert invoice.lines.count() == 1
    assert invoice.lines.get().quantity == Decimal(1)


def test_nothing_changed_is_said_and_not_matched_again(client, clerk, acme):
    invoice = misread_invoice(acme)
    client.force_login(clerk)

    response = client.post(
        reverse("invoice_lines", args=[invoice.pk]), form_data(invoice), follow=True
    )

    assert "Nothing was changed." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    assert not AuditEvent.objects.filter(action="invoice.lines_corrected").exists()


def test_only_who_may_correct_fields_corrects_lines_and_only_in_review(
    client, clerk, approver, compliance, acme
):
    invoice = misread_invoice(acme)
    url = reverse("invoice_lines", args=[invoice.pk])
    data = form_data(invoice, **{"0-quantity": "10", "0-amount": ""})
    for user in (approver, compliance):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
        assert (
            "Correct lines"
            not in client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
        )
    client.force_login(clerk)
    assert (
        "Correct lines" in client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    )

    invoice.transition(Status.REJECTED, actor="system:test", reason="setup")
    response = client.post(url, data, follow=True)

    assert "Lines can be corrected while an invoice is in review" in response.content.decode()
    assert invoice.lines.get().quantity == Decimal(1)
    assert (
        "Correct lines"
        not in client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    )


def test_line_corrections_are_kept_as_training_data_and_mark_the_vendor(clerk, acme):
    invoice = misread_invoice(acme)
    line = invoice.lines.get()

    done = correct_lines(
        invoice,
        clerk,
        LineChanges(
            changed={line.pk: {"quantity": Decimal(10), "amount": Decimal("250.00")}},
            added=[
                {
                    "description": "Freight",
                    "quantity": Decimal(1),
                    "unit_price": Decimal("9.50"),
                    "amount": Decimal("9.50"),
                }
            ],
        ),
    )

    assert [item["action"] for item in done] == ["changed", "added"]
    examples = corrected_lines(vendor_id=acme.pk)
    assert {
        (e["field"], e["read"], e["corrected"]) for e in examples if e["action"] == "changed"
    } == {
        ("quantity", "1.0000", "10"),
        ("amount", "25.00", "250.00"),
    }
    (new,) = [e for e in examples if e["action"] == "added"]
    assert new["corrected"]["description"] == "Freight"
    assert corrected_lines(vendor_id=acme.pk + 1) == []
    # As a header correction: the line's history says who, and the vendor's track record
    # counts the invoice as corrected.
    line.refresh_from_db()
    assert line.history.first().history_change_reason == "Lines corrected by clara"
    assert track_record(acme).corrected == 1


def test_a_line_added_after_an_earlier_removal_takes_a_new_position(clerk, acme):
    """A position names one line in the audit trail and in the corrections kept for
    learning: the last line removed in one correction is not reused by the next."""
    invoice = misread_invoice(acme)
    line = invoice.lines.get()
    paper = {"description": "Printer paper", "quantity": Decimal(10), "amount": Decimal("250")}
    correct_lines(invoice, clerk, LineChanges(added=[paper]))  # line 2
    second = invoice.lines.get(position=2)
    correct_lines(invoice, clerk, LineChanges(removed=[second.pk]))

    (done,) = correct_lines(invoice, clerk, LineChanges(added=[paper]))

    assert done["position"] == 3
    assert sorted(invoice.lines.values_list("position", flat=True)) == [line.position, 3]
