"""Issue 16: one rule for every decision (screen, email link, delegate, escalation) and
blocking exceptions nobody approves over; delegates and escalation targets may approve."""

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from approvals import chains, decisions, escalation, triage
from approvals.models import Approval, Delegation, ReportingLine
from audit import chain as audit_chain
from audit.models import AuditEvent
from core.exception_codes import ExceptionCode, Override
from core.models import OutboxMessage, Status
from tests.approvals.test_routes import person
from tests.factories import make_queue

pytestmark = pytest.mark.django_db
BLOCKING = [code for code in ExceptionCode if code.override == Override.NEVER]


def _in_review(code):
    (invoice,) = make_queue(1, code=code)
    return invoice


def test_the_vocabulary_declares_which_codes_block_approval():
    assert {str(code) for code in BLOCKING} == {
        "UNREADABLE", "MISSING_FIELD", "EINVOICE_UNUSABLE", "VENDOR_UNKNOWN", "DUPLICATE",
        "TAX_MISMATCH", "NOT_POSTABLE", "DOCUMENT_TYPE", "NOT_CODED",
    }  # fmt: skip
    assert ExceptionCode.CORRECTED_INVOICE.override == Override.COMMENT
    assert ExceptionCode.BANK_DETAILS_CHANGED.override == Override.TWO_APPROVERS
    assert not any(code.variance for code in BLOCKING)  # never accepted as a variance
    acceptable = {"PRICE_VARIANCE", "QTY_VARIANCE", "OVER_BILLED", "NOT_RECEIVED"}
    assert set(triage.ACCEPTABLE) == acceptable


@pytest.mark.parametrize("code", BLOCKING)
def test_nobody_approves_over_a_blocking_exception_whatever_the_comment(code, approver):
    invoice = _in_review(code)

    label = ExceptionCode(code).label
    with pytest.raises(ValidationError, match=f"Nobody can approve over {label}"):
        decisions.approve(invoice, approver, "I looked at it, it is fine")

    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    assert invoice.open_exceptions().count() == 1
    assert not Approval.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_the_screen_refuses_approving_over_an_unknown_vendor_and_says_how_to_resolve_it(
    client, approver
):
    """The issue's reproduction: approved over VENDOR_UNKNOWN with a comment, then posted."""
    invoice = _in_review("VENDOR_UNKNOWN")
    client.force_login(approver)
    url = reverse("invoice_detail", args=[invoice.pk])
    assert "Nobody can approve over Vendor unknown" in client.get(url).content.decode()

    page = client.post(
        reverse("invoice_decide", args=[invoice.pk]),
        {"decision": "approve", "comment": "known to me"},
        follow=True,
    ).content.decode()

    assert "add the vendor to the vendor master" in page
    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    assert not OutboxMessage.objects.exists()
    # Rejecting stays possible: the invoice can go back.
    decisions.reject(invoice, approver, "not our vendor")
    assert invoice.status == Status.REJECTED


def test_a_failed_arithmetic_rule_is_not_accepted_as_a_variance_nor_sent_on(clerk):
    invoice = _in_review("TAX_MISMATCH")
    with pytest.raises(ValidationError, match="cannot be accepted as a variance"):
        triage.accept_variance(invoice, clerk, "TAX_MISMATCH", "rounding", "")
    with pytest.raises(ValidationError, match="Nobody can approve over Amounts do not add up"):
        triage.send_for_approval(invoice, clerk, "please look")
    assert invoice.status == Status.NEEDS_REVIEW


def test_a_duplicate_released_by_a_clerk_is_approved_by_someone_else(clerk, approver):
    invoice = _in_review("DUPLICATE")
    clerk.groups.add(approver.groups.get())  # clara is an approver too
    with pytest.raises(ValidationError, match="Say how you know"):
        triage.release_duplicate(invoice, clerk, " ")

    assert triage.release_duplicate(invoice, clerk, "other delivery, other number") is True

    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    assert AuditEvent.objects.filter(action="invoice.duplicate_released").count() == 1
    clerk = type(clerk).objects.get(pk=clerk.pk)
    with pytest.raises(decisions.SeparationOfDuties, match="released this invoice"):
        decisions.approve(invoice, clerk, "fine")
    assert decisions.approve(invoice, approver, "fine") is True


def test_changed_bank_details_are_not_approved_by_one_person_alone(approver):
    (invoice,) = make_queue(1, code="BANK_DETAILS_CHANGED")
    assert chains.approvers_required(invoice) == 2  # from the vocabulary, not the details
    assert decisions.approve(invoice, approver, "called the vendor") is False
    assert invoice.status == Status.PENDING_APPROVAL


# --- who decides ------------------------------------------------------------------------


