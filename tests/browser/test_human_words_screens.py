"""Issue 19 item 4 in a real headless Chromium: an invoice with exceptions shows them by
their labels (the code in the tooltip, each sentence once) and amounts one way, and a wrong
address shows the styled 404 page inside the layout, at 1280 and 1920 px.

Screenshots go to var/screenshots/words/ (LEDGERLINE_SHOTS_WORDS overrides; the issue's were
taken with LEDGERLINE_SHOTS_WORDS=/tmp/shots-words).
"""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import pipeline
from core.demo_documents import DemoLine
from core.demo_pdf import pdf_invoice
from core.exception_codes import ExceptionCode
from core.models import Document, Status
from extraction.intake import receive
from tests.browser.conftest import SCREENSHOTS
from tests.factories import demo_invoice, make_purchase_order, make_vendor

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("LEDGERLINE_SHOTS_WORDS", SCREENSHOTS / "words"))
PASSWORD = "words-pass-123"
WIDTHS = (1280, 1920)


def _invoice_with_exceptions():
    """A PDF invoice billing paper above the PO price and more chairs than were ordered."""
    vendor = make_vendor()
    make_purchase_order(
        vendor,
        lines=[
            ("P-100", "Printer paper A4, box", "10", "25.00", "19"),
            ("S-300", "Ergonomic office chair", "2", "349.00", "19"),
        ],
    )
    lines = [
        DemoLine("P-100", "Printer paper A4, box", Decimal(10), Decimal("27.50"), Decimal(19)),
        DemoLine("S-300", "Ergonomic office chair", Decimal(3), Decimal("349.00"), Decimal(19)),
    ]
    data = pdf_invoice(demo_invoice(vendor, lines=lines), "classic")
    invoice = receive(data, name="words.pdf", channel=Document.Channel.UPLOAD,
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


def test_exceptions_read_as_labels_and_the_404_page_is_styled(page, live_server):
    invoice = _invoice_with_exceptions()
    codes = list(invoice.open_exceptions().values_list("code", flat=True))
    assert codes
    _sign_in_clerk(page, live_server)

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
        shown = page.locator("main").inner_text()
        for code in codes:
            assert code not in shown, code  # never a bare code on the screen
            chip = page.locator(f"#exceptions .code.exc[data-code='{code}']").first
            expect(chip).to_have_text(ExceptionCode(code).label)
            expect(chip).to_have_attribute("title", re.compile(rf"^{code}: "))
        for exception in invoice.exceptions.all():
            assert shown.count(exception.message) == 1  # each sentence once
        expect(page.locator(".headline .badge")).to_have_text("Needs review")
        expect(page.locator(".headline .amount")).to_have_text(
            re.compile(r"^\d{1,3}(,\d{3})*\.\d{2} EUR$")
        )
        _shot(page, f"invoice-exceptions-{width}")

        page.goto(f"{live_server.url}/no/such/page/")
        expect(page).to_have_title("Page not found · Ledgerline")
        expect(page.locator(".topbar .mainnav")).to_be_visible()
        expect(page.locator(".error-page h1")).to_have_text("There is nothing at this address")
        expect(page.locator(".error-page .btn-primary")).to_have_text("Work queue")
        _shot(page, f"404-{width}")


def test_the_403_page_is_styled_and_says_who_is_signed_in(page, live_server):
    _sign_in_clerk(page, live_server)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/outbox/")  # an admin's page
    expect(page).to_have_title("Not allowed · Ledgerline")
    expect(page.locator(".topbar .mainnav")).to_be_visible()
    expect(page.locator(".error-page")).to_contain_text("You are signed in as clara (clerk)")
    _shot(page, "403-1280")
