"""Approving: two different approvers for changed bank details, separation of duties, and
exactly one decision when approvers (or a double click) decide at the same moment."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals import chains, decisions, triage
from approvals.models import Approval
from core.models import Status
from extraction.corrections import correct_fields
from tests.concurrency import at_once
from tests.factories import make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_approver():
    user = User.objects.create_user("bea", password="test-pass-123")
    user.groups.add(Group.objects.get(name="approver"))
    return user


def _bank_details_changed():
    (invoice,) = make_queue(1, code="BANK_DETAILS_CHANGED")
    invoice.exceptions.update(details={"approvers_required": 2})
    return invoice


def test_changed_bank_details_need_two_different_approvers(approver, second_approver):
    invoice = _bank_details_changed()

    assert decisions.approve(invoice, approver, "Called the vendor: new bank confirmed") is False
    assert invoice.status == Status.PENDING_APPROVAL  # waiting for the second approver
    with pytest.raises(chains.NotEligible, match="decided on this invoice already"):
        decisions.approve(invoice, approver, "again")
    assert decisions.approve(invoice, second_approver, "Confirmed by phone too") is True

    invoice.refresh_from_db()
    assert invoice.status == Status.APPROVED
    assert sorted(
        Approval.objects.filter(invoice=invoice).values_list("user__username", flat=True)
    ) == [
        "arnold",
        "bea",
    ]


def test_the_screen_says_a_second_approver_is_needed(client, approver):
    invoice = _bank_details_changed()
    client.force_login(approver)

    page = client.post(
        reverse("invoice_decide", args=[invoice.pk]),
        {"decision": "approve", "comment": "confirmed by phone"},
        follow=True,
    ).content.decode()

    assert "Your approval is recorded; the invoice now waits for" in page


def test_whoever_corrected_the_fields_does_not_approve(clerk):
    (invoice,) = make_queue(1)
    clerk.groups.add(Group.objects.get(name="approver"))  # a clerk who may also approve
    clerk = User.objects.get(pk=clerk.pk)  # permissions read afresh
    correct_fields(invoice, clerk, {"invoice_number": "Q-CORRECTED"})

    with pytest.raises(decisions.SeparationOfDuties, match="You corrected"):
        decisions.approve(invoice, clerk, "fine")


def test_whoever_accepted_a_variance_does_not_approve(clerk):
    (invoice,) = make_queue(1)
    clerk.groups.add(Group.objects.get(name="approver"))
    clerk = User.objects.get(pk=clerk.pk)
    triage.accept_variance(invoice, clerk, "PRICE_VARIANCE", "price_agreed", "")

    with pytest.raises(decisions.SeparationOfDuties, match="accepted a variance"):
        decisions.approve(invoice, clerk)


def test_whoever_requested_the_purchase_order_does_not_approve_its_invoice(approver):
    from tests.factories import make_purchase_order

    (invoice,) = make_queue(1, status=Status.PENDING_APPROVAL, code="")
    po = make_purchase_order(invoice.vendor)
    po.requested_by = approver
    po.save()
    invoice.purchase_order = po
    invoice.save()

    with pytest.raises(decisions.SeparationOfDuties, match="You requested purchase order"):
        decisions.approve(invoice, approver)


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_make_exactly_one_decision(role_groups):
    (invoice,) = make_queue(1, status=Status.PENDING_APPROVAL, code="")
    approvers = []
    for name in ("ann", "ben"):
        user = User.objects.create_user(name, password="test-pass-123")
        user.groups.add(Group.objects.get(name="approver"))
        approvers.append(User.objects.get(pk=user.pk))
    queue = list(approvers)

    def decide():
        from core.models import Invoice

        user = queue.pop()
        try:
            return decisions.approve(Invoice.objects.get(pk=invoice.pk), user, "ok")
        except ValidationError:
            return "refused"  # the other one decided first

    outcomes = at_once(decide, 2)

    assert sorted(map(str, outcomes)) == ["True", "refused"]
    invoice.refresh_from_db()
    assert invoice.status == Status.APPROVED
    assert Approval.objects.filter(invoice=invoice).count() == 1