@pytest.fixture
def sent(clerk, approver, django_capture_on_commit_callbacks):
    """An invoice with an open price variance a clerk sent to arnold, who was mailed."""
    approver.email = "arnold@buyer.example"
    approver.save()
    (invoice,) = make_queue(1, code="PRICE_VARIANCE", amount=Decimal("900.00"))
    with django_capture_on_commit_callbacks(execute=True):
        triage.send_for_approval(invoice, clerk, "agreed with purchasing")
    invoice.refresh_from_db()
    return invoice


def _approve_link() -> str:
    (message,) = mail.outbox
    url = re.search(r"Approve:\s+(\S+)", message.body).group(1)
    return url.split("http://127.0.0.1:8000", 1)[1]


def test_an_email_approval_over_an_open_exception_needs_the_approvers_own_comment(client, sent):
    url = _approve_link()

    refused = client.post(url, {"comment": " "})

    assert refused.status_code == 400
    assert "needs a comment" in refused.content.decode()
    sent.refresh_from_db()
    assert sent.status == Status.PENDING_APPROVAL  # not "Approved by email"
    assert not Approval.objects.exists()

    done = client.post(url, {"comment": "Price agreed by phone"})  # the link still works

    assert done.status_code == 200
    sent.refresh_from_db()
    assert sent.status == Status.APPROVED
    assert Approval.objects.get().comment == "Price agreed by phone"


def test_a_compliance_delegate_is_not_mailed_and_cannot_approve(
    approver, compliance, clerk, django_capture_on_commit_callbacks
):
    """The issue: connie (read-only) was made arnold's delegate in the admin, got a link and
    approved "on behalf of arnold". A row made before the admin refused her does nothing."""
    approver.email = "arnold@buyer.example"
    approver.save()
    today = timezone.localdate()
    Delegation.objects.create(principal=approver, delegate=compliance, starts_on=today,
                              ends_on=today + timedelta(days=3))  # fmt: skip
    (invoice,) = make_queue(1, code="", amount=Decimal("900.00"))
    with django_capture_on_commit_callbacks(execute=True):
        triage.send_for_approval(invoice, clerk)

    assert [m.to for m in mail.outbox] == [["arnold@buyer.example"]]
    with pytest.raises(chains.NotEligible, match="does not hold the permission to approve"):
        decisions.approve(invoice, compliance, "for arnold")
    assert decisions.can_decide(invoice, compliance)[0] is False
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL


def test_the_admin_offers_and_accepts_only_approvers_as_delegates(
    admin_client, approver, compliance, clerk
):
    form = admin_client.get(reverse("admin:approvals_delegation_add")).content.decode()
    assert f'<option value="{approver.pk}">' in form
    assert f'<option value="{compliance.pk}">' not in form
    assert f'<option value="{clerk.pk}">' not in form

    response = admin_client.post(
        reverse("admin:approvals_delegation_add"),
        {"principal": approver.pk, "delegate": compliance.pk, "starts_on": "2026-11-27",
         "ends_on": "2026-12-04", "reason": "holiday"},
    )  # fmt: skip

    assert response.status_code == 200  # the form again, with the error
    assert not Delegation.objects.exists()
    # The model refuses too, whatever form is used.
    with pytest.raises(ValidationError, match="Only people who may approve"):
        Delegation(principal=approver, delegate=compliance, starts_on=timezone.localdate(),
                   ends_on=timezone.localdate()).full_clean()  # fmt: skip


def test_escalation_passes_over_a_manager_who_may_not_approve(
    clerk, approver, compliance, django_capture_on_commit_callbacks
):
    start = timezone.make_aware(datetime(2026, 11, 23, 9, 0))
    with time_machine.travel(start, tick=False) as clock:
        ReportingLine.objects.create(user=approver, manager=compliance)
        chief = person("ada", role="admin")
        (invoice,) = make_queue(1, code="", amount=Decimal("900.00"))
        triage.send_for_approval(invoice, clerk)
        clock.shift(timedelta(hours=25))
        with django_capture_on_commit_callbacks(execute=True):
            escalation.run()

    added = [entry["user"] for entry in chains.open_route(invoice).current["added"]]
    assert "connie" not in added
    assert added == [chief.get_username()]  # the last level escalates to the admins
    assert all(m.to != ["connie@example.com"] for m in mail.outbox)


def test_an_approver_barred_by_separation_of_duties_is_not_mailed_a_link(
    approver, clerk, django_capture_on_commit_callbacks
):
    approver.email = "arnold@buyer.example"
    approver.save()
    bea = person("bea")  # an approver too, who corrected the invoice's fields
    (invoice,) = make_queue(1, code="", amount=Decimal("900.00"))
    audit_chain.record("invoice.fields_corrected", actor="bea", invoice_id=invoice.pk, payload={})
    with django_capture_on_commit_callbacks(execute=True):
        triage.send_for_approval(invoice, clerk)

    assert [m.to for m in mail.outbox] == [["arnold@buyer.example"]]
    assert decisions.can_decide(invoice, bea)[0] is False
