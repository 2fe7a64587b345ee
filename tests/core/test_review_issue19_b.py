"""Break-it review of issue 19 (items 4-8): each test shows a defect found in review, fixed.

- Re-routing after a rate change must leave alone an invoice whose conversion did not
  change (a daily ECB import must not restart every waiting invoice's route and SLA clock,
  nor rewrite its reason to "it was sent for approval by a person").
- A reference-rate file with an absurd figure is reported by line, not a crash.
- Amounts never read "-0.00 EUR" or "NaN.00 EUR".
"""

from datetime import date
from decimal import Decimal

import pytest

from approvals import chains, routing
from audit import chain
from audit.models import AuditEvent
from core import exchange_rates
from core.formatting import BLANK, format_amount, format_number
from core.models import ExchangeRate, Invoice, Status
from tests.factories import make_queue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_setting_rates(settings):
    settings.EXCHANGE_RATES = {}
    settings.COMPANY_CURRENCY = "EUR"


def _usd_invoice(amount: str, day: date) -> Invoice:
    (invoice,) = make_queue(1, code="", amount=Decimal(amount))
    Invoice.objects.filter(pk=invoice.pk).update(currency="USD", invoice_date=day)
    invoice.refresh_from_db()
    return invoice


def test_a_rate_that_does_not_apply_to_a_waiting_invoice_leaves_its_route_alone():
    ExchangeRate.objects.create(
        currency="USD", rate=Decimal("0.5"), valid_from=date(2026, 11, 1), source="ECB"
    )
    invoice = _usd_invoice("100.00", date(2026, 11, 20))
    routing.route_invoice(invoice)  # the pipeline's routing, as after matching
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    route = chains.open_route(invoice)
    reason = route.reason
    assert "It was sent for approval by a person" not in reason

    # Tomorrow's ECB file: a rate valid from a day after the invoice date. Nothing about
    # this invoice's conversion changed, so its route (and the SLA clock) stays.
    ExchangeRate.objects.create(
        currency="USD", rate=Decimal("0.6"), valid_from=date(2026, 11, 21), source="ECB"
    )
    assert chains.reroute_for_rates(["USD"], actor="import:eurofxref.csv") == []
    assert chains.open_route(invoice).pk == route.pk
    assert not AuditEvent.objects.filter(action="invoice.rerouted").exists()

    # A corrected rate for its day does change the conversion: routed again, and the new
    # reason keeps why it needs a person (not "sent for approval by a person").
    ExchangeRate.objects.filter(valid_from=date(2026, 11, 1)).update(rate=Decimal("0.55"))
    assert chains.reroute_for_rates(["USD"], actor="ada") == [invoice.pk]
    new = chains.open_route(invoice)
    assert new.pk != route.pk
    assert "100.00 USD is 55.00 EUR at 0.55 EUR per USD" in new.reason
    assert "It was sent for approval by a person" not in new.reason
    assert new.reason.split(".")[0] == reason.split(".")[0]


def test_a_route_decided_after_it_was_listed_is_not_routed_again(clerk, approver, monkeypatch):
    """The re-check under the invoice's lock: a decision recorded between the listing of
    undecided routes and the re-routing keeps the route (an approval is not taken back)."""
    from approvals import decisions, triage

    invoice = _usd_invoice("30000.00", date(2026, 11, 3))
    triage.send_for_approval(invoice, clerk)
    route = chains.open_route(invoice)
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), valid_from=date(2026, 11, 1))

    real_plan = chains.plan
    decided = []

    def plan_after_a_decision(inv, **kwargs):
        if not decided:  # the approver decides while the rates are being imported
            decided.append(decisions.approve(Invoice.objects.get(pk=inv.pk), approver, "ok"))
        return real_plan(inv, **kwargs)

    monkeypatch.setattr(chains, "plan", plan_after_a_decision)
    assert chains.reroute_for_rates(["USD"], actor="ada") == []
    assert chains.open_route(invoice).pk == route.pk
    assert route.decisions.count() == 1


@pytest.mark.parametrize(
    "text",
    [
        "currency,rate,date\nUSD,1e30,2026-11-01\nGBP,1.15,2026-11-01\n",
        "currency,rate,date\nUSD,123456789012345678,2026-11-01\nGBP,1.15,2026-11-01\n",
        "Date,USD,GBP,\n2026-11-01,1e-30,0.85,\n",
    ],
)
def test_an_absurd_rate_is_refused_by_line_and_the_rest_imported(text):
    report = exchange_rates.import_rates(text, name="rates.csv", actor="ada")

    assert len(report.problems) == 1, report.problems
    assert report.problems[0].startswith("line 2: ")
    assert ExchangeRate.objects.filter(currency="GBP").exists()
    assert not ExchangeRate.objects.filter(currency="USD").exists()


def test_amounts_never_read_minus_zero_or_nan():
    assert format_amount(Decimal("0.00") * -1, "EUR") == "0.00 EUR"
    assert format_amount(Decimal("-0.004"), "EUR") == "0.00 EUR"
    assert format_amount(Decimal("-0.01"), "EUR") == "-0.01 EUR"
    assert format_amount(Decimal("NaN"), "EUR") == BLANK
    assert format_amount(float("inf"), "EUR") == BLANK
    assert format_number(Decimal("-0")) == "0"
    assert format_number(float("nan")) == BLANK


@pytest.mark.parametrize("wanted", ["#99999999999999999999999", "²", "#١٢"])
def test_the_audit_log_invoice_filter_takes_any_text_without_an_error(compliance, client, wanted):
    from django.urls import reverse

    (invoice,) = make_queue(1, code="")
    chain.record("invoice.held", actor="clara", invoice_id=invoice.pk, payload={})
    client.force_login(compliance)

    page = client.get(reverse("audit_home"), {"invoice": wanted})
    assert page.status_code == 200
    assert list(page.context["page"].object_list) == []  # no invoice is so numbered
    export = client.get(reverse("events_export", args=["csv"]), {"invoice": wanted})
    assert export.status_code == 200
    assert b"invoice.held" not in b"".join(export.streaming_content)


