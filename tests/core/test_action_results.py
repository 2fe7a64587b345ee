"""Issue 19, item 3: an action on the invoice screen keeps the same invoice open with a
message saying what was done and the state it left (core.action_results); "Next invoice"
(key n) is a separate step, in the queue the invoice was in. Forms from the work queue
(`next`) still go back there."""

from decimal import Decimal

import pytest
from django.urls import reverse

from approvals import triage
from core import action_results, exception_codes, pipeline
from core.demo_documents import DemoLine
from core.demo_pdf import pdf_invoice
from core.models import Status
from core.queue_views import neighbours
from extraction.intake import receive
from tests.factories import demo_invoice, make_purchase_order, make_queue, make_vendor

pytestmark = pytest.mark.django_db
PRICE = exception_codes.label("PRICE_VARIANCE")  # "Price variance"


def _detail(pk, queue=""):
    url = reverse("invoice_detail", args=[pk])
    return f"{url}?from={queue}" if queue else url


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_send_for_approval_stays_with_the_new_status_and_the_next_in_review(client, clerk):
    first, second = make_queue(2)
    client.force_login(clerk)

    response = client.post(
        reverse("invoice_act", args=[first.pk]),
        {"action": "send_for_approval", "comment": "PO price agreed by phone"},
    )
    page = client.get(response["Location"])

    assert response["Location"] == _detail(first.pk, "needs_review")
    assert _messages(page) == [
        f"Invoice #{first.pk}: sent for approval. Status: Needs review → Pending approval. "
        f"Still open: {PRICE}."
    ]
    html = page.content.decode()
    # Moving on is its own step: the next invoice in review (the one this was in), key n,
    # once on the page (the stepper's link then has no key of its own).
    assert page.context["next_item"] == second.pk
    assert f'href="{_detail(second.pk)}" data-key="n" rel="next">Next invoice in review' in html
    assert html.count('data-key="n"') == 1
    first.refresh_from_db()
    assert first.status == Status.PENDING_APPROVAL


def test_take_and_hold_say_the_new_assignee_and_hold(client, clerk):
    (invoice,) = make_queue(1)
    client.force_login(clerk)
    url = reverse("invoice_act", args=[invoice.pk])

    taken = client.post(url, {"action": "take"}, follow=True)
    held = client.post(url, {"action": "hold", "comment": "Asked for a credit note."}, follow=True)

    assert _messages(taken) == [
        f"Invoice #{invoice.pk}: now on your list. Status: Needs review (unchanged). "
        f"On clara's list. Still open: {PRICE}."
    ]
    assert _messages(held) == [
        f"Invoice #{invoice.pk}: held. Status: Needs review (unchanged). "
        f"Held: Asked for a credit note. Still open: {PRICE}."
    ]
    assert held.redirect_chain == [(_detail(invoice.pk, "needs_review"), 302)]


def test_accept_says_the_exception_it_cleared(client, clerk):
    (invoice,) = make_queue(1)
    client.force_login(clerk)

    page = client.post(
        reverse("invoice_act", args=[invoice.pk]),
        {"action": "accept", "code": "PRICE_VARIANCE", "reason_code": "contract_price"},
        follow=True,
    )

    (message,) = _messages(page)
    assert message.startswith(f"Invoice #{invoice.pk}: variance accepted. Status: Needs review")
    assert f"Cleared: {PRICE}. No open exceptions." in message


