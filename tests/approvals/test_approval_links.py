"""Approve links carry a random single-use token kept server-side as a hash (issue 16: with
the development key, a signed link was forged in 23 tries and approved 9,312 EUR)."""

import hashlib
import re

import pytest
from django.core import mail, signing

from approvals import triage
from approvals.models import ApprovalLink
from core.models import Invoice, Status
from tests.factories import make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_waiting(approver, clerk, django_capture_on_commit_callbacks):
    """Two invoices waiting for arnold, each mailed with its own links."""
    approver.email = "arnold@buyer.example"
    approver.save()
    invoices = make_queue(2, code="")
    with django_capture_on_commit_callbacks(execute=True):
        for invoice in invoices:
            triage.send_for_approval(invoice, clerk)
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.status == Status.PENDING_APPROVAL
    return invoices


def _path(invoice: Invoice, action: str = "approve") -> str:
    (message,) = [
        m for m in mail.outbox if f"Approve invoice {invoice.invoice_number}" in m.subject
    ]
    url = re.search(rf"{action.capitalize()}:\s+(\S+)", message.body).group(1)
    return url.split("http://127.0.0.1:8000", 1)[1]


def _token(path: str) -> str:
    return path.removeprefix("/decide/").removesuffix("/")


def test_a_link_forged_as_in_the_issue_approves_nothing(client, two_waiting, approver):
    """The attack of issue 16: a payload signed with the secret key, the invoice version
    guessed. Anonymous, it approved and posted the invoice."""
    invoice = two_waiting[0]
    forged = signing.dumps(
        {"i": invoice.pk, "u": approver.pk, "a": "approve", "v": invoice.version, "n": "0" * 24},
        salt="ledgerline.approval-link",
        compress=True,
    )

    page = client.post(f"/decide/{forged}/", {"comment": "ok"})

    assert page.status_code == 410
    assert "This link is not valid" in page.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL


def test_the_token_is_random_and_only_its_hash_is_stored(two_waiting, approver):
    token = _token(_path(two_waiting[0]))

    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32): 256 bits
    link = ApprovalLink.objects.get(token_hash=hashlib.sha256(token.encode()).hexdigest())
    assert (link.invoice, link.approver, link.action) == (two_waiting[0], approver, "approve")
    assert link.used_at is None
    assert link.expires_at > link.created_at
    assert not any(
        token in str(value) for value in ApprovalLink.objects.values_list().get(pk=link.pk)
    )


def test_a_used_token_is_refused(client, two_waiting):
    url = _path(two_waiting[0])
    assert client.post(url, {"comment": "Fine"}).status_code == 200

    again = client.get(url)

    assert again.status_code == 410
    assert "This link was used already" in again.content.decode()
    assert ApprovalLink.objects.get(
        token_hash=hashlib.sha256(_token(url).encode()).hexdigest()
    ).used_at


def test_a_token_decides_only_the_invoice_it_was_mailed_for(client, two_waiting, approver):
    first, second = two_waiting
    url = _path(first)
    # Pointing the link at the other invoice: re-signed, or asked for in the form.
    retargeted = signing.dumps(
        {"i": second.pk, "u": approver.pk, "a": "approve", "v": second.version, "n": "1" * 24},
        salt="ledgerline.approval-link",
        compress=True,
    )
    assert client.post(f"/decide/{retargeted}/", {"comment": "ok"}).status_code == 410

    done = client.post(url, {"comment": "Fine", "invoice": second.pk})

    assert done.status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.APPROVED
    assert second.status == Status.PENDING_APPROVAL


@pytest.mark.parametrize("token", ["x", "A" * 43, "%00", "a" * 5000])
def test_an_unknown_token_gives_a_clear_page(client, two_waiting, token):
    page = client.get(f"/decide/{token}/")

    assert page.status_code == 410
    assert "This link is not valid" in page.content.decode()
