"""Issue 19, items 1 and 3, in a real headless Chromium: the invoice screen fits 1280 to
1920 pixel windows with the match comparison fully readable, and an action's result shows
on the same invoice, moving on being a separate step (key n).

Screenshots go to var/screenshots/, or where LEDGERLINE_SHOTS says.
"""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import exception_codes, pipeline
from core.demo_documents import DemoLine
from core.demo_pdf import pdf_invoice
from core.models import Document, Invoice, PurchaseOrderLine, Status
from extraction.intake import receive
from tests.browser.conftest import SCREENSHOTS
from tests.factories import demo_invoice, make_purchase_order, make_queue, make_vendor

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("LEDGERLINE_SHOTS", SCREENSHOTS))
PASSWORD = "layout-pass-123"

# Four PO lines; the invoice bills line 2 above the PO price, line 3 above the ordered
# quantity, and a fifth line that is on no PO line, with descriptions as long as
# purchasing writes them.
PO_LINES = [
    ("P-100", "Printer paper A4, 80 g/m², box of 5 reams", "10", "25.00", "19"),
    ("T-200", "Toner cartridge, black, high yield (12,000 pages)", "4", "89.90", "19"),
    ("S-300", "Ergonomic office chair with adjustable lumbar support", "2", "349.00", "19"),
    ("C-400", "USB-C docking station, dual 4K display", "5", "159.00", "19"),
]
INVOICE_LINES = [
    DemoLine("P-100", "Printer paper A4, 80 g/m², box of 5 reams", Decimal(10), Decimal("25.00"),
             Decimal(19)),
    DemoLine("T-200", "Toner cartridge, black, high yield (12,000 pages)", Decimal(4),
             Decimal("94.50"), Decimal(19)),
    DemoLine("S-300", "Ergonomic office chair with adjustable lumbar support", Decimal(3),
             Decimal("349.00"), Decimal(19)),
    DemoLine("C-400", "USB-C docking station, dual 4K display", Decimal(5), Decimal("159.00"),
             Decimal(19)),
    DemoLine("L-500", "Laminating pouches A4, 125 micron, pack of 100", Decimal(2),
             Decimal("18.40"), Decimal(19)),
]  # fmt: skip

# Every element of a card that reaches past the card's box or the window, or whose own
# content is cut (scrollWidth over clientWidth), except inside a scroll container that
# shows its scrollbar; those containers are listed when they do have to scroll.
CLIPPED = """(selector) => {
  const out = [];
  const right = document.documentElement.clientWidth;
  for (const card of document.querySelectorAll(selector)) {
    const box = card.getBoundingClientRect();
    if (card.scrollWidth > card.clientWidth + 1) out.push(`${card.id || card.className}: scrolls`);
    for (const el of card.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (!r.width || getComputedStyle(el).visibility === 'hidden') continue;
      const name = `${card.id || card.className} ${el.tagName.toLowerCase()}` +
        `${el.className ? '.' + el.className : ''} "${el.textContent.trim().slice(0, 30)}"`;
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.right > right + 1)
        out.push(`${name}: ${Math.round(r.left)}-${Math.round(r.right)} outside ` +
                 `${Math.round(box.left)}-${Math.round(box.right)}`);
      else if (['TD', 'TH'].includes(el.tagName) && el.scrollWidth > el.clientWidth + 1)
        out.push(`${name}: cut (${el.scrollWidth} > ${el.clientWidth})`);
    }
  }
  return out;
}"""


def _invoice_with_findings():
    """A PDF invoice (so shown beside its pages) on a four-line PO, in review with a price
    variance on line 2, a quantity variance on line 3 and line 5 on no PO line."""
    vendor = make_vendor()
    make_purchase_order(vendor, lines=PO_LINES)
    data = pdf_invoice(demo_invoice(vendor, lines=INVOICE_LINES), "classic")
    invoice = receive(data, name="four-lines.pdf", channel=Document.Channel.UPLOAD,
                      actor="system:test").invoice  # fmt: skip
    invoice = pipeline.advance(invoice.pk)
    assert invoice.status == Status.NEEDS_REVIEW
    return invoice


