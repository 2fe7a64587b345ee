"""Out of office: a delegate decides what waits for the principal, only between the dates,
and every record says on whose behalf."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from approvals import chains, decisions, triage
from approvals.models import Approval, Delegation
from audit.models import AuditEvent
from core.models import Status
from tests.approvals.test_routes import person
from tests.factories import make_queue

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 27)


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(timezone.make_aware(timezone.datetime(2026, 11, 27, 10)), tick=False):
        yield


def may_approve(user):
    """The approve permission given to one person, outside the approver role."""
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="approve_invoice")
    )
    return User.objects.get(pk=user.pk)  # permissions read afresh


@pytest.fixture
def bob():
    """Bob is a clerk who may approve (the permission is his, not his role's), so the
    approvers' level does not name him; he stands in for arnold while arnold is away."""
    return may_approve(person("bob", role="clerk"))


@pytest.fixture
def waiting(clerk, approver):
    approver.email = "arnold@buyer.example"
    approver.save()
    (invoice,) = make_queue(1, code="", amount=Decimal("900.00"))
    triage.send_for_approval(invoice, clerk)
    invoice.refresh_from_db()
    return invoice


def away(principal, delegate, starts=TODAY, days=5):
    return Delegation.objects.create(
        principal=principal, delegate=delegate, starts_on=starts,
        ends_on=starts + timedelta(days=days - 1), reason="holiday",
    )  # fmt: skip


def test_a_delegate_approves_on_behalf_of_the_approver_who_is_away(waiting, approver, bob):
    away(approver, bob)

    assert decisions.approve(waiting, bob, "as agreed with arnold") is True

    decision = Approval.objects.get(invoice=waiting)
    assert decision.user == bob
    assert decision.on_behalf_of == approver
    assert decision.capacity == "delegate"
    assert decision.sentence == "Approved by bob on behalf of arnold"
    event = AuditEvent.objects.get(invoice_id=waiting.pk, action="invoice.approved")
    assert event.payload["reason"].startswith("Approved by bob on behalf of arnold")
    assert event.actor == "bob"


def test_a_delegation_outside_its_dates_gives_nothing(waiting, approver, bob):
    away(approver, bob, starts=TODAY + timedelta(days=1))  # from tomorrow
    with pytest.raises(chains.NotEligible, match="you are not one of them"):
        decisions.approve(waiting, bob, "too early")
    away(approver, bob, starts=TODAY - timedelta(days=10), days=3)  # ended last week
    with pytest.raises(chains.NotEligible):
        decisions.approve(waiting, bob, "too late")
    assert waiting.status == Status.PENDING_APPROVAL


def test_the_delegates_place_is_the_principals_one_not_a_second_approval(waiting, approver, bob):
    """A level of two different people: the delegate and the principal are one place."""
    waiting.exceptions.create(
        code="BANK_DETAILS_CHANGED", message="new IBAN", details={"approvers_required": 2}
    )
    route = chains.start_route(waiting, chains.plan(waiting, straight_through_possible=False))
    assert route.levels[0]["count"] == 2
    away(approver, bob)
    assert decisions.approve(waiting, bob, "for arnold") is False
    with pytest.raises(chains.NotEligible, match="recorded; the level waits for others"):
        decisions.approve(waiting, approver, "me too")


def test_separation_of_duties_holds_for_the_person_stood_in_for(clerk, approver, bob):
    (invoice,) = make_queue(1)
    both = may_approve(person("cleo", role="clerk"))
    triage.accept_variance(invoice, both, "PRICE_VARIANCE", "price_agreed", "")
    away(approver, both)  # cleo accepted the variance: she cannot approve for arnold either
    with pytest.raises(decisions.SeparationOfDuties, match="You accepted a variance"):
        decisions.approve(invoice, both, "for arnold")


def test_the_delegate_is_mailed_the_links_while_the_principal_is_away(
    approver, bob, clerk, django_capture_on_commit_callbacks
):
    approver.email = "arnold@buyer.example"
    approver.save()
    away(approver, bob)
    (invoice,) = make_queue(1, code="")
    with django_capture_on_commit_callbacks(execute=True):
        triage.send_for_approval(invoice, clerk)
    assert sorted(m.to[0] for m in mail.outbox) == ["arnold@buyer.example", "bob@buyer.example"]


def test_an_approver_sets_and_ends_an_out_of_office_on_the_screen(client, approver, clerk):
    second = person("bea")
    client.force_login(approver)
    page = client.get(reverse("out_of_office")).content.decode()
    assert "Nobody: invoices wait for you." in page
    assert f'value="{clerk.pk}"' not in page  # only people who may approve can stand in

    response = client.post(
        reverse("out_of_office"),
        {"delegate": second.pk, "starts_on": "2026-11-27", "ends_on": "2026-12-04",
         "reason": "holiday"},
    )  # fmt: skip
    assert response.status_code == 302
    delegation = Delegation.objects.get(principal=approver)
    assert delegation.delegate == second
    assert AuditEvent.objects.filter(action="approval.delegated").count() == 1

    client.post(reverse("out_of_office"), {"end": delegation.pk})
    assert not Delegation.objects.filter(pk=delegation.pk).exists()  # it had not begun before


def test_a_delegation_ending_before_it_starts_is_refused_with_a_reason(client, approver):
    second = person("bea")
    client.force_login(approver)
    page = client.post(
        reverse("out_of_office"),
        {"delegate": second.pk, "starts_on": "2026-12-04", "ends_on": "2026-11-27"},
    ).content.decode()
    assert "The last day is on or after the first." in page
    assert not Delegation.objects.exists()


def test_clerks_have_no_out_of_office_screen(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("out_of_office")).status_code == 403
