"""Issue 19, item 6, in a real headless Chromium: the approval card of an invoice in
another currency says which exchange rate decided its amount band (value, date it is valid
from, source), or that none was known and what was done, at 1280 and 1920 px.

Screenshots go to var/screenshots/, or where LEDGERLINE_SHOTS says.
"""

import os
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from approvals import triage
from core.models import ExchangeRate, Invoice
from tests.browser.conftest import SCREENSHOTS
from tests.factories import make_queue

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("LEDGERLINE_SHOTS", SCREENSHOTS))
PASSWORD = "rates-pass-123"


def _waiting(clerk, currency: str, amount: str) -> Invoice:
    (invoice,) = make_queue(1, code="", amount=Decimal(amount))
    Invoice.objects.filter(pk=invoice.pk).update(currency=currency, invoice_date=date(2026, 11, 3))
    invoice.refresh_from_db()
    triage.send_for_approval(invoice, clerk)
    return invoice


def test_the_route_reason_names_the_rate_or_the_missing_rate(page, live_server, settings):
    settings.EXCHANGE_RATES = {}
    clerk = User.objects.create_user("clara", password=PASSWORD)
    clerk.groups.add(Group.objects.get(name="clerk"))
    ExchangeRate.objects.create(
        currency="USD",
        rate=Decimal("0.9211"),
        valid_from=date(2026, 10, 30),
        source="ECB euro foreign exchange reference rates",
    )
    converted = _waiting(clerk, "USD", "4.11")
    unknown = _waiting(clerk, "CAD", "4.11")

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "clara")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/invoices/$"))

    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/invoices/{converted.pk}/")
        card = page.locator(".card", has_text="Approval").first
        expect(card).to_contain_text(
            "Amount in EUR: 4.11 USD is 3.79 EUR at 0.9211 EUR per USD (rate valid from "
            "30 Oct 2026, for the invoice date 3 Nov 2026; source: ECB euro foreign exchange "
            "reference rates)."
        )
        expect(card).to_contain_text("Default: one approver")
        card.scroll_into_view_if_needed()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"exchange-rate-used-{width}.png"), full_page=True)

        page.goto(f"{live_server.url}/invoices/{unknown.pk}/")
        card = page.locator(".card", has_text="Approval").first
        expect(card).to_contain_text(
            "No exchange rate from CAD to EUR is known on or before 3 Nov 2026 (the invoice "
            "date), so the amount in EUR is unknown and the invoice was routed as above every "
            "amount band."
        )
        expect(card).to_contain_text("25,000 and over")
        page.screenshot(path=str(SHOTS / f"exchange-rate-missing-{width}.png"), full_page=True)
