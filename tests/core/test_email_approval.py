"""Approve by email: the links in the approvers' mail, and every way one must refuse."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import Invoice, Status
from tests.factories import make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(approver, django_capture_on_commit_callbacks, clerk):
    approver.email = "arnold@buyer.example"
    approver.save()
    (invoice,) = make_queue(1, code="")
    with django_capture_on_commit_callbacks(execute=True):
        from approvals import triage

        triage.send_for_approval(invoice, clerk)
    invoice.refresh_from_db()
    return invoice


def _link(action: str) -> str:
    (message,) = mail.outbox
    return re.search(rf"{action.capitalize()}:\s+(\S+)", message.body).group(1)


def _path(url: str) -> str:
    return url.split("http://127.0.0.1:8000", 1)[1]


def test_an_invoice_waiting_for_approval_mails_the_approvers_their_links(waiting):
    (message,) = mail.outbox
    assert message.to == ["arnold@buyer.example"]
    assert f"Approve invoice {waiting.invoice_number}" in message.subject
    assert "/decide/" in _link("approve")
    assert "/decide/" in _link("reject")


def test_opening_a_link_decides_nothing_and_confirming_approves(client, waiting):
    url = _path(_link("approve"))

    page = client.get(url)
    waiting.refresh_from_db()
    assert page.status_code == 200
    assert "Confirm: approve" in page.content.decode()
    assert waiting.status == Status.PENDING_APPROVAL  # a mail scanner's GET changed nothing

    done = client.post(url, {"comment": "Fine"})

    waiting.refresh_from_db()
    assert done.status_code == 200
    assert waiting.status == Status.APPROVED
    assert "Approved" in done.content.decode()


def test_a_link_decides_once(client, waiting):
    url = _path(_link("approve"))
    client.post(url)

    again = client.post(url)

    assert again.status_code == 410
    assert "nothing left to decide" in again.content.decode() or "used already" in (
        again.content.decode()
    )


def test_a_reject_link_needs_the_reason_the_vendor_is_told(client, waiting):
    url = _path(_link("reject"))

    refused = client.post(url, {"comment": ""})
    waiting.refresh_from_db()
    # The confirmation again, saying why; the link is not spent by a refused decision.
    assert refused.status_code == 400
    assert "needs a reason the vendor can be told" in refused.content.decode()
    assert waiting.status == Status.PENDING_APPROVAL
    assert client.post(url, {"comment": "Wrong prices"}).status_code == 200
    waiting.refresh_from_db()
    assert waiting.status == Status.REJECTED


def test_an_expired_link_refuses(client, waiting, settings):
    url = _path(_link("approve"))

    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        page = client.get(url)

    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()


def test_a_link_for_another_approver_refuses_the_signed_in_user(client, waiting, clerk):
    client.force_login(clerk)

    page = client.get(_path(_link("approve")))

    assert page.status_code == 410
    assert "This link was sent to arnold, and you are signed in as clara" in (page.content.decode())


def test_a_link_for_an_invoice_that_changed_since_refuses_with_a_clear_page(client, waiting):
    url = _path(_link("approve"))
    invoice = Invoice.objects.get(pk=waiting.pk)
    invoice.total_amount += 1000  # changed after the email went out
    invoice.save()

    page = client.post(url)

    assert page.status_code == 410
    assert "has changed since this email was sent" in page.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL


def test_a_forged_link_refuses(client, waiting):
    url = _path(_link("approve"))

    page = client.get(url[:-3] + "xyz/")

    assert page.status_code == 410
    assert "not valid" in page.content.decode()


def test_the_approvers_are_mailed_for_a_routed_invoice_only_once(waiting):
    assert len(mail.outbox) == 1
    assert reverse("invoice_detail", args=[waiting.pk]) in mail.outbox[0].body
