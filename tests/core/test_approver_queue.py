"""An approver's work queue opens on what waits for them (issue 19, item 7): invoices whose
current approval level they can decide, in person or as a delegate; a tab shows everything
else. Clerks keep their default (everything open), and "/" and a sign-in lead approvers to
their queue."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from approvals import decisions, triage, waiting
from approvals.models import Delegation
from core.models import Status
from tests.approvals.test_routes import person
from tests.factories import make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoices(clerk, approver):
    """small: waits for the approvers; large: arnold approved level 1, it waits for an
    admin; review: in review, nobody's approval yet."""
    person("ada", role="admin")
    small, large = make_queue(2, code="", amount=Decimal("900.00"))
    large.total_amount = large.net_amount = Decimal("30000.00")
    large.save()
    (review,) = make_queue(1, code="PRICE_VARIANCE")
    for invoice in (small, large):
        triage.send_for_approval(invoice, clerk)
        invoice.refresh_from_db()
        assert invoice.status == Status.PENDING_APPROVAL
    decisions.approve(large, approver, "level 1 fine")
    large.refresh_from_db()
    assert large.status == Status.PENDING_APPROVAL  # at the admins' level now
    return {"small": small, "large": large, "review": review}


def _shown(client, url) -> set[int]:
    """The invoice ids the queue page lists."""
    response = client.get(url)
    assert response.status_code == 200
    return {row.pk for row in response.context["rows"]}


def test_an_approvers_queue_opens_on_what_waits_for_them(client, approver, invoices):
    client.force_login(approver)

    response = client.get(reverse("work_queue"))

    assert response.context["tabs"]["view"] == "mine"
    assert {row.pk for row in response.context["rows"]} == {invoices["small"].pk}
    page = response.content.decode()
    assert 'aria-current="page">Waiting for me' in page
    assert "Everything open" in page


def test_the_other_tab_shows_everything_open(client, approver, invoices):
    client.force_login(approver)

    shown = _shown(client, reverse("work_queue") + "?view=all")

    assert shown == {invoice.pk for invoice in invoices.values()}


def test_the_filter_form_keeps_the_tab(client, approver, invoices):
    client.force_login(approver)

    page = client.get(reverse("work_queue") + "?view=all").content.decode()

    assert '<input type="hidden" name="view" value="all">' in page


def test_an_admin_at_the_second_level_has_it_waiting_for_her(client, invoices):
    ada = User.objects.get(username="ada")
    assert waiting.invoice_ids_waiting_for(ada) == [invoices["large"].pk]
    client.force_login(ada)
    # Admins work the queue too: they open on everything, and have the tab.
    response = client.get(reverse("work_queue"))
    assert response.context["tabs"]["view"] == "all"
    assert _shown(client, reverse("work_queue") + "?view=mine") == {invoices["large"].pk}


def test_a_clerk_keeps_everything_open_and_sees_no_tabs(client, clerk, invoices):
    client.force_login(clerk)

    response = client.get(reverse("work_queue"))

    assert response.context["tabs"]["offered"] is False
    assert {row.pk for row in response.context["rows"]} == {i.pk for i in invoices.values()}
    assert "Waiting for me" not in response.content.decode()
    # ?view=mine means nothing to someone who approves nothing.
    assert _shown(client, reverse("work_queue") + "?view=mine") == {i.pk for i in invoices.values()}


def test_a_delegate_finds_what_waits_for_the_approver_they_stand_in_for(approver, invoices):
    bob = person("bob", role="clerk")
    bob.user_permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="approve_invoice")
    )
    bob = User.objects.get(pk=bob.pk)
    assert waiting.invoice_ids_waiting_for(bob) == []
    today = timezone.localdate()
    Delegation.objects.create(
        principal=approver, delegate=bob, starts_on=today, ends_on=today + timedelta(days=2),
        reason="holiday",
    )  # fmt: skip

    assert waiting.invoice_ids_waiting_for(bob) == [invoices["small"].pk]


def test_an_approver_who_decided_already_has_nothing_waiting(approver, invoices):
    decisions.approve(invoices["small"], approver, "")
    assert waiting.invoice_ids_waiting_for(approver) == []


def test_home_and_sign_in_lead_an_approver_to_the_queue_and_a_clerk_to_the_invoices(
    client, approver, clerk
):
    response = client.post(reverse("login"), {"username": "arnold", "password": "test-pass-123"})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("work_queue")
    client.logout()
    client.force_login(clerk)
    assert client.get(reverse("home"))["Location"] == reverse("invoice_list")


def test_after_a_decision_the_next_invoice_is_one_that_waits_for_the_approver(
    client, clerk, approver, invoices
):
    """Deciding from the invoice screen offers "next": for an approver, the next invoice
    waiting for them, not one that waits at another level (the admins' 30,000 invoice)."""
    (later,) = make_queue(1, code="", amount=Decimal("800.00"))
    triage.send_for_approval(later, clerk)
    small, large = invoices["small"], invoices["large"]
    assert small.pk < large.pk < later.pk
    client.force_login(approver)

    response = client.get(reverse("invoice_detail", args=[small.pk]) + "?from=pending_approval")

    assert response.context["next_item"] == later.pk  # not large, which waits for an admin
    client.force_login(clerk)  # a clerk, who decides nothing, steps through every one
    response = client.get(reverse("invoice_detail", args=[small.pk]) + "?from=pending_approval")
    assert response.context["next_item"] == large.pk
