"""Issue 19, item 2 (lines), in a real headless Chromium at 1280 and 1920 px: a clerk
corrects a misread line on the invoice screen and the invoice is matched again; a clerk
codes an invoice without a purchase order from the suggested coding and NOT_CODED clears.

Screenshots go to /tmp/shots-lines/ (LEDGERLINE_SHOTS_LINES overrides).
"""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import pipeline
from core.coding import code_lines
from core.demo_documents import DemoLine
from core.demo_pdf import pdf_invoice
from core.models import Document, Invoice, Status
from extraction.intake import receive
from extraction.services import extract_invoice
from tests.factories import demo_invoice, make_purchase_order, make_vendor

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("LEDGERLINE_SHOTS_LINES", "/tmp/shots-lines"))  # noqa: S108
PASSWORD = "lines-pass-123"
WIDTHS = (1280, 1920)


def _receive(vendor, name: str, **overrides) -> Invoice:
    data = pdf_invoice(demo_invoice(vendor, **overrides), "classic")
    invoice = receive(data, name=name, channel=Document.Channel.UPLOAD,
                      actor="system:test").invoice  # fmt: skip
    extract_invoice(invoice)
    return Invoice.objects.get(pk=invoice.pk)


def _sign_in_clerk(page, live_server):
    from django.contrib.auth.models import Group, User

    clerk = User.objects.create_user("clara", password=PASSWORD)
    clerk.groups.add(Group.objects.get(name="clerk"))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "clara")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/invoices/$"))
    return clerk


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fits(page, width: int) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow} px wider than a {width} px window"
    card = page.locator("#lines-card").bounding_box()
    assert card["x"] + card["width"] <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_a_clerk_corrects_a_misread_line_on_the_invoice_screen(page, live_server, width):
    vendor = make_vendor()
    make_purchase_order(vendor)
    invoice = _receive(vendor, "paper.pdf")
    invoice.lines.update(quantity=Decimal(1), amount=Decimal("25.00"))  # read wrongly
    invoice = pipeline.advance(invoice.pk)
    assert invoice.status == Status.NEEDS_REVIEW
    _sign_in_clerk(page, live_server)
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")

    page.click("#correct-lines")  # the form swaps into the Lines card (htmx)
    form = page.locator("#lines-card form.lines-form")
    expect(form).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
    expect(form.locator("li.line-edit")).to_have_count(2)  # the line and an empty new one
    # Quantity 10 but the amount left at 25.00: refused, saying what 10 x 25.00 gives.
    page.fill("input[name=form-0-quantity]", "10")
    _shot(page, f"lines-form-{width}")
    _fits(page, width)
    form.locator("button[type=submit]").click()
    expect(page.locator("#lines-card")).to_contain_text(
        "Quantity \u00d7 unit price is 250.00, not 25.00"
    )
    _shot(page, f"lines-refused-{width}")
    # Emptied: computed from quantity x price, saved, and the invoice is matched again.
    page.fill("input[name=form-0-quantity]", "10")
    page.fill("input[name=form-0-amount]", "")
    page.locator("#lines-card form.lines-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
    expect(page.locator(".messages")).to_contain_text(
        "Corrected line 1 (quantity, amount); the invoice is matched again."
    )
    pipeline.advance(invoice.pk)  # the worker's job
    page.reload()
    row = page.locator("#lines-card table.lines-table tbody tr.line").first
    expect(row).to_contain_text("250.00")
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    assert not invoice.open_exceptions().exists()
    expect(page.locator(".timeline")).to_contain_text("Corrected line 1 (quantity, amount)")
    _shot(page, f"lines-corrected-{width}")
    _fits(page, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_clerk_codes_an_invoice_without_a_po_from_the_suggestions(page, live_server, width):
    vendor = make_vendor(
        name="Brightline Analytics Ltd", vat_id="GB123456789",
        iban="GB29NWBK60161331926819", external_id="V-1004",
    )  # fmt: skip
    clerk = _sign_in_clerk(page, live_server)
    lines = [DemoLine("SUP-1", "Support hours", Decimal(6), Decimal("95.00"), Decimal(20))]
    earlier = pipeline.advance(_receive(vendor, "bl1.pdf", invoice_number="BL-90011",
                                        po_number="", lines=lines).pk)  # fmt: skip
    code_lines(earlier, clerk, {earlier.lines.get().pk: {
        "gl_account": "6300", "cost_center": "CC-IT", "tax_code": "V20"}})  # fmt: skip
    lines = [
        DemoLine("SUP-1", "Support hours, November", Decimal(4), Decimal("95.00"), Decimal(20)),
        DemoLine("TRV-1", "Travel to customer site", Decimal(1), Decimal("180.00"), Decimal(20)),
    ]
    invoice = pipeline.advance(_receive(vendor, "bl2.pdf", invoice_number="BL-90018",
                                        po_number="", lines=lines).pk)  # fmt: skip
    assert list(invoice.open_exceptions().values_list("code", flat=True)) == ["NOT_CODED"]
    page.set_viewport_size({"width": width, "height": 1000})
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    expect(page.locator("#lines-card .coding-note")).to_contain_text(
        "each line needs a GL account and a cost center"
    )

    page.click("#code-lines")
    form = page.locator("#lines-card form.coding-form")
    expect(form).to_be_visible()
    # Prefilled from the earlier invoice: the support line by its description, the travel
    # line with the vendor's usual coding; the clerk changes the travel cost center.
    expect(page.locator("input[name=form-0-gl_account]")).to_have_value("6300")
    expect(page.locator("input[name=form-0-cost_center]")).to_have_value("CC-IT")
    expect(form.locator("li.line-edit").first).to_contain_text("like line 1 of invoice BL-90011")
    expect(form.locator("li.line-edit").nth(1)).to_contain_text("usual coding")
    page.fill("input[name=form-1-cost_center]", "CC-SALES")
    _shot(page, f"coding-form-{width}")
    _fits(page, width)
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text(
        "Coded 2 line(s); the invoice is matched again."
    )
    pipeline.advance(invoice.pk)
    page.reload()
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    assert not invoice.open_exceptions().exists()
    table = page.locator("#lines-card table.lines-table")
    expect(table.locator("thead")).to_contain_text("GL account")
    expect(table.locator("tbody tr.line").nth(1)).to_contain_text("CC-SALES")
    expect(page.locator("#lines-card .coding-note")).to_have_count(0)
    _shot(page, f"coded-{width}")
    _fits(page, width)
