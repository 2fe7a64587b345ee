"""Approval routes in the database: the policy's rule and version chosen and kept with each
decision, levels in order, any-one and all-of, proposals a clerk confirms, separation of
duties explained on the screen, and who may decide at all."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from approvals import chains, decisions, triage
from approvals.models import Approval, ApprovalRoute, ApprovalRule
from audit.models import AuditEvent
from core.models import Status
from tests.factories import make_queue

pytestmark = pytest.mark.django_db


def person(name, role="approver", email=True):
    user = User.objects.create_user(
        name, password="test-pass-123", email=f"{name}@buyer.example" if email else ""
    )
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)  # permissions read afresh


@pytest.fixture
def waiting(clerk, approver):
    """An invoice a clerk sent for approval (no open exception)."""
    (invoice,) = make_queue(1, code="", amount=Decimal("800.00"))
    triage.send_for_approval(invoice, clerk)
    invoice.refresh_from_db()
    return invoice


def test_the_default_rule_routes_to_any_one_approver_and_records_its_version(waiting, approver):
    route = chains.open_route(waiting)
    default = ApprovalRule.objects.get(is_default=True)
    assert (route.rule_id, route.rule_version) == (default.pk, default.version)
    assert route.levels[0]["eligible"] == ["arnold"]

    assert decisions.approve(waiting, approver, "fine") is True

    decision = Approval.objects.get(invoice=waiting)
    assert (decision.rule_name, decision.rule_version) == (default.name, default.version)
    event = AuditEvent.objects.get(invoice_id=waiting.pk, action="invoice.approved")
    assert event.payload["inputs"]["policy"] == f"{default.name} (v{default.version})"
    assert event.payload["inputs"]["approvals"] == ["Approved by arnold"]


def test_a_changed_rule_is_a_new_version_and_old_routes_keep_theirs(waiting, clerk):
    default = ApprovalRule.objects.get(is_default=True)
    default.chain = [{"approvers": ["role:admin"], "sla_hours": 8}]
    default.save()
    assert default.version == 2
    assert default.history.count() == 2  # both versions kept

    (later,) = make_queue(1, code="")
    triage.send_for_approval(later, clerk)

    assert chains.open_route(waiting).rule_version == 1
    assert chains.open_route(later).rule_version == 2


def test_a_large_invoice_goes_through_two_levels_in_order(clerk, approver):
    boss = person("ada", role="admin")
    (invoice,) = make_queue(1, code="", amount=Decimal("30000.00"))
    triage.send_for_approval(invoice, clerk)
    route = chains.open_route(invoice)
    assert route.rule_name == "25,000 and over: an approver, then an admin"
    assert [level["eligible"] for level in route.levels] == [["arnold"], ["ada"]]

    with pytest.raises(chains.NotEligible, match="level 1 of 2"):
        decisions.approve(invoice, boss, "me first")  # level 2 waits for level 1
    assert decisions.approve(invoice, approver, "ok") is False
    assert invoice.status == Status.PENDING_APPROVAL
    route.refresh_from_db()
    assert route.level == 1
    assert decisions.approve(invoice, boss, "ok") is True
    assert invoice.status == Status.APPROVED
    assert list(
        Approval.objects.filter(invoice=invoice).values_list("level", "user__username")
    ) == [(0, "arnold"), (1, "ada")]


def test_an_all_of_level_waits_for_every_named_person(clerk, approver):
    second = person("bea")
    ApprovalRule.objects.create(
        name="Both approvers",
        priority=1,
        exception_codes="QTY_VARIANCE",
        chain=[{"approvers": ["user:arnold", "user:bea"], "mode": "all"}],
    )
    (invoice,) = make_queue(1, code="QTY_VARIANCE")
    triage.send_for_approval(invoice, clerk, "short delivery, agreed")

    assert chains.open_route(invoice).rule_name == "Both approvers"
    assert decisions.approve(invoice, second, "ok") is False
    assert chains.waiting_for(chains.open_route(invoice)) == ["arnold"]
    assert decisions.approve(invoice, approver, "ok") is True


def test_a_named_group_level_and_a_rule_by_cost_center(clerk):
    heads = Group.objects.create(name="IT heads")  # a group that holds the approve permission
    heads.permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="approve_invoice")
    )
    head = User.objects.create_user("ivan", password="test-pass-123")
    head.groups.add(Group.objects.get(name="IT heads"))
    ApprovalRule.objects.create(
        name="IT spend", priority=5, cost_centers="IT-100",
        chain=[{"approvers": ["group:IT heads"]}],
    )  # fmt: skip
    (invoice,) = make_queue(1, code="")
    from core.models import InvoiceLine

    InvoiceLine.objects.create(invoice=invoice, position=1, description="laptops",
                               amount=invoice.net_amount, cost_center="IT-100")  # fmt: skip
    triage.send_for_approval(invoice, clerk)

    assert chains.open_route(invoice).levels[0]["eligible"] == ["ivan"]
    assert decisions.approve(invoice, head, "ok") is True


def test_a_level_nobody_holds_goes_to_the_admins_instead_of_waiting_forever(clerk):
    person("ada", role="admin")
    ApprovalRule.objects.create(
        name="Ghost group", priority=1, chain=[{"approvers": ["group:Nobody here"]}]
    )
    (invoice,) = make_queue(1, code="")
    triage.send_for_approval(invoice, clerk)
    level = chains.open_route(invoice).levels[0]
    assert chains.eligible(level) == ["ada"]


def test_a_clerk_cannot_approve_a_chain_and_the_post_changes_nothing(client, waiting, clerk):
    client.force_login(clerk)
    page = client.post(
        reverse("invoice_decide", args=[waiting.pk]),
        {"decision": "approve", "comment": "sneaky"},
        follow=True,
    ).content.decode()
    assert "clara does not hold the permission to approve invoices" in page
    waiting.refresh_from_db()
    assert waiting.status == Status.PENDING_APPROVAL
    assert not Approval.objects.exists()


def test_compliance_cannot_post_a_decision(client, waiting, compliance):
    client.force_login(compliance)
    response = client.post(reverse("invoice_decide", args=[waiting.pk]), {"decision": "approve"})
    assert response.status_code == 403


def test_a_rejection_is_a_recorded_decision_and_closes_the_route(waiting, approver):
    decisions.reject(waiting, approver, "Not ordered")
    assert waiting.status == Status.REJECTED
    decision = Approval.objects.get(invoice=waiting)
    assert decision.decision == "reject"
    assert decision.sentence == "Rejected by arnold"
    assert ApprovalRoute.objects.get(invoice=waiting).state == "rejected"


def test_a_route_left_behind_is_closed(waiting, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        waiting.transition(Status.NEEDS_REVIEW, actor="system:test", reason="back to review")
    assert ApprovalRoute.objects.get(invoice=waiting).state == "closed"


def test_separation_of_duties_is_explained_on_the_screen(client, clerk):
    (invoice,) = make_queue(1)
    both = person("cleo", role="clerk")
    both.groups.add(Group.objects.get(name="approver"))
    both = User.objects.get(pk=both.pk)
    triage.accept_variance(invoice, both, "PRICE_VARIANCE", "price_agreed", "")
    client.force_login(both)

    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()

    assert "You accepted a variance on this invoice; someone else approves it" in page
    assert 'value="approve"' not in page  # no decision form is offered


def test_the_screen_shows_the_chain_and_who_it_waits_for(client, waiting, approver):
    client.force_login(approver)
    page = client.get(reverse("invoice_detail", args=[waiting.pk])).content.decode()
    assert "policy Default: one approver (v1)" in page
    assert "Level 1:" in page
    assert "any one of role approver, within 24 h" in page
    assert "Waiting for arnold" in page
    assert 'value="approve"' in page


def test_assisted_vendor_a_clerk_confirms_the_proposal_in_one_click(client, clerk):
    from core import pipeline
    from core.demo_pdf import pdf_invoice
    from extraction.intake import receive
    from tests.factories import demo_invoice, make_purchase_order, make_vendor

    vendor = make_vendor(automation_level="assisted")
    make_purchase_order(vendor)
    received = receive(
        pdf_invoice(demo_invoice(vendor), "classic"), name="a.pdf", channel="upload",
        actor="system:test",
    )  # fmt: skip
    invoice = pipeline.advance(received.invoice.pk)
    assert invoice.status == Status.PENDING_APPROVAL
    route = chains.open_route(invoice)
    assert route.kind == "propose"
    assert route.levels[0]["eligible"] == ["clara"]

    client.force_login(clerk)
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "Confirm the proposal" in page
    client.post(reverse("invoice_decide", args=[invoice.pk]), {"decision": "approve"})

    invoice.refresh_from_db()
    assert invoice.status == Status.APPROVED
    assert Approval.objects.get(invoice=invoice).sentence == "Approved by clara"


def test_amount_bands_use_the_company_currency(clerk, approver, settings):
    settings.EXCHANGE_RATES = {"USD": Decimal("0.5")}
    (small,) = make_queue(1, code="", amount=Decimal("40000.00"))  # 20,000 EUR
    (large,) = make_queue(1, code="", amount=Decimal("60000.00"))  # 30,000 EUR
    (unknown,) = make_queue(1, code="", amount=Decimal("10.00"))
    from core.models import Invoice

    Invoice.objects.filter(pk__in=[small.pk, large.pk]).update(currency="USD")
    Invoice.objects.filter(pk=unknown.pk).update(currency="CHF")  # no rate: taken as large
    for invoice in (small, large, unknown):
        invoice.refresh_from_db()
        triage.send_for_approval(invoice, clerk)

    assert chains.open_route(small).rule_name == "Default: one approver"
    assert chains.open_route(large).rule_name == "25,000 and over: an approver, then an admin"
    assert chains.open_route(unknown).rule_name == "25,000 and over: an approver, then an admin"
    event = AuditEvent.objects.filter(invoice_id=large.pk, action="invoice.pending_approval").get()
    assert event.payload["inputs"]["amount_company_currency"] == "30000.00"
