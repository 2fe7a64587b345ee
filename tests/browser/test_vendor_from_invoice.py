"""Issue 19, item 2 in a real headless Chromium at 1280 and 1920 px: an admin adds an
unknown vendor from the invoice (the form filled in from what was read) and the exception
shows as resolved on the invoice's page; a clerk requests it instead."""

import re
from pathlib import Path

import pytest
from django_q.conf import Conf
from playwright.sync_api import expect

from core import demo, pipeline
from core.demo_documents import ubl_xml
from core.models import Document, Invoice, Status, Vendor, VendorRequest
from extraction.intake import receive
from tests.factories import demo_invoice

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
SHOTS = Path("/tmp/shots-vendor")  # noqa: S108  (where the issue's screenshots are looked at)
KESTREL = {
    "vendor_name": "Kestrel Tooling GmbH",
    "vendor_vat_id": "DE287654321",
    "vendor_iban": "AT611904300234573201",
}


@pytest.fixture
def unknown(monkeypatch):
    """The demo company, and an invoice from a vendor its master does not have yet; the
    pipeline runs inline (django-q2 sync), as the live server's requests queue it."""
    monkeypatch.setattr(Conf, "SYNC", True)
    demo.seed_master_data()
    data = ubl_xml(demo_invoice(None, invoice_number="KT-2026-0042", po_number="4500099",
                                **KESTREL))  # fmt: skip
    received = receive(data, name="kestrel.xml", channel=Document.Channel.UPLOAD, actor="t")
    invoice = pipeline.advance(received.invoice.pk)
    assert invoice.status == Status.NEEDS_REVIEW
    assert invoice.open_exceptions().filter(code="VENDOR_UNKNOWN").exists()
    return invoice


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/invoices/$"))


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _vendor_line(page):
    return page.locator(".exceptions li", has_text="is not in the vendor master")


@pytest.mark.parametrize("width", [1280, 1920])
def test_admin_adds_the_vendor_from_the_invoice(page, live_server, unknown, width):
    page.set_viewport_size({"width": width, "height": 1000})
    _sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/invoices/{unknown.pk}/")
    line = _vendor_line(page)
    expect(line).not_to_have_class(re.compile("resolved"))
    _shot(page, f"{width}-1-invoice-vendor-unknown")

    line.get_by_role("link", name="Add or link vendor").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{unknown.pk}/vendor/$"))
    expect(page.locator("#id_name")).to_have_value("Kestrel Tooling GmbH")
    expect(page.locator("#id_vat_id")).to_have_value("DE287654321")
    expect(page.locator("#id_iban")).to_have_value("AT611904300234573201")
    expect(page.locator("#id_currency")).to_have_value("EUR")
    # Every card inside the window: nothing cut off on the right.
    for card in page.locator(".vendor-settle > .card").all():
        box = card.bounding_box()
        assert box["x"] + box["width"] <= width
    page.fill("#id_external_id", f"V-{width}")
    page.fill("#id_address", "Werkstraße 7\n70565 Stuttgart")
    _shot(page, f"{width}-2-add-vendor-prefilled")

    page.get_by_role("button", name="Add vendor and match again").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{unknown.pk}/$"))
    expect(page.locator(".messages, .msg").first).to_contain_text("added to the vendor master")
    expect(_vendor_line(page)).to_have_class(re.compile("resolved"))
    expect(_vendor_line(page)).to_contain_text("resolved by ada")
    expect(page.locator("h1")).to_contain_text("Kestrel Tooling GmbH")
    _shot(page, f"{width}-3-invoice-vendor-resolved")

    vendor = Vendor.objects.get(external_id=f"V-{width}")
    assert (vendor.name, vendor.vat_id, vendor.iban) == tuple(KESTREL.values())
    unknown.refresh_from_db()
    assert unknown.vendor == vendor
    assert not unknown.open_exceptions().filter(code="VENDOR_UNKNOWN").exists()


@pytest.mark.parametrize("width", [1280, 1920])
def test_clerk_requests_the_vendor(page, live_server, unknown, width):
    page.set_viewport_size({"width": width, "height": 1000})
    _sign_in(page, live_server, "clara")
    page.goto(f"{live_server.url}/invoices/{unknown.pk}/")
    _vendor_line(page).get_by_role("link", name="Request this vendor").click()
    expect(page.locator("#add")).to_have_count(0)  # a clerk does not add vendors
    page.fill("#id_comment", "New supplier of the press tools, ordered by Production")
    _shot(page, f"{width}-4-clerk-request")
    page.get_by_role("button", name="Request this vendor").click()

    expect(page).to_have_url(re.compile(rf"/invoices/{unknown.pk}/$"))
    expect(_vendor_line(page)).to_contain_text("requested by clara")
    _shot(page, f"{width}-5-invoice-requested")
    assert VendorRequest.objects.get().invoice == Invoice.objects.get(pk=unknown.pk)

    page.context.clear_cookies()
    _sign_in(page, live_server, "ada")
    page.goto(f"{live_server.url}/vendors/requests/")
    expect(page.locator("table.grid")).to_contain_text("Kestrel Tooling GmbH")
    _shot(page, f"{width}-6-admin-vendor-requests")


@pytest.mark.parametrize("width", [1280, 1920])
def test_match_again_clears_the_exception_once_the_vendor_is_in_the_master(
    page, live_server, unknown, width
):
    """The vendor reached the master another way (the ERP's vendor sync, the Django admin):
    the clerk's "Match again" looks it up again and the exception clears on the page."""
    page.set_viewport_size({"width": width, "height": 1000})
    Vendor.objects.create(
        name="Kestrel Tooling GmbH",
        vat_id=KESTREL["vendor_vat_id"],
        iban=KESTREL["vendor_iban"],
        external_id=f"V-ERP-{width}",
    )
    _sign_in(page, live_server, "clara")
    page.goto(f"{live_server.url}/invoices/{unknown.pk}/")
    expect(_vendor_line(page)).not_to_have_class(re.compile("resolved"))

    page.get_by_role("button", name="Match again").click()

    expect(page).to_have_url(re.compile(rf"/invoices/{unknown.pk}/"))
    expect(page.locator(".messages").first).to_contain_text("Cleared: Vendor unknown")
    expect(_vendor_line(page)).to_have_class(re.compile("resolved"))
    expect(page.locator("h1")).to_contain_text("Kestrel Tooling GmbH")
    # Found again by the new match: listed once, open, not also as resolved.
    missing_po = page.locator(".exceptions li", has_text="No purchase order 4500099")
    expect(missing_po).to_have_count(1)
    expect(missing_po).not_to_have_class(re.compile("resolved"))
    _shot(page, f"{width}-7-match-again-finds-the-vendor")
