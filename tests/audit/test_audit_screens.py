"""The screens compliance reads: the event log a page at a time with its filters, a record's
field history in words (names, not ids; dates, amounts and dicts as people read them), and
every decision's comment in the invoice's audit trail."""

import html
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core import mail

from approvals import decisions, triage
from audit import chain
from core.models import Invoice
from tests.factories import make_queue, make_vendor

pytestmark = pytest.mark.django_db


def _ids_in_order(page: str) -> list[int]:
    """The event ids of the audit log's rows, as listed."""
    table = page.split('class="grid audit-events"', 1)[1].split("</table>", 1)[0]
    return [int(n) for n in re.findall(r'title="Event #(\d+),', table)]


def _trail(page: str) -> str:
    """The invoice page's audit trail section, text only."""
    section = page.split("<h2>Audit trail</h2>", 1)[1].split("</ol>", 1)[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", section)))


# The audit log


def test_the_log_lists_events_newest_first_fifty_to_a_page(client, compliance):
    first = chain.record("test.first", actor="system:test")
    for n in range(59):
        chain.record("test.more", actor="system:test", payload={"reason": f"event {n}"})
    last = chain.record("test.last", actor="system:test")
    client.force_login(compliance)

    page_one = client.get("/audit/")
    page_two = client.get("/audit/", {"page": 2})

    ids_one, ids_two = (
        _ids_in_order(page_one.content.decode()),
        _ids_in_order(page_two.content.decode()),
    )
    assert len(ids_one) == 50
    assert ids_one[0] == last.pk
    assert ids_one == sorted(ids_one, reverse=True)
    assert len(ids_two) == 11
    assert ids_two[-1] == first.pk
    assert "Page 2 of 2" in page_two.content.decode()


def test_the_log_filters_by_date_actor_event_type_and_invoice(client, compliance, clerk):
    first, second = make_queue(2, code="")
    with time_machine.travel(datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        early = chain.record("invoice.held", actor="clara", invoice_id=first.pk,
                             payload={"reason": "asking the buyer"})  # fmt: skip
    with time_machine.travel(datetime(2026, 3, 9, 9, tzinfo=UTC), tick=False):
        held = chain.record("invoice.held", actor="clara", invoice_id=second.pk,
                            payload={"reason": "credit note expected"})  # fmt: skip
        machine = chain.record("invoice.matched", actor="system:pipeline", invoice_id=second.pk)
        other = chain.record("audit.events_exported", actor="connie")
    client.force_login(compliance)

    def listed(**filters) -> set[int]:
        response = client.get("/audit/", filters)
        assert response.status_code == 200
        return set(_ids_in_order(response.content.decode()))

    ours = {early.pk, held.pk, machine.pk, other.pk}
    assert listed(start="2026-03-05") & ours == {held.pk, machine.pk, other.pk}
    assert listed(end="2026-03-05") & ours == {early.pk}
    assert listed(actor="clara") == {early.pk, held.pk}
    assert listed(actor="system:") & ours == {machine.pk}  # a kind of actor, by its prefix
    assert listed(action="invoice.held") == {early.pk, held.pk}
    assert listed(action="invoice.") & ours == {early.pk, held.pk, machine.pk}
    assert listed(invoice=second.invoice_number) == {held.pk, machine.pk}
    assert listed(invoice=f"#{first.pk}") == {early.pk}
    assert listed(invoice=second.invoice_number, actor="clara") == {held.pk}
    # The download takes the same filters.
    csv_text = b"".join(
        client.get("/audit/events.csv", {"invoice": second.invoice_number}).streaming_content
    ).decode()
    assert [line.split(",")[0] for line in csv_text.splitlines()[1:]] == [
        str(held.pk),
        str(machine.pk),
    ]


def test_a_row_says_who_when_what_and_links_the_invoice(client, compliance, clerk):
    clerk.first_name, clerk.last_name = "Clara", "Clerk"
    clerk.save()
    (invoice,) = make_queue(1, code="")
    with time_machine.travel(datetime(2026, 3, 9, 9, 30, 5, tzinfo=UTC), tick=False):
        triage.hold(invoice, clerk, "Waiting for the credit note")
    client.force_login(compliance)

    page = client.get("/audit/", {"invoice": invoice.invoice_number}).content.decode()
    row = page.split('class="grid audit-events"', 1)[1].split("</tr>", 2)[1]

    # Written as every screen writes a moment; the exact instant, seconds included, in the
    # <time> element for auditors.
    assert "9 Mar 2026, 09:30" in row
    assert 'datetime="2026-03-09T09:30:05' in row
    assert "Clara Clerk" in row
    assert "clara" in row
    assert "Held" in row
    assert "invoice.held" in row
    assert "Waiting for the credit note" in row
    assert f'href="/invoices/{invoice.pk}/"' in row
    assert invoice.invoice_number in row
    assert invoice.vendor.name in row


def test_compliance_reads_the_log_and_changes_nothing_from_it(client, compliance, clerk):
    chain.record("test.one", actor="system:test")
    client.force_login(compliance)

    page = client.get("/audit/")

    assert page.status_code == 200
    content = page.content.decode().split("<main", 1)[1]  # the screen, not the sign-out
    assert 'method="post"' not in content.lower()  # no form that could change anything
    assert client.post("/audit/").status_code == 405
    assert client.get("/kpis/").status_code == 200
    assert client.get("/kpis/charts/backlog.svg").status_code == 200
    client.force_login(clerk)  # a clerk does not read the audit log
    assert client.get("/audit/").status_code == 403
    assert client.get("/kpis/charts/backlog.svg").status_code == 403


# Field history


def test_history_shows_names_and_formatted_values_not_ids_or_dicts(client, compliance, clerk):
    clerk.first_name, clerk.last_name = "Clara", "Clerk"
    clerk.save()
    (invoice,) = make_queue(1, code="")
    invoice.save()  # its first saved version (bulk_create keeps none)
    other = make_vendor(name="Kestrel Logistics Ltd", external_id="V-2002",
                        vat_id="GB123456789", iban="GB29NWBK60161331926819")  # fmt: skip
    invoice = Invoice.objects.get(pk=invoice.pk)
    invoice.vendor = other
    invoice.assignee = clerk
    invoice.total_amount = Decimal("9312.5")
    invoice.invoice_date = datetime(2026, 3, 4).date()
    invoice.confidence = {"total_amount": 0.93, "invoice_date": 0.81}
    invoice._change_reason = "corrected by hand"
    invoice.save()
    client.force_login(compliance)

    page = client.get(f"/history/invoice/{invoice.pk}/").content.decode()
    changes = page.split('class="grid history"', 1)[1]

    assert "Kestrel Logistics Ltd" in changes  # the vendor by name
    assert "Acme Office Supplies GmbH" in changes  # ... and the one before
    assert "Clara Clerk" in changes  # the assignee by name
    assert "9,312.50 EUR" in changes  # an amount with its currency
    assert "4 Mar 2026" in changes  # a date, the one way dates read everywhere
    assert "total_amount:</span> 0.93" in changes  # a dict as key: value
    assert "{" not in re.sub(r"<[^>]+>", "", changes)  # no raw dict
    assert f"→ {other.pk}<" not in changes
    assert "vendor: —" not in changes.lower()
    text = re.sub(r"<[^>]+>", "", changes)  # (a <time datetime> attribute keeps ISO)
    assert re.search(r"\d{4}-\d{2}-\d{2}", text) is None  # one date format, not two


# Every decision's comment in the invoice's audit trail


def _approver(name: str, role: str = "approver") -> User:
    user = User.objects.create_user(name, f"{name}@buyer.example", "test-pass-123")
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def test_each_approval_comment_is_in_the_trail_even_mid_route(client, compliance, clerk,
                                                              approver):  # fmt: skip
    boss = _approver("ada", role="admin")
    (invoice,) = make_queue(1, code="", amount=Decimal("30000.00"))  # two levels
    triage.send_for_approval(invoice, clerk, "Large order, checked with purchasing")
    decisions.approve(invoice, approver, "Budget confirmed with the plant manager")
    decisions.approve(invoice, boss, "Within the annual framework contract")
    client.force_login(compliance)

    trail = _trail(client.get(f"/invoices/{invoice.pk}/").content.decode())

    assert "Large order, checked with purchasing" in trail
    # Level 1's approval recorded the comment in its payload, and now the trail shows it.
    assert "Comment: “Budget confirmed with the plant manager”" in trail
    assert "Within the annual framework contract" in trail


def test_a_rejection_and_an_emailed_decision_keep_their_comments(
    client, compliance, clerk, approver, django_capture_on_commit_callbacks
):
    approver.email = "arnold@buyer.example"
    approver.save()
    first, second = make_queue(2, code="")
    with django_capture_on_commit_callbacks(execute=True):
        triage.send_for_approval(first, clerk)
        triage.send_for_approval(second, clerk)
    decisions.reject(first, approver, "Price is not what we agreed")
    (message,) = [m for m in mail.outbox if second.invoice_number in m.subject]
    link = re.search(r"Approve:\s+(\S+)", message.body).group(1).split("8000", 1)[1]
    assert client.post(link, {"comment": "Approved from my phone"}).status_code == 200
    client.force_login(compliance)

    assert "Price is not what we agreed" in _trail(
        client.get(f"/invoices/{first.pk}/").content.decode()
    )
    assert "Approved from my phone" in _trail(
        client.get(f"/invoices/{second.pk}/").content.decode()
    )


@pytest.mark.parametrize(
    ("code", "form", "comment"),
    [
        ("PRICE_VARIANCE", {"action": "accept", "code": "PRICE_VARIANCE",
                            "reason_code": "other"}, "Freight surcharge agreed by phone"),
        ("DUPLICATE", {"action": "not_duplicate"}, "Different delivery, compared the notes"),
        ("PRICE_VARIANCE", {"action": "hold"}, "Waiting for the vendor's credit note"),
        ("PRICE_VARIANCE", {"action": "reject_to_vendor"}, "Wrong unit price on line 1"),
    ],
)  # fmt: skip
def test_a_clerks_action_comment_is_in_the_trail(client, compliance, clerk, code, form, comment):
    (invoice,) = make_queue(1, code=code)
    client.force_login(clerk)
    response = client.post(f"/invoices/{invoice.pk}/act/", {**form, "comment": comment})
    assert response.status_code == 302
    client.force_login(compliance)

    trail = _trail(client.get(f"/invoices/{invoice.pk}/").content.decode())

    assert comment in trail