def _sign_in_clerk(page, live_server):
    from django.contrib.auth.models import Group, User

    clerk = User.objects.create_user("clara", password=PASSWORD)
    clerk.groups.add(Group.objects.get(name="clerk"))
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "clara")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/invoices/$"))


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_every_match_column_and_finding_is_visible_from_1280_to_1920_px(page, live_server):
    invoice = _invoice_with_findings()
    # The findings about a line or a PO line, shown under the line (the others, about the
    # whole invoice, are in the Exceptions card).
    findings = [
        finding
        for finding in invoice.match_runs.first().findings
        if {"position", "po_line"} & set(finding["details"])
    ]
    codes = sorted(finding["code"] for finding in findings)
    assert codes == ["OVER_BILLED", "PRICE_VARIANCE", "QTY_VARIANCE"], codes
    _sign_in_clerk(page, live_server)

    for width in (1280, 1440, 1920):
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
        page.wait_for_function("document.querySelector('.docpage img').naturalWidth > 0")
        table = page.locator("section.match table.match-table")
        expect(table.locator("tbody tr:not(.finding)")).to_have_count(5)
        expect(table.locator("tr.finding")).to_have_count(len(findings))
        headers = table.locator("thead tr").last.locator("th")
        expect(headers).to_have_count(10)
        for label in ("Qty", "Price", "PO / line", "Ordered", "Received", "Billed before"):
            expect(table.locator("thead")).to_contain_text(label)

        # Each header and cell lies inside the match card and the window, none is cut,
        # and the table needs no scrolling at all at these widths.
        clipped = page.evaluate(CLIPPED, "section.match")
        assert clipped == [], f"at {width} px: {clipped}"
        card = page.locator("section.match").bounding_box()
        cells = table.locator("th, td")
        for index in range(cells.count()):
            cell = cells.nth(index).bounding_box()
            assert card["x"] <= cell["x"], f"cell {index} left of the card at {width} px"
            right = card["x"] + card["width"]
            assert cell["x"] + cell["width"] <= right, f"cell {index} cut at {width} px"
            assert cell["x"] + cell["width"] <= width
        scroll = page.evaluate(
            "(() => { const s = document.querySelector('.match-scroll');"
            " return s.scrollWidth - s.clientWidth; })()"
        )
        assert scroll <= 0, f"the match table scrolls {scroll} px at {width} px"
        # Each finding is named under the row it is about, and its sentence is there in
        # full under Exceptions (checked for clipping with the other cards below).
        for finding in findings:
            row = table.locator("tr.finding", has_text=exception_codes.label(finding["code"]))
            expect(row).to_be_visible()
            text = row.locator("td").last.evaluate("td => td.scrollWidth <= td.clientWidth")
            assert text, f"{finding['code']} is cut at {width} px"
        for exception in invoice.open_exceptions():
            expect(page.locator("section.exceptions")).to_contain_text(exception.message)
        expect(table.locator("tr.flagged").first).to_contain_text("94.50")  # invoice price
        expect(table.locator("tr.flagged").first).to_contain_text("89.90")  # PO price

        # The other cards (fields, lines, totals, VAT, audit trail) fit as well.
        others = page.evaluate(CLIPPED, ".workbench .card:not(.viewer)")
        assert others == [], f"at {width} px: {others}"
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page is {overflow} px wider than a {width} px window"
        _shot(page, f"match-{width}")


def test_an_action_shows_its_result_in_place_and_n_goes_on(page, live_server):
    invoice = _invoice_with_findings()
    (waiting,) = make_queue(1)  # the next invoice in review
    _sign_in_clerk(page, live_server)
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    expect(page.locator(".next-step")).to_have_count(0)  # nothing done yet

    # Purchasing corrected the toner's PO price in the ERP; the clerk matches again.
    PurchaseOrderLine.objects.filter(item_code="T-200").update(unit_price=Decimal("94.50"))
    page.click("button[data-key=m]")
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/\?from=needs_review$"))
    expect(page.locator(".messages")).to_contain_text(f"Invoice #{invoice.pk}: being matched")
    expect(page.locator(".next-step")).to_contain_text("when matching is done")
    pipeline.advance(invoice.pk)  # the worker's job; the page refreshes itself
    messages = page.locator(".messages")
    expect(messages).to_contain_text(f"Invoice #{invoice.pk}: matched again.", timeout=10_000)
    expect(messages).to_contain_text("Cleared: Price variance")
    expect(messages).to_contain_text("Still open:")
    # The new state on the page: the match shows the two findings left, the price none.
    findings = page.locator("table.match-table tr.finding")
    expect(findings).to_have_count(2)
    expect(findings.filter(has_text=exception_codes.label("PRICE_VARIANCE"))).to_have_count(0)
    expect(page.locator(".next-step a[data-key=n]")).to_contain_text("Next invoice in review")
    _shot(page, "action-rematched-1280")

    # Send for approval: the same invoice stays open with its new status.
    page.fill("input[name=comment][data-key=c]", "Chair quantity confirmed by the buyer")
    page.click("button[value=send_for_approval]")
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/\?from=needs_review$"))
    expect(messages).to_contain_text(f"Invoice #{invoice.pk}: sent for approval.")
    expect(messages).to_contain_text("Status: Needs review → Pending approval.")
    expect(page.locator(".headline .badge")).to_contain_text(re.compile("pending", re.I))
    expect(page.locator("h1")).to_contain_text("INV-2026-0001")
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    # The next one in review (not the next waiting for approval), one key away.
    for width in (1280, 1920):  # the approval card it now has fits too
        page.set_viewport_size({"width": width, "height": 1000})
        clipped = page.evaluate(CLIPPED, "main .card:not(.viewer)")
        assert clipped == [], f"at {width} px: {clipped}"
    _shot(page, "action-sent-1920")
    expect(page.locator("[data-key=n]")).to_have_count(1)
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(rf"/invoices/{waiting.pk}/$"))
    expect(page.locator(".next-step")).to_have_count(0)
    assert Invoice.objects.get(pk=waiting.pk).status == Status.NEEDS_REVIEW
