"""The audit screens in a real Chromium at the widths compliance works at (1280 and 1920
px): the event log with its filters and pages, the KPI trends drawn as charts under the
site's Content-Security-Policy, and a field history in words. Screenshots go to
/tmp/shots-audit/ (or $AUDIT_SHOTS) to be looked at."""

import os
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import expect

from audit import chain
from core import demo
from core.models import Invoice
from tests.factories import make_queue, make_vendor

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("AUDIT_SHOTS", "/tmp/shots-audit"))  # noqa: S108 (to look at)


def _monday_four_weeks_ago() -> datetime:
    today = timezone.now().astimezone(UTC)
    return (today - timedelta(days=today.weekday(), weeks=4)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )


def _four_weeks_of_invoices() -> list[Invoice]:
    """Twelve invoices over the four weeks before this one, their events written in time
    order: most go straight through, every third raises an exception and waits for an
    approver (the last of those is still waiting), so the backlog moves."""
    monday = _monday_four_weeks_ago()
    invoices = make_queue(12, code="")
    events = []

    def _at(moment, action, invoice, actor="system:pipeline", **payload):
        events.append((moment, action, invoice.pk, actor, payload))

    codes = ["PRICE_VARIANCE", "NOT_RECEIVED", "PO_NOT_FOUND"]
    for n, invoice in enumerate(invoices):
        arrived = monday + timedelta(days=2 * n)
        _at(arrived, "document.received", invoice, actor="system:folder", file=f"inv-{n}.pdf")
        inputs = {"fields_found": ["vendor_name", "total_amount"]}
        _at(arrived + timedelta(minutes=2), "invoice.extracted", invoice, to="extracted",
            reason="read", inputs=inputs)  # fmt: skip
        if n % 3 == 1:
            code = codes[(n // 3) % len(codes)]
            exceptions = [{"code": code, "message": f"{code} found"}]
            _at(arrived + timedelta(minutes=3), "invoice.needs_review", invoice,
                **{"from": "extracted"}, to="needs_review", reason="exception",
                inputs={"exceptions": exceptions})  # fmt: skip
            if n < 9:
                _at(arrived + timedelta(days=3), "invoice.approved", invoice, actor="arnold",
                    reason="Approved by arnold: agreed with purchasing")  # fmt: skip
                _at(arrived + timedelta(days=3, hours=1), "invoice.posted", invoice,
                    actor="erp:odoo", reason="posted")  # fmt: skip
        elif n < 11:
            _at(arrived + timedelta(minutes=5), "invoice.matched", invoice, reason="matched")
            _at(arrived + timedelta(hours=2 + n), "invoice.posted", invoice, actor="erp:odoo",
                reason="posted")  # fmt: skip
    for n in range(10):  # earlier exports of the log: events about no invoice
        events.append((monday - timedelta(hours=10 - n), "audit.events_exported", None,
                       "connie", {"reason": "Events exported as csv"}))  # fmt: skip
    for moment, action, invoice_id, actor, payload in sorted(events, key=lambda e: e[0]):
        with time_machine.travel(moment, tick=False):
            chain.record(action, actor=actor, invoice_id=invoice_id, payload=payload)
    return invoices


def _sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/invoices/$"))


def _compliance_user() -> None:
    user = User.objects.create_user("connie", password=demo.DEMO_PASSWORD)
    user.first_name, user.last_name = "Connie", "Compliance"
    user.save()
    user.groups.add(Group.objects.get(name="compliance"))


@pytest.mark.parametrize("width", [1280, 1920])
def test_audit_log_and_kpi_trends_read_well(page, live_server, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    refused = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    _compliance_user()
    invoices = _four_weeks_of_invoices()
    page.set_viewport_size({"width": width, "height": 1000})
    _sign_in(page, live_server, "connie")

    page.goto(f"{live_server.url}/audit/")
    rows = page.locator("table.audit-events tbody tr")
    expect(rows).to_have_count(50)  # a page of the newest, of 58
    expect(page.locator(".pager")).to_contain_text("Page 1 of 2")
    page.screenshot(path=str(SHOTS / f"audit-log-{width}.png"), full_page=True)

    page.fill("#id_invoice", invoices[1].invoice_number)
    page.fill("#id_actor", "arnold")
    page.click("text=Show events")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("agreed with purchasing")
    rows.first.locator(f"a[href='/invoices/{invoices[1].pk}/']").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoices[1].pk}/$"))
    page.go_back()
    page.screenshot(path=str(SHOTS / f"audit-log-filtered-{width}.png"), full_page=True)

    page.goto(f"{live_server.url}/kpis/")
    charts = page.locator("figure.chart img")
    expect(charts).to_have_count(4)
    for n in range(4):
        charts.nth(n).scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=charts.nth(n).element_handle()
        )
        assert charts.nth(n).bounding_box()["width"] >= 500  # readable, not a thumbnail
    table = page.locator("table.kpi-weeks")
    expect(table.locator("tbody tr")).to_have_count(5)  # four weeks back and this one
    expect(table.locator("thead")).to_contain_text("Price variance")
    page.screenshot(path=str(SHOTS / f"kpis-{width}.png"), full_page=True)

    svg = page.request.get(f"{live_server.url}/kpis/charts/touchless.svg")
    assert svg.headers["content-type"] == "image/svg+xml"
    body = svg.text()
    assert "ISO week" in body
    assert "Touchless rate" in body
    assert "<script" not in body
    assert refused == []


def test_field_history_reads_in_words(page, live_server):
    SHOTS.mkdir(parents=True, exist_ok=True)
    _compliance_user()
    (invoice,) = make_queue(1, code="")
    invoice.save()
    invoice.vendor = make_vendor(name="Kestrel Logistics Ltd", external_id="V-2002",
                                 vat_id="GB123456789", iban="GB29NWBK60161331926819")  # fmt: skip
    invoice.total_amount = Decimal("9312.50")
    invoice.confidence = {"total_amount": 0.93, "vendor_name": 0.88}
    invoice._change_reason = "Fields corrected by clara"
    invoice.save()
    _sign_in(page, live_server, "connie")
    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/history/invoice/{invoice.pk}/")
        expect(page.locator("table.history")).to_contain_text("Kestrel Logistics Ltd")
        expect(page.locator("table.history")).to_contain_text("9,312.50 EUR")
        page.screenshot(path=str(SHOTS / f"history-{width}.png"), full_page=True)
