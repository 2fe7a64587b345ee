"""Issue 16: nothing reaches the ERP that it could not book. An invoice without the
vendor's ERP key, without amounts that add up, or with lines that do not make the net is
not approved, and a posting found wanting at delivery is refused without sending."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder

from approvals import decisions
from audit.models import AuditEvent
from core import pipeline
from core.demo_documents import ubl_xml
from core.erp import posting
from core.erp.connectors import PostingReceipt
from core.models import InvoiceLine, OutboxMessage, Status
from extraction.intake import receive
from tests.factories import demo_invoice, make_purchase_order, make_queue, make_vendor

pytestmark = pytest.mark.django_db


class RecordingConnector:
    """Counts what it is asked to send (a stand-in for any ERP connector)."""

    name = "recording"

    def __init__(self):
        self.sent = []

    def post_invoice(self, payload, *, idempotency_key):
        self.sent.append(payload)
        return PostingReceipt(f"ERP-{len(self.sent)}")

    def find_posting(self, key):
        return None


def test_an_invoice_whose_vendor_has_no_erp_key_is_not_approved_and_nothing_is_sent(approver):
    vendor = make_vendor(external_id=None)
    (invoice,) = make_queue(1, status=Status.PENDING_APPROVAL, code="", vendor=vendor)

    with pytest.raises(posting.NotPostable, match="has no ERP key"):
        decisions.approve(invoice, approver, "ok")

    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"net_amount": None}, "net amount is missing"),
        ({"tax_amount": Decimal("19.00")}, "BR-CO-15: the total"),
        ({"currency": ""}, "currency is missing"),
    ],
)
def test_missing_or_inconsistent_amounts_are_not_approved(approver, change, problem):
    (invoice,) = make_queue(1, status=Status.PENDING_APPROVAL, code="")
    for name, value in change.items():
        setattr(invoice, name, value)
    invoice.save()

    with pytest.raises(ValidationError, match=problem):
        decisions.approve(invoice, approver, "ok")
    assert not OutboxMessage.objects.exists()


def test_lines_that_do_not_add_up_to_the_net_are_not_approved(approver):
    (invoice,) = make_queue(1, status=Status.PENDING_APPROVAL, code="", amount=Decimal("700"))
    for position in range(1, 8):  # the "1" to "7"
        InvoiceLine.objects.create(invoice=invoice, position=position, description=str(position),
                                   amount=Decimal("1.00"))  # fmt: skip

    with pytest.raises(
        ValidationError,
        match=r"BR-CO-13: the net 700\.00 EUR should be the sum of the lines = 7\.00 EUR",
    ):
        decisions.approve(invoice, approver, "ok")


def test_a_posting_found_wanting_at_delivery_is_refused_without_sending():
    """A posting written before these checks (or whose payload lacks the key): the
    connector is never called, the posting fails for good, the clerk sees why."""
    (invoice,) = make_queue(1, status=Status.APPROVED, code="")
    payload = {**posting.invoice_payload(invoice), "vendor": {"external_id": None}}
    message = OutboxMessage.objects.create(
        invoice=invoice,
        idempotency_key="legacy-1",
        connector="file",
        payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
    )
    erp = RecordingConnector()

    assert posting.deliver(message.pk, erp) is False

    assert erp.sent == []
    message.refresh_from_db()
    assert message.state == OutboxMessage.State.FAILED
    assert "has no ERP key" in message.last_error
    (finding,) = invoice.open_exceptions()
    assert finding.code == "NOT_POSTABLE"
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.posting_failed")
    assert event.payload["code"] == "NOT_POSTABLE"
    invoice.refresh_from_db()
    assert invoice.status == Status.APPROVED  # not posted


def test_a_matched_invoice_the_erp_could_not_book_goes_to_a_clerk_not_through():
    """An `auto` vendor without an ERP key: its invoice matches within tolerance, but is
    not approved without a person; the clerk sees why."""
    vendor = make_vendor(external_id=None)
    make_purchase_order(vendor)
    received = receive(ubl_xml(demo_invoice(vendor)), name="inv.xml", channel="upload",
                       actor="system:test")  # fmt: skip

    invoice = pipeline.advance(received.invoice.pk)

    assert invoice.status == Status.NEEDS_REVIEW
    (finding,) = invoice.open_exceptions()
    assert finding.code == "NOT_POSTABLE"
    assert "has no ERP key" in finding.message
    assert not OutboxMessage.objects.exists()
