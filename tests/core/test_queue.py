"""The work queue and the clerk's actions: filters, counts, keyset pages, no N+1, every
action checked on the server and audited, the embed layout and proxy sign-on."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import triage
from audit.models import AuditEvent
from core.models import Invoice, Status
from tests.factories import make_queue, make_vendor

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:
    return [invoice.pk for invoice in response.context["rows"]]


def test_the_queue_holds_what_waits_for_a_person_with_counts_per_code(client, clerk):
    waiting = make_queue(3)
    make_queue(2, code="NOT_RECEIVED")
    approval = make_queue(1, status=Status.PENDING_APPROVAL, code="")
    make_queue(2, status=Status.POSTED, code="")
    client.force_login(clerk)

    response = client.get(reverse("work_queue"))

    assert len(_ids(response)) == 6
    assert approval[0].pk in _ids(response)
    assert dict(response.context["code_counts"]) == {"NOT_RECEIVED": 2, "PRICE_VARIANCE": 3}
    page = response.content.decode()
    assert "PRICE_VARIANCE" in page
    assert "NOT_RECEIVED" in page
    filtered = client.get(reverse("work_queue"), {"code": "PRICE_VARIANCE"})
    assert _ids(filtered) == [invoice.pk for invoice in waiting]


def test_filters_combine(client, clerk):
    acme = make_vendor(name="Acme GmbH")
    other = make_vendor(name="Other AG", vat_id="DE1", external_id="V-9")
    cheap = make_queue(2, vendor=acme, amount=Decimal(50))
    dear = make_queue(2, vendor=acme, amount=Decimal(5000))
    make_queue(2, vendor=other, amount=Decimal(5000))
    old = dear[0]
    Invoice.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=10))
    Invoice.objects.filter(pk=cheap[0].pk).update(assignee=clerk, hold_reason="")
    Invoice.objects.filter(pk=cheap[1].pk).update(hold_reason="Waiting for a credit note")
    client.force_login(clerk)

    def ids(**params):
        return _ids(client.get(reverse("work_queue"), params))

    assert set(ids(vendor="acme", min="1000")) == {d.pk for d in dear}
    assert ids(vendor="acme", max="100") == [cheap[0].pk]  # the held one is hidden
    assert ids(held="only") == [cheap[1].pk]
    assert ids(older_than_days="7") == [old.pk]
    assert ids(assignee="me") == [cheap[0].pk]
    assert cheap[0].pk not in ids(assignee="none")


def test_the_vendor_filter_finds_the_master_vendor_and_names_read_on_unknown_ones(client, clerk):
    acme = make_vendor(name="Acme GmbH")
    known = make_queue(1, vendor=acme)
    unknown = make_queue(1, vendor=acme)
    Invoice.objects.filter(pk=unknown[0].pk).update(vendor=None, vendor_name="ACME Gmbh (read)")
    Invoice.objects.filter(pk=known[0].pk).update(vendor_name="A.C.M.E. as printed")
    client.force_login(clerk)

    found = _ids(client.get(reverse("work_queue"), {"vendor": "acme"}))

    assert sorted(found) == sorted([known[0].pk, unknown[0].pk])


def test_pages_by_keyset_in_every_sort_without_gaps_or_repeats(client, clerk):
    invoices = make_queue(120)
    client.force_login(clerk)
    for sort, expected in (
        ("oldest", [i.pk for i in invoices]),
        ("newest", [i.pk for i in reversed(invoices)]),
        ("amount_high", [i.pk for i in sorted(invoices, key=lambda i: (-i.total_amount, -i.pk))]),
    ):
        seen, params = [], {"sort": sort}
        while True:
            response = client.get(reverse("work_queue"), params)
            seen += _ids(response)
            if not response.context["cursor"]:
                break
            params = {"sort": sort, "after": response.context["cursor"]}
        assert seen == expected, sort


def test_a_page_of_fifty_costs_the_same_queries_as_a_page_of_five(client, clerk):
    make_queue(5)
    client.force_login(clerk)
    client.get(reverse("work_queue"))  # session and permission caches warm
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("work_queue"))
    make_queue(60, code="NOT_RECEIVED")
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("work_queue"))

    assert len(large) == len(small)


def test_the_first_page_asks_for_new_items_and_gets_rows_only(client, clerk):
    make_queue(2)
    client.force_login(clerk)

    page = client.get(reverse("work_queue")).content.decode()
    rows = client.get(reverse("work_queue"), {"fragment": "rows"}).content.decode()

    assert 'hx-trigger="every 15s"' in page
    assert "<html" not in rows
    assert '<tr id="queue-' in rows


def test_bulk_assign_send_for_approval_and_duplicate(client, clerk):
    first, second, third = make_queue(3)
    client.force_login(clerk)
    url = reverse("work_queue")

    bulk = reverse("queue_bulk")
    client.post(bulk, {"ids": [first.pk, second.pk], "action": "assign", "assignee": clerk.pk})
    client.post(bulk, {"ids": [first.pk], "action": "send_for_approval", "comment": "agreed"})
    client.post(bulk, {"ids": [third.pk], "action": "duplicate", "next": url})

    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert (first.assignee, second.assignee) == (clerk, clerk)
    assert first.status == Status.PENDING_APPROVAL
    assert third.status == Status.DUPLICATE
    assert AuditEvent.objects.filter(action="invoice.assigned").count() == 2


def test_accepting_a_variance_needs_a_reason_and_sends_the_invoice_to_an_approver(clerk):
    (invoice,) = make_queue(1)

    with pytest.raises(triage.ValidationError, match="Choose why"):
        triage.accept_variance(invoice, clerk, "PRICE_VARIANCE", "", "")
    moved = triage.accept_variance(invoice, clerk, "PRICE_VARIANCE", "price_agreed", "per call")

    invoice.refresh_from_db()
    assert moved
    assert invoice.status == Status.PENDING_APPROVAL
    finding = invoice.exceptions.get()
    assert finding.resolved_by == clerk
    assert finding.details["accepted"]["reason_code"] == "price_agreed"
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.variance_accepted")
    assert event.actor == clerk.username
    assert event.payload["comment"] == "per call"


def test_fixed_findings_cannot_be_accepted_and_only_clerks_accept(clerk, approver):
    (invoice,) = make_queue(1, code="BANK_DETAILS_CHANGED")

    with pytest.raises(triage.ValidationError, match="cannot be accepted"):
        triage.accept_variance(invoice, clerk, "BANK_DETAILS_CHANGED", "other", "x")
    with pytest.raises(triage.PermissionDenied):
        triage.accept_variance(invoice, approver, "BANK_DETAILS_CHANGED", "other", "x")


def test_holding_and_sending_on_say_why(clerk):
    (invoice,) = make_queue(1)

    with pytest.raises(triage.ValidationError, match="Say why"):
        triage.hold(invoice, clerk, " ")
    triage.hold(invoice, clerk, "Asked the vendor for a credit note")
    with pytest.raises(triage.ValidationError, match="needs a comment"):
        triage.send_for_approval(invoice, clerk, "")
    triage.reject_to_vendor(invoice, clerk, "Wrong legal entity on the invoice")

    invoice.refresh_from_db()
    assert invoice.hold_reason == "Asked the vendor for a credit note"
    assert invoice.status == Status.REJECTED
    assert not invoice.open_exceptions().exists()
    actions = list(
        AuditEvent.objects.filter(invoice_id=invoice.pk).values_list("action", flat=True)
    )
    assert "invoice.held" in actions
    assert "invoice.rejected" in actions


def test_an_action_on_the_invoice_screen_stays_and_offers_the_next_item(client, clerk):
    # Issue 19: actions used to jump to the next invoice, so their result was never seen;
    # now the same invoice stays open with the result, and the next one is a key away.
    first, second = make_queue(2)
    client.force_login(clerk)

    response = client.post(
        reverse("invoice_act", args=[first.pk]),
        {"action": "accept", "code": "PRICE_VARIANCE", "reason_code": "contract_price"},
    )

    assert response["Location"] == reverse("invoice_detail", args=[first.pk]) + (
        "?from=needs_review"
    )
    page = client.get(response["Location"]).content.decode()
    assert f"Invoice #{first.pk}: variance accepted." in page
    next_link = f'href="{reverse("invoice_detail", args=[second.pk])}" data-key="n"'
    assert next_link in page  # the next invoice in review, one key away
    assert 'data-key="a"' in client.get(next_link.split('"')[1]).content.decode()
    first.refresh_from_db()
    assert first.status == Status.PENDING_APPROVAL


def test_the_invoice_screen_shows_pages_with_field_boxes_and_the_match(client, clerk):
    from core import pipeline
    from core.demo_pdf import pdf_invoice
    from extraction.intake import receive
    from tests.factories import demo_invoice, make_purchase_order

    vendor = make_vendor()
    make_purchase_order(vendor)
    data = pdf_invoice(demo_invoice(vendor), "classic")
    invoice = receive(data, name="inv.pdf", channel="upload", actor="test").invoice
    invoice = pipeline.advance(invoice.pk)
    client.force_login(clerk)

    page = client.get(reverse("invoice_detail", args=[invoice.pk]), {"field": "total_amount"})
    html = page.content.decode()
    png = client.get(reverse("document_page", args=[invoice.document_id, 1]))

    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert 'class="fieldbox active" id="box-total_amount"' in html  # shown without JavaScript
    assert 'href="?field=invoice_number#box-invoice_number"' in html
    assert client.get(reverse("document_page", args=[invoice.document_id, 9])).status_code == 404
    assert page.context["match"]["rows"][0]["po_line"].po_number == "4500001"


def test_the_embed_layout_may_be_framed_by_the_intranet_and_others_may_not(client, clerk, settings):
    settings.EMBED_FRAME_ANCESTORS = "'self' https://intranet.example"
    client.force_login(clerk)

    normal = client.get(reverse("work_queue"))
    client.get(reverse("embed"), follow=True)
    framed = client.get(reverse("work_queue"))

    assert normal["X-Frame-Options"] == "DENY"
    assert 'class="mainnav"' in normal.content.decode()
    assert "X-Frame-Options" not in framed
    assert "frame-ancestors 'self' https://intranet.example" in framed["Content-Security-Policy"]
    assert 'class="embedbar"' in framed.content.decode()
    assert 'class="mainnav"' not in framed.content.decode()
    client.get(reverse("work_queue"), {"embed": "0"})
    assert client.get(reverse("work_queue"))["X-Frame-Options"] == "DENY"


def test_single_sign_on_by_the_proxy_header_when_turned_on(settings, clerk):
    settings.REMOTE_USER_HEADER = "HTTP_X_REMOTE_USER"
    after = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE[:after],
        "core.middleware.ProxyRemoteUserMiddleware",
        *settings.MIDDLEWARE[after:],
    ]
    settings.AUTHENTICATION_BACKENDS = [
        "core.middleware.KnownRemoteUserBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    browser = Client()

    signed_in = browser.get(reverse("work_queue"), headers={"X-Remote-User": clerk.username})
    stranger = Client().get(reverse("work_queue"), headers={"X-Remote-User": "mallory"})

    assert signed_in.status_code == 200
    assert signed_in.context["user"] == clerk
    assert stranger.status_code == 302  # unknown names are not created: to the login page


def test_sign_on_by_header_is_off_by_default(clerk):
    response = Client().get(reverse("work_queue"), headers={"X-Remote-User": clerk.username})

    assert response.status_code == 302
