"""The Intake screen as a clerk and as an admin, and an approver's queue, in Chromium at
1280 and 1920 px (issue 19, item 7). Screenshots go to var/screenshots/ and, when
LEDGERLINE_SHOTS names a folder, there too."""

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core import demo, pipeline
from core.models import Document, Invoice, Status
from extraction.channels.files import take
from extraction.channels.mailbox import take_message
from extraction.intake import receive
from tests.intake.test_left_out_files import CALENDAR, NOTES, _email, _pdf

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
WIDTHS = (1280, 1920)


def _arrivals():
    demo.seed_master_data()
    for name, data in demo.inbox_documents():
        received = receive(data, name=name, channel=Document.Channel.FOLDER, actor="system:test")
        pipeline.advance(received.invoice.pk)
    take_message("AP mailbox", _email([("notes.txt", NOTES, "text", "plain")]))
    take_message(
        "AP mailbox",
        _email(
            [("INV-77.pdf", _pdf("INV-77"), "application", "pdf"),
             ("invite.ics", CALENDAR, "text", "calendar")],
            message_id="<two@vendor.example>",
        ),
    )  # fmt: skip
    take("remittance.csv", b"invoice;paid\nAC-1;100.00\n", channel="upload", actor="system:test")


def _sign_in(page, live_server, username, landing):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(landing))


def _shot(screenshot, name):
    path = screenshot(name)
    folder = os.environ.get("LEDGERLINE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(folder) / path.name)


def _no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_the_intake_screen_for_a_clerk_and_for_an_admin(page, live_server, screenshot):
    _arrivals()
    _sign_in(page, live_server, "clara", r"/invoices/$")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/intake/")
        expect(page.locator("#attention-head")).to_be_visible()
        expect(page.locator("#left-out")).to_contain_text("notes.txt")
        expect(page.locator("#left-out")).to_contain_text("remittance.csv")
        expect(page.locator("body")).not_to_contain_text("Channel setup")
        _no_horizontal_scroll(page)
        _shot(screenshot, f"intake-clerk-{width}")
    page.click("#left-out >> text=Accounts <billing@vendor.example> >> nth=0")
    expect(page.locator("h1")).to_contain_text("Invoice INV-1 and notes")
    _shot(screenshot, "intake-message-record")

    page.click("button:has-text('Sign out')")
    _sign_in(page, live_server, "ada", r"/invoices/$")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/intake/")
        expect(page.locator("#setup-head")).to_be_visible()
        _no_horizontal_scroll(page)
        _shot(screenshot, f"intake-admin-{width}")
    page.click("text=Add or change mailboxes")
    expect(page.locator("h1")).to_contain_text("mailbox")  # the admin opens, no 403


def test_an_approvers_queue_opens_on_what_waits_for_him(page, live_server, screenshot):
    _arrivals()
    waiting = Invoice.objects.filter(status=Status.PENDING_APPROVAL).count()
    assert waiting >= 1
    _sign_in(page, live_server, "arnold", r"/queue/$")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/queue/")
        expect(page.locator(".queue-view a[aria-current=page]")).to_contain_text("Waiting for me")
        expect(page.locator("#queue-rows tr")).to_have_count(waiting)
        _no_horizontal_scroll(page)
        _shot(screenshot, f"queue-approver-{width}")
    page.click(".queue-view >> text=Everything open")
    expect(page.locator(".queue-view a[aria-current=page]")).to_contain_text("Everything")
    assert page.locator("#queue-rows tr").count() > waiting
    _shot(screenshot, "queue-approver-everything-1920")
