"""Issue 16, smaller findings: a posted invoice has no hold to release, and an invoice is
assigned only to someone who works the queue, never to a read-only user or no one."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals import triage
from audit.models import AuditEvent
from core.models import Status
from tests.factories import make_queue

pytestmark = pytest.mark.django_db


def test_a_clerk_cannot_release_a_posted_invoice(client, clerk):
    (invoice,) = make_queue(1, status=Status.POSTED, code="")
    with pytest.raises(ValidationError, match="nothing to release"):
        triage.release(invoice, clerk)
    client.force_login(clerk)

    page = client.post(
        reverse("invoice_act", args=[invoice.pk]), {"action": "release"}, follow=True
    ).content.decode()

    assert "nothing to release" in page
    assert f"Invoice #{invoice.pk}: released" not in page
    assert not AuditEvent.objects.filter(action="invoice.released").exists()


def test_a_held_invoice_is_released(clerk):
    (invoice,) = make_queue(1)
    triage.hold(invoice, clerk, "waiting for the credit note")
    triage.release(invoice, clerk)
    invoice.refresh_from_db()
    assert invoice.hold_reason == ""


def test_assigning_to_a_compliance_user_is_refused(client, clerk, compliance):
    (invoice,) = make_queue(1)
    with pytest.raises(ValidationError, match="connie does not work the queue"):
        triage.assign([invoice], compliance, by=clerk)
    client.force_login(clerk)

    page = client.post(
        reverse("invoice_act", args=[invoice.pk]),
        {"action": "assign", "assignee": compliance.pk},
        follow=True,
    ).content.decode()
    bulk = client.post(
        reverse("queue_bulk"),
        {"action": "assign", "assignee": compliance.pk, "ids": [invoice.pk]},
        follow=True,
    ).content.decode()

    assert "connie does not work the queue" in page
    assert "connie does not work the queue" in bulk
    assert "1 of 1 invoice(s) done" not in bulk
    invoice.refresh_from_db()
    assert invoice.assignee is None


def test_assigning_to_a_user_that_does_not_exist_is_refused(client, clerk):
    (invoice,) = make_queue(1)
    triage.assign([invoice], clerk, by=clerk)
    client.force_login(clerk)

    page = client.post(
        reverse("invoice_act", args=[invoice.pk]),
        {"action": "assign", "assignee": 987654},
        follow=True,
    ).content.decode()
    bulk = client.post(
        reverse("queue_bulk"), {"action": "assign", "assignee": 987654, "ids": [invoice.pk]},
        follow=True,
    ).content.decode()  # fmt: skip

    assert "There is no user #987654" in page
    assert "There is no user #987654" in bulk
    invoice.refresh_from_db()
    assert invoice.assignee == clerk  # not quietly unassigned