def test_match_again_says_the_outcome_once_the_worker_has_matched(client, clerk):
    vendor = make_vendor()
    make_purchase_order(vendor)
    line = DemoLine("P-100", "Printer paper A4, box", Decimal(10), Decimal("26.00"), Decimal(19))
    data = pdf_invoice(demo_invoice(vendor, lines=[line]), "classic")
    invoice = receive(data, name="inv.pdf", channel="upload", actor="test").invoice
    invoice = pipeline.advance(invoice.pk)
    assert [e.code for e in invoice.open_exceptions()] == ["PRICE_VARIANCE"]
    client.force_login(clerk)

    response = client.post(reverse("invoice_act", args=[invoice.pk]), {"action": "rematch"})
    waiting = client.get(response["Location"])
    pipeline.advance(invoice.pk)  # the worker's job
    done = client.get(response["Location"])
    again = client.get(response["Location"])

    assert response["Location"] == _detail(invoice.pk, "needs_review")
    assert _messages(waiting) == [
        f"Invoice #{invoice.pk}: being matched again; this page shows the outcome when it is done."
    ]
    assert waiting.context["in_progress"]
    assert waiting.context["awaiting_outcome"]
    assert "when matching is done" in waiting.content.decode()
    assert _messages(done) == [
        f"Invoice #{invoice.pk}: matched again. Status: Needs review (unchanged). "
        f"Still open: {PRICE}."
    ]
    assert _messages(again) == []  # said once
    assert not again.context["awaiting_outcome"]


def test_a_refused_action_stays_without_offering_to_move_on(client, clerk):
    (invoice,) = make_queue(1)
    client.force_login(clerk)

    response = client.post(
        reverse("invoice_act", args=[invoice.pk]), {"action": "send_for_approval"}
    )

    assert response["Location"] == _detail(invoice.pk)  # nothing was done
    page = client.get(response["Location"])
    assert "needs a comment" in " ".join(_messages(page))
    assert 'class="next-step"' not in page.content.decode()


def test_an_action_posted_from_the_work_queue_goes_back_there(client, clerk):
    (invoice,) = make_queue(1)
    client.force_login(clerk)
    queue = reverse("work_queue") + "?code=PRICE_VARIANCE"

    response = client.post(
        reverse("invoice_act", args=[invoice.pk]), {"action": "take", "next": queue}
    )
    elsewhere = client.post(
        reverse("invoice_act", args=[invoice.pk]),
        {"action": "take", "next": "//evil.example/"},
    )

    assert response["Location"] == queue
    assert elsewhere["Location"] == reverse("work_queue")  # only a path on this site


def test_a_decision_stays_on_the_invoice_with_the_state_it_left(client, clerk, approver):
    invoices = make_queue(2, code="")
    for invoice in invoices:  # routed as in production: the approvers' level waits
        triage.send_for_approval(invoice, clerk)
    client.force_login(approver)

    response = client.post(
        reverse("invoice_decide", args=[invoices[0].pk]),
        {"decision": "reject", "comment": "Wrong company on the invoice"},
    )
    page = client.get(response["Location"])

    assert response["Location"] == _detail(invoices[0].pk, "pending_approval")
    (message,) = _messages(page)
    assert message.endswith("Status: Pending approval → Rejected.")
    assert page.context["next_item"] == invoices[1].pk
    assert "Next invoice waiting for approval" in page.content.decode()


def test_next_follows_the_queue_the_invoice_was_in(clerk):
    first, second = make_queue(2)
    (pending,) = make_queue(1, status=Status.PENDING_APPROVAL, code="")
    triage.send_for_approval(first, clerk, "Agreed with purchasing")
    first.refresh_from_db()

    assert neighbours(first) == (None, pending.pk)  # by its own status, now
    assert neighbours(first, "needs_review") == (None, second.pk)  # the queue it was in
    assert neighbours(first, "posted") == (None, pending.pk)  # not a queue: ignored


def test_describe_names_each_change():
    before = {"status": "needs_review", "open": ["DUPLICATE", "PRICE_VARIANCE"]}

    class Now:  # what snapshot() reads, without the database
        status = Status.PENDING_APPROVAL
        assignee_id = None
        hold_reason = ""

        def open_exceptions(self):
            class Codes:
                def values_list(self, *args, **kwargs):
                    return ["PRICE_VARIANCE", "NOT_RECEIVED"]

            return Codes()

    label = exception_codes.label
    assert action_results.describe(before, Now()) == (
        f"Status: Needs review → Pending approval. Cleared: {label('DUPLICATE')}. "
        f"New: {label('NOT_RECEIVED')}. Still open: {PRICE}."
    )
