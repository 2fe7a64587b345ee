"""Exchange rates as data (issue 19 item 6): imported from the ECB's reference rates or a
plain currency,rate,date file (bad rows reported, good ones kept, cross rates when the
company currency is not EUR), chosen by the invoice date (BT-2), audited, and named in the
approval route's reason on the invoice screen; a missing rate is said, not silent."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from approvals import chains, triage
from audit.models import AuditEvent
from core import exchange_rates
from core.models import ExchangeRate, Invoice
from tests.factories import make_queue

pytestmark = pytest.mark.django_db

# The ECB's eurofxref.csv as published (one day, a trailing comma on each line).
ECB_DAILY = (
    "Date, USD, JPY, BGN, CZK, DKK, GBP, CHF, \n"
    "27 November 2026, 1.0800, 161.57, 1.9558, 25.301, 7.4590, 0.8400, 0.9500, \n"
)
# eurofxref-hist.csv: ISO dates, newest first, N/A where the ECB has no rate.
ECB_HISTORY = (
    "Date,USD,JPY,CHF,CYP,\n"
    "2026-11-27,1.0800,161.57,0.9500,N/A,\n"
    "2026-11-26,1.0500,160.00,0.9400,N/A,\n"
    "26.11.2026,1.0,1.0,1.0,N/A,\n"  # not a date the ECB writes: refused, the rest kept
    "2026-11-25,1.0400,abc,0.9300,N/A,\n"  # a bad value: refused alone
)


@pytest.fixture(autouse=True)
def _no_setting_rates(settings):
    settings.EXCHANGE_RATES = {}
    settings.COMPANY_CURRENCY = "EUR"


def rates():
    return {
        (row.currency, row.base_currency, row.valid_from): row.rate
        for row in ExchangeRate.objects.all()
    }


def test_the_ecb_daily_file_is_imported_as_rates_into_the_euro(tmp_path, capsys):
    path = tmp_path / "eurofxref.csv"
    path.write_text(ECB_DAILY)

    call_command("import_exchange_rates", str(path))

    day = date(2026, 11, 27)
    stored = rates()
    assert len(stored) == 7
    # 1 EUR = 1.08 USD, so 1 USD = 1 / 1.08 EUR.
    assert stored["USD", "EUR", day] == Decimal("0.9259259259")
    assert stored["JPY", "EUR", day] == Decimal("0.0061892678")
    usd = ExchangeRate.objects.get(currency="USD")
    assert usd.source == exchange_rates.ECB
    assert "7 created, 0 updated, 0 unchanged, 0 refused" in capsys.readouterr().out
    event = AuditEvent.objects.get(
        action="masterdata.exchange_rate_created", payload__key="USD/EUR 2026-11-27"
    )
    assert event.payload["source"] == "import:eurofxref.csv"
    assert event.payload["changes"]["rate"] == {"from": None, "to": "0.9259259259"}
    assert usd.history.count() == 1

    # The same file again changes nothing and writes no event.
    call_command("import_exchange_rates", str(path))
    assert AuditEvent.objects.filter(action__startswith="masterdata.exchange_rate").count() == 7


def test_bad_rows_and_values_are_reported_and_the_good_ones_kept(tmp_path, capsys):
    path = tmp_path / "eurofxref-hist.csv"
    path.write_text(ECB_HISTORY)

    with pytest.raises(CommandError, match="2 row"):
        call_command("import_exchange_rates", str(path))

    err = capsys.readouterr().err
    assert "line 4: '26.11.2026' is not a date" in err
    assert "line 5: JPY 'abc' is not a positive number" in err
    stored = rates()
    assert {day for (_, _, day) in stored} == {
        date(2026, 11, 27), date(2026, 11, 26), date(2026, 11, 25)
    }  # fmt: skip
    assert ("JPY", "EUR", date(2026, 11, 25)) not in stored  # the bad value alone is left out
    assert stored["USD", "EUR", date(2026, 11, 25)] == Decimal("0.9615384615")
    assert not any(code == "CYP" for (code, _, _) in stored)  # N/A: no rate, no error


def test_cross_rates_when_the_company_currency_is_not_the_euro(tmp_path, settings):
    settings.COMPANY_CURRENCY = "CHF"
    path = tmp_path / "eurofxref.csv"
    path.write_text(ECB_DAILY)

    call_command("import_exchange_rates", str(path))

    day = date(2026, 11, 27)
    stored = rates()
    assert all(base == "CHF" for (_, base, _) in stored)
    assert ("CHF", "CHF", day) not in stored
    # 1 USD = (CHF per EUR) / (USD per EUR) = 0.95 / 1.08 CHF; 1 EUR = 0.95 CHF.
    assert stored["USD", "CHF", day] == Decimal("0.8796296296")
    assert stored["EUR", "CHF", day] == Decimal("0.9500000000")
    assert stored["GBP", "CHF", day] == Decimal("1.1309523810")
    assert "cross rate through EUR" in ExchangeRate.objects.get(currency="USD").source


def test_a_day_without_the_company_currency_cannot_give_cross_rates(settings):
    settings.COMPANY_CURRENCY = "CHF"
    report = exchange_rates.import_rates(
        "Date,USD,CHF\n2026-11-27,1.08,N/A\n2026-11-26,1.05,0.94\n", name="f.csv", actor="t"
    )
    assert report.problems == [
        "line 2: no CHF rate on 2026-11-27, so no rate in CHF can be worked out from this "
        "day's euro rates."
    ]
    assert rates() == {
        ("USD", "CHF", date(2026, 11, 26)): Decimal("0.8952380952"),
        ("EUR", "CHF", date(2026, 11, 26)): Decimal("0.9400000000"),
    }


def test_the_plain_layout_with_its_errors(tmp_path, capsys):
    path = tmp_path / "treasury.csv"
    path.write_text(
        "currency,rate,date,source\n"
        "USD,0.92,2026-11-01,Treasury memo 11/2026\n"
        "GBP,1.17,2026-11-01\n"
        "usd,0.93,2026-11-15,\n"
        "EUR,1,2026-11-01,\n"
        "XX,abc,yesterday,\n"
        "CHF\n"
    )

    with pytest.raises(CommandError, match="3 row"):
        call_command("import_exchange_rates", str(path))

    err = capsys.readouterr().err
    assert "line 5: EUR is the company currency." in err
    assert "line 6: 'XX' is not a currency code; 'abc' is not a positive number; " in err
    assert "line 7: expected currency, rate and date" in err
    assert rates() == {
        ("USD", "EUR", date(2026, 11, 1)): Decimal("0.9200000000"),
        ("GBP", "EUR", date(2026, 11, 1)): Decimal("1.1700000000"),
        ("USD", "EUR", date(2026, 11, 15)): Decimal("0.9300000000"),
    }
    assert ExchangeRate.objects.get(currency="USD", valid_from=date(2026, 11, 1)).source == (
        "Treasury memo 11/2026"
    )


def test_a_file_of_another_layout_is_refused_whole(tmp_path, capsys):
    path = tmp_path / "rates.csv"
    path.write_text("code;value\nUSD;0.9\n")
    with pytest.raises(CommandError):
        call_command("import_exchange_rates", str(path))
    assert "neither the ECB's" in capsys.readouterr().err
    assert not ExchangeRate.objects.exists()


def test_the_rate_valid_on_the_invoice_date_or_the_latest_before(settings):
    for day, rate in ((date(2026, 11, 1), "0.90"), (date(2026, 11, 15), "0.95")):
        ExchangeRate.objects.create(currency="USD", rate=Decimal(rate), valid_from=day)

    assert exchange_rates.rate_on("USD", date(2026, 11, 1)).rate == Decimal("0.90")
    assert exchange_rates.rate_on("USD", date(2026, 11, 14)).rate == Decimal("0.90")
    assert exchange_rates.rate_on("USD", date(2026, 11, 15)).rate == Decimal("0.95")
    assert exchange_rates.rate_on("USD", date(2027, 1, 1)).valid_from == date(2026, 11, 15)
    assert exchange_rates.rate_on("USD", date(2026, 10, 31)).missing
    assert exchange_rates.rate_on("EUR", date(2026, 10, 31)).rate == 1
    # The setting is only the fallback, undated and said as such.
    settings.EXCHANGE_RATES = {"USD": Decimal("0.5")}
    before = exchange_rates.rate_on("USD", date(2026, 10, 31))
    assert (before.rate, before.valid_from, before.source) == (
        Decimal("0.5"), None, exchange_rates.SETTING
    )  # fmt: skip
    assert exchange_rates.rate_on("USD", date(2026, 11, 2)).rate == Decimal("0.90")


def usd_invoice(amount: str, day: date | None) -> Invoice:
    (invoice,) = make_queue(1, code="", amount=Decimal(amount))
    Invoice.objects.filter(pk=invoice.pk).update(currency="USD", invoice_date=day)
    invoice.refresh_from_db()
    return invoice


def test_routing_uses_the_rate_of_the_invoice_date_and_its_reason_names_it(clerk, client):
    ExchangeRate.objects.create(
        currency="USD", rate=Decimal("0.5"), valid_from=date(2026, 11, 1), source="Treasury"
    )
    ExchangeRate.objects.create(
        currency="USD", rate=Decimal("0.9"), valid_from=date(2026, 12, 1), source="Treasury"
    )
    # 40,000 USD on 20 Nov is 20,000 EUR at that day's rate: under the 25,000 band; at the
    # later rate it would be 36,000 EUR.
    invoice = usd_invoice("40000.00", date(2026, 11, 20))

    triage.send_for_approval(invoice, clerk)

    route = chains.open_route(invoice)
    assert route.rule_name == "Default: one approver"
    assert route.reason.endswith(
        "Amount in EUR: 40,000.00 USD is 20,000.00 EUR at 0.5 EUR per USD (rate valid from "
        "1 Nov 2026, for the invoice date 20 Nov 2026; source: Treasury)."
    )
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.pending_approval")
    assert event.payload["inputs"]["amount_company_currency"] == "20000.00"
    assert event.payload["inputs"]["exchange_rate"]["valid_from"] == "2026-11-01"
    assert event.payload["inputs"]["exchange_rate"]["rate"] == "0.5"

    client.force_login(clerk)
    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert "40,000.00 USD is 20,000.00 EUR at 0.5 EUR per USD" in page


def test_a_missing_rate_is_said_on_the_route_and_a_rate_added_later_routes_it_again(
    clerk, admin_client
):
    invoice = usd_invoice("4.11", date(2026, 11, 3))

    triage.send_for_approval(invoice, clerk)

    route = chains.open_route(invoice)
    # Taken as above every band (the control is never lowered by a missing rate) ...
    assert route.rule_name == "25,000 and over: an approver, then an admin"
    # ... and said, with what to do.
    assert (
        "No exchange rate from USD to EUR is known on or before 3 Nov 2026 (the invoice date), "
        "so the amount in EUR is unknown and the invoice was routed as above every amount band"
    ) in route.reason
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.pending_approval")
    assert event.payload["inputs"]["exchange_rate"]["rate"] is None

    # An admin adds the rate: the invoice, not yet decided, gets the route it should have.
    response = admin_client.post(
        reverse("admin:core_exchangerate_add"),
        {"currency": "usd", "base_currency": "EUR", "rate": "0.92", "valid_from": "2026-11-01",
         "source": "ECB euro reference rate"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]

    rate = ExchangeRate.objects.get()
    assert rate.currency == "USD"
    route = chains.open_route(invoice)
    assert route.rule_name == "Default: one approver"
    assert "4.11 USD is 3.78 EUR at 0.92 EUR per USD (rate valid from 1 Nov 2026" in route.reason
    assert AuditEvent.objects.filter(
        action="masterdata.exchange_rate_created", payload__key="USD/EUR 2026-11-01"
    ).exists()
    rerouted = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.rerouted")
    assert rerouted.payload["previous"]["policy"].startswith("25,000 and over")
    assert rerouted.payload["policy"].startswith("Default: one approver")


def test_a_route_with_a_decision_on_it_is_not_routed_again(clerk, approver):
    from approvals import decisions

    invoice = usd_invoice("30000.00", date(2026, 11, 3))
    triage.send_for_approval(invoice, clerk)
    route = chains.open_route(invoice)
    assert route.rule_name.startswith("25,000 and over")
    assert decisions.approve(invoice, approver, "fine") is False  # level 1 of 2 decided
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), valid_from=date(2026, 11, 1))

    assert chains.reroute_for_rates(["USD"], actor="ada") == []
    assert chains.open_route(invoice).pk == route.pk


def test_an_invoice_without_a_date_uses_the_day_it_was_received():
    ExchangeRate.objects.create(currency="USD", rate=Decimal("0.5"), valid_from=date(2000, 1, 1))
    invoice = usd_invoice("100.00", None)
    converted = chains.conversion(invoice)
    assert converted.day_is == "the day it was received"
    assert chains.company_amount(invoice) == Decimal("50.00")


def test_the_demo_seeds_rates(settings):
    from core import demo

    demo.seed_master_data()
    demo.seed_master_data()  # idempotent
    seeded = ExchangeRate.objects.filter(base_currency="EUR")
    assert {"USD", "GBP", "CHF"} <= set(seeded.values_list("currency", flat=True))
    days = {day for day, _ in demo.EXCHANGE_RATES_PER_EUR}
    assert set(seeded.values_list("valid_from", flat=True)) == days
    # The demo's invoices (November 2026) find a rate on their date.
    assert not exchange_rates.rate_on("USD", date(2026, 11, 3)).missing


def test_the_admin_lists_rates_with_their_history(admin_client):
    rate = ExchangeRate.objects.create(
        currency="USD", rate=Decimal("0.92"), valid_from=date(2026, 11, 1), source="ECB"
    )
    response = admin_client.post(
        reverse("admin:core_exchangerate_change", args=[rate.pk]),
        {"currency": "USD", "base_currency": "EUR", "rate": "0.93", "valid_from": "2026-11-01",
         "source": "ECB, corrected"},
    )  # fmt: skip
    assert response.status_code == 302

    page = admin_client.get(reverse("admin:core_exchangerate_changelist")).content.decode()
    assert "0.9300000000" in page
    assert "ECB, corrected" in page
    history = admin_client.get(reverse("admin:core_exchangerate_history", args=[rate.pk]))
    assert history.status_code == 200
    assert rate.history.count() == 2
    event = AuditEvent.objects.get(action="masterdata.exchange_rate_updated")
    said = event.payload["changes"]["rate"]
    assert (Decimal(said["from"]), Decimal(said["to"])) == (Decimal("0.92"), Decimal("0.93"))
    assert event.payload["source"] == "admin"

    refused = admin_client.post(
        reverse("admin:core_exchangerate_add"),
        {"currency": "EUR", "base_currency": "EUR", "rate": "0", "valid_from": "2026-11-01"},
    )
    assert refused.status_code == 200
    assert "A currency has no rate to itself." in refused.content.decode()
    assert "A rate is above zero." in refused.content.decode()