def test_a_malformed_upload_to_the_api_is_answered_in_json(client):
    """A multipart body Django cannot parse is a 400 from Django's own handler, not a view:
    under /api/ it is JSON too, like every other answer there."""
    from core.models import ApiToken

    _, secret = ApiToken.issue("gateway", ["documents"])
    response = client.generic(
        "POST",
        "/api/v1/documents",
        b"--x\r\nnot a part",
        content_type="multipart/form-data",  # no boundary
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]


def test_a_clerk_requesting_the_vendor_of_an_invoice_touches_it():
    """Asking the vendor admins for a missing vendor from the invoice ("vendor.requested",
    core.vendors) is exception handling by a person: that invoice is not touchless, even
    when the vendor is then added and the invoice goes through without another click."""
    from datetime import UTC, datetime, timedelta

    from audit.kpis import Event, compute

    start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    ids = iter(range(1, 100))

    def event(invoice_id, action, hour, actor="system:pipeline", **payload):
        return Event(
            id=next(ids), created_at=start + timedelta(hours=hour), actor=actor, action=action,
            invoice_id=invoice_id, payload=payload,
        )  # fmt: skip

    def moved(invoice_id, source, target, hour, actor="system:pipeline"):
        return event(invoice_id, f"invoice.{target}", hour, actor, **{"from": source, "to": target})

    events = [
        event(1, "document.received", 0, "system:folder"),
        moved(1, "received", "needs_review", 1),
        event(1, "vendor.requested", 2, "clara", request_id=1),
        moved(1, "needs_review", "matched", 5, "system:matching"),
        moved(1, "matched", "approved", 6, "system:trust"),
        moved(1, "approved", "posted", 7, "erp:odoo"),
    ]
    report = compute(events, vendor_of={}, start=None, end=None, now=start + timedelta(days=1))
    assert report.touchless_rate == 0.0


def test_an_xml_e_invoice_sent_as_an_unnamed_text_xml_part_is_taken():
    """Some senders put the e-invoice in the mail as a text/xml part without a file name;
    it is not the message's own text and must not vanish (neither taken nor left out)."""
    from email.message import EmailMessage

    from extraction.channels.mailbox import attachments

    message = EmailMessage()
    message["Subject"] = "Invoice 4711"
    message.set_content("Please find our invoice attached.")
    ubl = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
        "<cbc:ID xmlns:cbc='x'>4711</cbc:ID></Invoice>"
    )
    message.add_attachment(ubl, subtype="xml", disposition="inline")

    found, left_out = attachments(message)
    assert [data.decode().count("<Invoice") for _, data in found] == [1]
    assert left_out == []


def test_the_conversion_sentence_writes_amounts_as_the_rest_of_the_reason():
    """One way of writing amounts in one sentence (issue 19 item 4): the policy writes
    "40,000.00 EUR", so the conversion beside it does too; a JPY amount has no decimals."""
    ExchangeRate.objects.create(
        currency="JPY", rate=Decimal("0.0061892678"), valid_from=date(2026, 11, 1)
    )
    said = exchange_rates.rate_on("JPY", date(2026, 11, 3)).sentence(Decimal("1234567"))
    assert said.startswith("1,234,567 JPY is 7,641.07 EUR at 0.0061892678 EUR per JPY")


def test_a_rate_moved_to_another_currency_in_the_admin_reroutes_the_old_currency_too(
    clerk, admin_client
):
    """A USD rate an admin re-keys as GBP (a typo fixed) no longer converts the USD
    invoices it routed: those are routed again (here: no rate is known any more)."""
    from django.urls import reverse

    from approvals import triage

    rate = ExchangeRate.objects.create(
        currency="USD", rate=Decimal("0.5"), valid_from=date(2026, 11, 1), source="memo"
    )
    invoice = _usd_invoice("100.00", date(2026, 11, 3))
    triage.send_for_approval(invoice, clerk)
    assert chains.open_route(invoice).rule_name == "Default: one approver"

    response = admin_client.post(
        reverse("admin:core_exchangerate_change", args=[rate.pk]),
        {"currency": "GBP", "base_currency": "EUR", "rate": "1.15", "valid_from": "2026-11-01",
         "source": "memo"},
    )  # fmt: skip
    assert response.status_code == 302

    route = chains.open_route(invoice)
    assert route.rule_name.startswith("25,000 and over")
    assert "No exchange rate from USD to EUR is known" in route.reason


def test_a_rate_keyed_on_the_company_currency_leaves_its_invoices_alone(admin_client):
    """An admin records 1 EUR in CHF (base CHF): the company-currency invoices waiting for
    approval convert as before (at 1), so none of them is routed again."""
    from django.urls import reverse

    (invoice,) = make_queue(1, code="")
    Invoice.objects.filter(pk=invoice.pk).update(invoice_date=date(2026, 11, 3))
    invoice.refresh_from_db()
    routing.route_invoice(invoice)
    route = chains.open_route(invoice)
    assert route is not None

    response = admin_client.post(
        reverse("admin:core_exchangerate_add"),
        {"currency": "EUR", "base_currency": "CHF", "rate": "0.95", "valid_from": "2026-11-01",
         "source": "memo"},
    )  # fmt: skip
    assert response.status_code == 302
    assert chains.open_route(invoice).pk == route.pk
    assert not AuditEvent.objects.filter(action="invoice.rerouted").exists()
