"""Every screen in a real headless Chromium; screenshots go to var/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from core import demo, pipeline
from core.models import Document, Invoice, Status
from extraction.intake import receive

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _demo_company():
    demo.seed_master_data()
    for name, data in demo.inbox_documents():
        received = receive(data, name=name, channel=Document.Channel.FOLDER, actor="system:test")
        pipeline.advance(received.invoice.pk)


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/invoices/$"))


def test_clerk_sees_the_list_and_an_exception_explained(page, live_server, screenshot):
    _demo_company()
    page.goto(f"{live_server.url}/invoices/")
    expect(page).to_have_url(re.compile(r"/login/"))
    screenshot("01-login")

    _sign_in(page, live_server, "clara")
    expect(page.locator("table.grid tbody tr")).to_have_count(Invoice.objects.count())
    expect(page.locator(".tabs")).to_contain_text("Needs review")
    screenshot("02-invoice-list")

    page.click("a.tab-needs_review")
    expect(page.locator("table.grid")).to_contain_text("PRICE_VARIANCE")
    invoice = Invoice.objects.get(invoice_number="AC-2026-1203")
    page.click(f"#invoice-{invoice.pk} a >> nth=0")
    expect(page.locator(".exceptions")).to_contain_text(
        "above the 219.00 EUR of purchase order 4500004"
    )
    expect(page.locator(".timeline")).to_contain_text("invoice.needs_review")
    expect(page.locator(".decision")).to_have_count(0)  # a clerk does not decide
    screenshot("03-invoice-detail-exception")


def test_upload_shows_each_file_moving_through_the_pipeline(page, live_server, screenshot):
    demo.seed_master_data()
    files = dict(demo.inbox_documents())
    _sign_in(page, live_server, "clara")
    page.click("nav.mainnav >> text=Upload")
    screenshot("04-upload")

    names = (
        "01-acme-ubl-clean.xml",
        "06-nordlicht-ubl-not-received.xml",
        "10-damaged-truncated.pdf",
    )
    page.set_input_files(
        "#id_files",
        [{"name": n, "mimeType": "application/octet-stream", "buffer": files[n]} for n in names],
    )
    expect(page.locator(".dropzone .chosen")).to_contain_text("3 chosen")
    page.click("button[type=submit]")
    expect(page.locator("h2")).to_contain_text("Received 3 files")
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(3)
    for row in range(3):
        expect(rows.nth(row)).to_contain_text("Received")
    # Marks the page: a reload would lose it, so seeing the rows change with it still
    # there shows they changed in place.
    page.evaluate("window.notReloaded = true")

    # The worker's job, done here; the rows update themselves (htmx polling), no reload.
    for invoice in Invoice.objects.all():
        pipeline.advance(invoice.pk)
    expect(page.locator("table.grid")).to_contain_text("Posted", timeout=10_000)
    expect(page.locator("table.grid")).to_contain_text("NOT_RECEIVED", timeout=10_000)
    expect(page.locator("table.grid")).to_contain_text("UNREADABLE", timeout=10_000)
    assert page.evaluate("window.notReloaded") is True
    screenshot("05-upload-done")

    page.click("nav.mainnav >> text=Intake")
    expect(
        page.locator(
            "#quarantined-"
            + str(Invoice.objects.get(document__original_name="10-damaged-truncated.pdf").pk)
        )
    ).to_contain_text("damaged")
    screenshot("11-intake")


def test_approver_approves_from_the_invoice_page(page, live_server, screenshot):
    _demo_company()
    invoice = Invoice.objects.get(invoice_number="F-2026-0419")
    assert invoice.status == Status.PENDING_APPROVAL
    _sign_in(page, live_server, "arnold")

    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    expect(page.locator(".decision")).to_be_visible()
    screenshot("06-invoice-detail-approval")
    page.fill("#id_comment", "Budget confirmed for the workshop")
    page.click("button[value=approve]")

    expect(page.locator(".messages")).to_contain_text("Approved")
    invoice.refresh_from_db()
    assert invoice.status == Status.APPROVED
    pipeline.advance(invoice.pk)  # the worker posts it; the page refreshes itself
    expect(page.locator(".headline .badge")).to_have_text("Posted", timeout=10_000)
    expect(page.locator(".timeline")).to_contain_text("Budget confirmed for the workshop")
    screenshot("07-invoice-posted")


def test_clerk_corrects_a_field_inline_and_the_invoice_is_matched_again(
    page, live_server, screenshot
):
    _demo_company()
    invoice = Invoice.objects.get(invoice_number="BL-90017")  # quotes PO 4509999, unknown
    _sign_in(page, live_server, "clara")
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")

    page.click("text=Correct fields")
    expect(page.locator("#fields-card form")).to_be_visible()  # swapped in by htmx
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))
    page.fill("#id_po_number", "")  # the clerk knows it is a services invoice without PO
    screenshot("08-correct-fields")
    page.click("text=Save and match again")

    expect(page.locator(".messages")).to_contain_text("Corrected 1 field(s)")
    pipeline.advance(invoice.pk)  # the worker re-matches; the page refreshes itself
    expect(page.locator(".headline .badge")).to_have_text("pending approval", timeout=10_000)
    expect(page.locator(".timeline")).to_contain_text("invoice.fields_corrected")
    screenshot("09-after-correction")


def test_a_long_scan_shows_the_page_being_read_until_it_is_done(page, live_server, screenshot):
    demo.seed_master_data()
    scan = dict(demo.inbox_documents())["12-nordlicht-scan.jpg"]
    invoice = receive(scan, name="scan.jpg", channel=Document.Channel.UPLOAD, actor="test").invoice
    # As the worker writes it while it reads page 2 of a 3-page scan.
    Document.objects.filter(pk=invoice.document_id).update(pages_read=1, pages_to_read=3)
    _sign_in(page, live_server, "clara")

    row = page.locator(f"#invoice-{invoice.pk}")
    expect(row.locator("progress")).to_have_attribute("value", "1")
    expect(row).to_contain_text("page 2 of 3")
    screenshot("10-ocr-progress")

    # The next page done: the row follows without a reload (htmx polling).
    Document.objects.filter(pk=invoice.document_id).update(pages_read=2)
    expect(row).to_contain_text("page 3 of 3", timeout=10_000)

    # The worker finishes for real (the OCR engine reads the scan): the bar goes.
    pipeline.advance(invoice.pk)
    expect(row.locator("progress")).to_have_count(0, timeout=10_000)
    expect(row).not_to_contain_text("Received")
