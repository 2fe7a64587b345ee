"""The outbox: approving writes the posting in the same transaction; it is delivered
exactly once when the task runs twice, when the webhook times out after accepting, and
when the worker is killed after sending; failures retry with backoff and wait for a
person on the Outbox screen; payments come back."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.erp import posting
from core.erp.connectors import FileOutbox
from core.erp.odoo import OdooConnector
from core.erp.webhook import WebhookConnector
from core.models import InvoiceLine, OutboxMessage, Status
from tests.concurrency import at_once
from tests.erp.standins import OdooStandIn, WebhookReceiver
from tests.factories import make_purchase_order, make_queue, make_vendor

pytestmark = pytest.mark.django_db
SECRET = "whsec-test-0123456789"


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


class DiesAfterSending:
    """A connector that sends, then the worker dies before it can record anything."""

    def __init__(self, connector):
        self.connector = connector
        self.name = connector.name

    def post_invoice(self, payload, *, idempotency_key):
        self.connector.post_invoice(payload, idempotency_key=idempotency_key)
        raise WorkerKilled

    def find_posting(self, key):
        return self.connector.find_posting(key)


def approved(**kw):
    """An invoice approved by a person: its posting is written, not yet delivered."""
    (invoice,) = make_queue(1, status=Status.PENDING_APPROVAL, code="", **kw)
    invoice.transition(Status.APPROVED, actor="arnold", reason="ok")
    return invoice


def test_approving_writes_the_posting_in_the_same_transaction():
    invoice = approved()
    (message,) = invoice.postings.all()
    assert message.state == "pending"
    assert message.idempotency_key.startswith(f"ledgerline-invoice-{invoice.pk}-v")
    assert message.payload["invoice_id"] == invoice.pk
    assert message.payload["approved_by"] == "arnold"

    (other,) = make_queue(1, status=Status.PENDING_APPROVAL, code="")

    def approve_then_fail():
        with transaction.atomic():
            other.transition(Status.APPROVED, actor="arnold", reason="ok")
            raise RuntimeError("the approval rolls back")

    with pytest.raises(RuntimeError):
        approve_then_fail()
    assert not OutboxMessage.objects.filter(invoice=other).exists()


def test_the_payload_carries_gl_account_and_cost_center_from_the_po_line_or_the_clerk():
    vendor = make_vendor()
    order = make_purchase_order(vendor)
    po_line = order.lines.get()
    po_line.gl_account, po_line.cost_center = "6000", "IT-100"
    po_line.save()
    (invoice,) = make_queue(1, status=Status.PENDING_APPROVAL, code="", vendor=vendor,
                            amount=Decimal("300.00"))  # fmt: skip
    # Lines with amounts that make the net: what the ERP needs to book them.
    InvoiceLine.objects.create(invoice=invoice, position=1, description="paper",
                               quantity=Decimal(10), amount=Decimal("250.00"),
                               po_line=po_line)  # fmt: skip
    InvoiceLine.objects.create(invoice=invoice, position=2, description="freight",
                               amount=Decimal("50.00"), gl_account="6800",
                               cost_center="LOG-2")  # fmt: skip
    invoice.transition(Status.APPROVED, actor="arnold", reason="ok")

    lines = invoice.postings.get().payload["lines"]
    assert [(line["gl_account"], line["cost_center"]) for line in lines] == [
        ("6000", "IT-100"), ("6800", "LOG-2"),
    ]  # fmt: skip
    assert invoice.postings.get().payload["vendor"]["external_id"] == "V-1001"


def test_a_task_run_twice_posts_once():
    invoice = approved()
    message = invoice.postings.get()
    with WebhookReceiver(SECRET) as erp:
        connector = WebhookConnector(erp.url, SECRET, timeout=2)
        assert posting.deliver(message.pk, connector) is True
        assert posting.deliver(message.pk, connector) is False  # delivered: nothing to do
        assert posting.deliver_due(connector) == 0

    assert len(erp.received) == 1
    assert all(delivery.verified for delivery in erp.received)  # signed, checked by the ERP
    invoice.refresh_from_db()
    assert invoice.status == Status.POSTED
    assert invoice.erp_reference == "AP-000001"


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_post_once(role_groups):
    invoice = approved()
    message = invoice.postings.get()
    with WebhookReceiver(SECRET, delay_after_accept=0.2) as erp:
        connector = WebhookConnector(erp.url, SECRET, timeout=5)
        outcomes = at_once(lambda: posting.deliver(message.pk, connector), 2)

    assert sorted(outcomes) == [False, True]
    assert len(erp.received) == 1


def test_a_webhook_that_times_out_after_accepting_is_booked_once():
    invoice = approved()
    message = invoice.postings.get()
    with WebhookReceiver(SECRET, delay_after_accept=1.0) as erp:
        connector = WebhookConnector(erp.url, SECRET, timeout=0.3)
        assert posting.deliver(message.pk, connector) is False  # timed out: the ERP has it
        message.refresh_from_db()
        assert (message.state, message.attempts) == ("pending", 1)
        assert message.next_attempt_at > timezone.now()

        erp.delay_after_accept = 0
        with time_machine.travel(message.next_attempt_at + timedelta(seconds=1)):
            assert posting.deliver_due(connector) == 1

    assert len(erp.received) == 2  # sent twice ...
    assert len(erp.booked) == 1  # ... booked once, under the one key
    invoice.refresh_from_db()
    assert invoice.erp_reference == "AP-000001"
    failed = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.posting_failed")
    assert failed.payload["retryable"] is True


def test_a_worker_killed_after_sending_is_reconciled_by_the_key_not_sent_again(tmp_path):
    invoice = approved()
    message = invoice.postings.get()
    outbox = FileOutbox(tmp_path)

    with pytest.raises(WorkerKilled):
        posting.deliver(message.pk, DiesAfterSending(outbox))
    message.refresh_from_db()
    assert message.state == "sending"  # claimed, sent, never recorded
    assert posting.deliver_due(outbox) == 0  # another worker leaves it while the lease runs

    written = sorted(tmp_path.iterdir())
    with time_machine.travel(timezone.now() + posting.LEASE + timedelta(seconds=1)):
        assert posting.deliver_due(outbox) == 1

    assert sorted(tmp_path.iterdir()) == written  # found, not written again
    invoice.refresh_from_db()
    assert invoice.status == Status.POSTED
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.posted")
    assert "found booked already (reconciled by idempotency key)" in event.payload["reason"]


def test_a_posting_left_by_a_killed_worker_is_retaken_within_two_minutes(tmp_path):
    """The lease plus the every-minute schedule: under two minutes (issue 16)."""
    invoice = approved()
    message = invoice.postings.get()
    outbox = FileOutbox(tmp_path)
    with pytest.raises(WorkerKilled):
        posting.deliver(message.pk, DiesAfterSending(outbox))

    assert timedelta(minutes=1) >= posting.LEASE
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert posting.deliver_due(outbox) == 1
    invoice.refresh_from_db()
    assert invoice.status == Status.POSTED


def test_a_worker_killed_after_a_webhook_accepted_is_booked_once():
    invoice = approved()
    message = invoice.postings.get()
    with WebhookReceiver(SECRET) as erp:
        connector = WebhookConnector(erp.url, SECRET, timeout=2)
        with pytest.raises(WorkerKilled):
            posting.deliver(message.pk, DiesAfterSending(connector))
        with time_machine.travel(timezone.now() + posting.LEASE + timedelta(seconds=1)):
            assert posting.deliver_due(connector) == 1

    assert len(erp.booked) == 1
    assert len(erp.received) == 2


def test_failures_back_off_exponentially_then_wait_for_a_person(settings, client, tmp_path):
    from django.contrib.auth.models import Group, User

    settings.ERP_MAX_ATTEMPTS = 3
    settings.ERP_RETRY_SECONDS = 60
    invoice = approved()
    message = invoice.postings.get()
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    broken = FileOutbox(blocked / "outbox")
    waits = []
    for _ in range(3):
        with time_machine.travel(message.next_attempt_at, tick=False):
            posting.deliver(message.pk, broken)
            message.refresh_from_db()
            waits.append((message.next_attempt_at - timezone.now()).total_seconds())
    assert waits[:2] == [60, 120]
    assert message.state == "failed"

    admin = User.objects.create_user("ada", password="test-pass-123")
    admin.groups.add(Group.objects.get(name="admin"))
    client.force_login(admin)
    page = client.get(reverse("outbox")).content.decode()
    assert message.idempotency_key in page
    assert "Could not write to" in page

    client.post(reverse("outbox_act", args=[message.pk]), {"action": "retry"})
    message.refresh_from_db()
    assert message.state == "pending"
    assert posting.deliver(message.pk, FileOutbox(tmp_path / "fixed")) is True
    assert AuditEvent.objects.filter(action="invoice.posting_retried").count() == 1


def test_a_permanent_refusal_fails_at_once_and_can_be_cancelled_with_a_reason(client):
    from django.contrib.auth.models import Group, User

    invoice = approved()
    message = invoice.postings.get()
    with WebhookReceiver(SECRET, answer=(422, {"error": "unknown vendor"})) as erp:
        posting.deliver(message.pk, WebhookConnector(erp.url, SECRET, timeout=2))
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 1)

    admin = User.objects.create_user("ada", password="test-pass-123")
    admin.groups.add(Group.objects.get(name="admin"))
    client.force_login(admin)
    client.post(reverse("outbox_act", args=[message.pk]), {"action": "cancel", "reason": ""})
    message.refresh_from_db()
    assert message.state == "failed"  # a cancel needs its reason
    client.post(
        reverse("outbox_act", args=[message.pk]),
        {"action": "cancel", "reason": "booked by hand in the ERP"},
    )
    message.refresh_from_db()
    assert message.state == "cancelled"
    cancelled = AuditEvent.objects.get(action="invoice.posting_cancelled")
    assert cancelled.payload["reason"] == "booked by hand in the ERP"


def test_the_outbox_screen_is_for_admins_and_compliance_reads_it(client, clerk, compliance):
    approved()
    client.force_login(clerk)
    assert client.get(reverse("outbox")).status_code == 403
    client.force_login(compliance)
    page = client.get(reverse("outbox"))
    assert page.status_code == 200
    assert b'value="retry"' not in page.content
    message = OutboxMessage.objects.get()
    assert (
        client.post(reverse("outbox_act", args=[message.pk]), {"action": "retry"}).status_code
        == 403
    )


def test_odoo_end_to_end_a_vendor_bill_then_its_payment_comes_back():
    invoice = approved()
    message = invoice.postings.get()
    with OdooStandIn(partners={"V-1001": 7}) as odoo:
        connector = OdooConnector(odoo.url, "ledgerline", "ap-bot", "secret", timeout=2)
        assert posting.deliver(message.pk, connector) is True
        invoice.refresh_from_db()
        number = invoice.erp_reference
        assert posting.poll_payments(connector) == 0
        odoo.pay(number)
        assert posting.poll_payments(connector) == 1

    invoice.refresh_from_db()
    assert invoice.status == Status.PAID
    assert odoo.count("account.move", "create") == 1
    paid = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.paid")
    assert paid.actor == "erp:odoo"


def test_the_default_connector_writes_json_or_csv_files(settings, tmp_path):
    settings.ERP_OUTBOX_DIR = tmp_path
    settings.ERP_FILE_FORMAT = "csv"
    invoice = approved()
    posting.post_invoice(invoice)
    message = invoice.postings.get()
    text = Path(message.reference).read_text()
    assert Path(message.reference).suffix == ".csv"
    assert text.splitlines()[0].startswith("idempotency_key,invoice_id,vendor_external_id")
    assert not list(tmp_path.glob(".*.tmp"))  # written under a temporary name, renamed
