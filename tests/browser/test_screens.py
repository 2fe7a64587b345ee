"""Every screen in a real headless Chromium; screenshots go to var/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from core import demo, pipeline
from core.demo_pdf import pdf_invoice
from core.models import Document, Invoice, Status
from extraction.intake import receive
from extraction.services import record_extraction
from tests.extraction.test_en16931_storage import corrected_invoice_result
from tests.factories import demo_invoice, make_queue

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
    # Approvers land on what waits for them (issue 19), everyone else on the invoices.
    expect(page).to_have_url(re.compile(r"/queue/$" if username == "arnold" else r"/invoices/$"))


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
    expect(page.locator("table.grid")).to_contain_text("Price variance")
    invoice = Invoice.objects.get(invoice_number="AC-2026-1203")
    page.click(f"#invoice-{invoice.pk} a >> nth=0")
    expect(page.locator(".exceptions")).to_contain_text(
        "above the 219.00 EUR of purchase order 4500004"
    )
    expect(page.locator(".timeline")).to_contain_text("Needs review")
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
    expect(page.locator("table.grid")).to_contain_text("Goods not received", timeout=10_000)
    expect(page.locator("table.grid")).to_contain_text("Document unreadable", timeout=10_000)
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
    # Without a purchase order the lines are booked on the GL accounts a clerk codes.
    expect(page.locator(".exceptions")).to_contain_text("Lines not coded", timeout=10_000)
    expect(page.locator(".exceptions li.resolved")).to_contain_text("Purchase order not found")
    expect(page.locator(".timeline")).to_contain_text("Fields corrected")
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


def test_the_invoice_screen_shows_an_e_invoices_totals_and_vat_breakdown(
    page, live_server, screenshot
):
    """Issue 17: a corrected invoice (384) with sub-lines, line and document allowances and
    charges, a VAT breakdown, paid amount and rounding, on a PDF (so beside its pages): its
    type, the lines marked as counted or not, the totals in EN 16931's order, and the
    breakdown, in a 1280 and a 1920 pixel window, with nothing wider than the window."""
    demo.seed_master_data()
    (earlier,) = make_queue(1, code="")
    earlier.invoice_number = "INV-2026-0815"  # the invoice it corrects
    earlier.save()
    data = pdf_invoice(demo_invoice(invoice_number="INV-2026-0901"), "modern")
    invoice = receive(data, name="corrected.pdf", channel=Document.Channel.UPLOAD,
                      actor="system:test").invoice  # fmt: skip
    record_extraction(invoice, corrected_invoice_result(format="factur-x"))
    # A reason with no place to break (a reference), as senders write them (found by review).
    invoice.allowances_charges.filter(line=None, charge=True).update(
        reason="Frachtpauschale_gemaess_Rahmenvertrag_RV_2026_000123_Anlage_3_Position_7"
    )
    invoice.send_to_review(
        [{"code": "CORRECTED_INVOICE", "message": "Corrects invoice INV-2026-0815."}],
        actor="system:test",
        reason="Corrects an earlier invoice",
    )
    _sign_in(page, live_server, "clara")

    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 1000})
        page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
        expect(page.locator(".doctype")).to_contain_text("Corrected invoice (384)")
        expect(page.locator(".facts")).to_contain_text("INV-2026-0815")
        expect(page.locator(f".facts a[href$='/invoices/{earlier.pk}/']")).to_be_visible()
        totals = page.locator("#totals-card table.totals tr")
        expect(totals).to_have_count(11)
        expect(totals.first).to_contain_text("Sum of lines")
        expect(totals.last).to_contain_text("Amount due")
        expect(totals.last).to_contain_text("1,939.00")
        expect(page.locator("#totals-card")).to_contain_text("Early order discount")
        breakdown = page.locator("table.vat-breakdown tbody tr")
        expect(breakdown).to_have_count(2)
        expect(breakdown.first).to_contain_text("Standard rated")
        expect(breakdown.last).to_contain_text("VATEX-EU-132-1I")
        expect(page.locator(".lines-table tr.not-counted.line")).to_have_count(2)
        expect(page.locator(".lines-table tr.line-adjustment")).to_contain_text("Loyalty discount")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the page is {overflow} px wider than a {width} px window"
        wide = page.evaluate(
            """[...document.querySelectorAll('#lines-card, #totals-card, .table-scroll')]
               .filter(box => box.scrollWidth > box.clientWidth + 1)
               .map(box => box.id || box.parentElement.closest('[id]').id + ' table')"""
        )
        assert wide == [], f"{wide} overflow at {width} px"
        screenshot(f"24-invoice-en16931-{width}")


def test_clerk_triages_a_price_variance_from_the_queue(page, live_server, screenshot):
    _demo_company()
    _sign_in(page, live_server, "clara")
    page.click("nav.mainnav >> text=Work queue")
    page.click("a.chip-PRICE_VARIANCE")
    rows = page.locator("#queue-rows tr")
    expect(rows).to_have_count(1)
    screenshot("12-queue-price-variance")
    invoice = Invoice.objects.get(invoice_number="AC-2026-1203")
    rows.first.locator("td").nth(3).click()  # a click on the row opens it
    expect(page).to_have_url(re.compile(rf"/invoices/{invoice.pk}/$"))

    page.click("a.show-field[data-field='total_amount']")
    expect(page.locator("#box-total_amount")).to_have_class(re.compile("active"))
    expect(page).to_have_url(re.compile(r"\?field=total_amount$"))  # no reload, just the box
    screenshot("13-field-highlighted")

    page.click("text=Correct fields")
    page.fill("#id_due_date", "2026-12-31")
    page.click("text=Save and match again")
    expect(page.locator(".messages")).to_contain_text("matching again")
    pipeline.advance(invoice.pk)  # the worker's job
    page.reload()
    expect(page.locator(".exceptions")).to_contain_text("Price variance")

    form = page.locator("form.accept-form")
    form.locator("select[name=reason_code]").select_option("price_agreed")
    form.locator("input[name=comment]").fill("New list price agreed by purchasing")
    screenshot("14-accept-variance")
    form.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("variance accepted")

    page.goto(f"{live_server.url}/queue/?code=PRICE_VARIANCE")
    expect(page.locator("#queue-rows")).not_to_contain_text("AC-2026-1203")
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    assert invoice.due_date.isoformat() == "2026-12-31"


def test_the_queue_works_inside_an_intranet_page(page, live_server, screenshot, settings):
    _demo_company()
    portal = f"{live_server.url}/intranet/finance.html"  # the intranet's page, served here
    page.route(
        portal,
        lambda route: route.fulfill(
            content_type="text/html",
            body=(
                "<html><head><meta charset='utf-8'></head>"
                "<body style='font-family:sans-serif;margin:0'>"
                "<div style='background:#7a0019;color:#fff;padding:12px 20px'>Intranet · "
                "Finance</div><iframe src='/embed/' title='AP work queue' "
                "style='width:100%;height:760px;border:0'></iframe></body></html>"
            ),
        ),
    )
    page.goto(portal)
    frame = page.frame_locator("iframe")
    frame.locator("#id_username").fill("clara")
    frame.locator("#id_password").fill(demo.DEMO_PASSWORD)
    frame.locator("button[type=submit]").click()

    expect(frame.locator("h1")).to_contain_text("Work queue")
    expect(frame.locator(".embedbar")).to_be_visible()
    expect(frame.locator(".mainnav")).to_have_count(0)
    frame.locator("a.chip-PRICE_VARIANCE").click()
    # The filtered page has loaded before its row is clicked (a click on the old page is
    # lost when the new one replaces it).
    expect(frame.locator("a.chip-PRICE_VARIANCE")).to_have_attribute("aria-current", "page")
    frame.locator("#queue-rows a", has_text="AC-2026-1203").click()
    expect(frame.locator("h1")).to_contain_text("AC-2026-1203")
    page_image = frame.locator(".docpage img").first
    expect(page_image).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('iframe').contentDocument"
        ".querySelector('.docpage img').naturalWidth > 0"
    )
    screenshot("15-embedded-in-intranet")


def test_two_items_are_triaged_with_the_keyboard_alone(page, live_server, screenshot):
    _demo_company()
    _sign_in(page, live_server, "clara")
    page.goto(f"{live_server.url}/queue/?status=needs_review")
    first = Invoice.objects.get(invoice_number="AC-2026-1203")  # PRICE_VARIANCE
    second = Invoice.objects.get(invoice_number="BL-90017")  # PO_NOT_FOUND, next in line

    page.keyboard.press("j")  # the first row: the oldest in review
    expect(page.locator("#queue-rows tr.selected")).to_contain_text("AC-2026-1203")
    screenshot("16-keyboard-queue")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/invoices/{first.pk}/$"))

    page.keyboard.press("a")  # to the accept form's reason
    expect(page.locator("select[data-key=a]")).to_be_focused()
    page.keyboard.press("C")  # "Contract or framework price"
    page.keyboard.press("Tab")
    page.keyboard.type("Framework agreement 2026")
    page.keyboard.press("Enter")  # accept: the result shows on the same invoice (issue 19)
    expect(page).to_have_url(re.compile(rf"/invoices/{first.pk}/\?from=needs_review$"))
    expect(page.locator(".messages")).to_contain_text("variance accepted")
    page.keyboard.press("n")  # moving on is its own step: the next item in review
    expect(page).to_have_url(re.compile(rf"/invoices/{second.pk}/$"))

    page.keyboard.press("c")  # the comment for the approver
    page.keyboard.type("PO number confirmed by the buyer by phone")
    page.keyboard.press("Enter")  # the form's first action: send for approval
    expect(page.locator(".messages")).to_contain_text("sent for approval")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Status.PENDING_APPROVAL, Status.PENDING_APPROVAL)
    assert first.exceptions.get().details["accepted"]["reason_code"] == "contract_price"


def test_an_approver_approves_from_the_link_in_the_email(page, live_server, screenshot, settings):
    from django.core import mail

    settings.SITE_URL = live_server.url
    mail.outbox.clear()
    _demo_company()  # the invoice above the limit waits for approval: the approvers are mailed
    invoice = Invoice.objects.get(invoice_number="F-2026-0419")
    assert invoice.status == Status.PENDING_APPROVAL
    message = next(
        m for m in mail.outbox if "arnold@demo.invalid" in m.to and "F-2026-0419" in m.subject
    )
    approve_url = re.search(r"Approve:\s+(\S+)", message.body).group(1)

    page.goto(approve_url)
    expect(page.locator("h1")).to_contain_text("Approve invoice F-2026-0419?")
    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL  # opening the link decided nothing
    screenshot("17-approve-by-email")
    page.fill("#comment", "Budget confirmed")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Approved")

    invoice = pipeline.advance(invoice.pk)  # the worker posts it
    assert invoice.status == Status.POSTED
    page.goto(approve_url)  # the link is spent
    expect(page.locator("h1")).to_contain_text("This link cannot decide")


def test_an_admin_reads_a_vendors_record_and_moves_it_down_the_ladder(
    page, live_server, screenshot
):
    _demo_company()
    _sign_in(page, live_server, "ada")
    page.click("nav.mainnav >> text=Vendors")
    expect(page.locator("h1")).to_have_text("Vendors on the trust ladder")
    screenshot("18-vendors-ladder")
    page.click("text=Acme Office Supplies GmbH")
    expect(page.locator(".ladder .here")).to_contain_text("auto")
    page.select_option("select[name=level]", "assisted")
    page.fill("input[name=reason]", "New contact at the vendor: watch the next invoices")
    page.click("button:has-text('Change level')")
    expect(page.locator(".messages")).to_contain_text("is now assisted")
    expect(page.locator(".timeline")).to_contain_text("New contact at the vendor")
    screenshot("19-vendor-trust")


def test_an_approver_names_a_delegate_for_the_holidays(page, live_server, screenshot):
    _demo_company()
    _sign_in(page, live_server, "arnold")
    page.click("nav.mainnav >> text=Away")
    page.select_option("#id_delegate", label="ada")
    page.fill("#id_starts_on", "2026-12-21")
    page.fill("#id_ends_on", "2027-01-04")
    page.fill("#id_reason", "Holidays")
    page.click("button:has-text('Save')")
    expect(page.locator(".messages")).to_contain_text("ada decides for you")
    expect(page.locator("table.grid")).to_contain_text("4 Jan 2027")
    screenshot("20-out-of-office")


def test_compliance_reads_the_kpis_and_a_timeline_exports_and_cannot_change_anything(
    page, live_server, screenshot
):
    import io
    import zipfile

    _demo_company()
    posted = Invoice.objects.filter(status=Status.POSTED).first()
    _sign_in(page, live_server, "connie")

    page.click("nav.mainnav >> text=Audit")
    page.click("text=KPIs")
    expect(page.locator("h1")).to_have_text("How automation is doing")
    expect(page.locator(".kpi").first).to_contain_text("%")
    screenshot("21-kpis")

    page.goto(f"{live_server.url}/invoices/{posted.pk}/")
    expect(page.locator(".timeline")).to_contain_text("Posted")
    expect(page.locator(".t-why").first).to_be_visible()
    assert page.locator("text=Correct fields").count() == 0  # nothing to change is offered
    screenshot("22-compliance-timeline")
    with page.expect_download() as download:
        page.click("text=Audit pack")
    pack = zipfile.ZipFile(io.BytesIO(download.value.path().read_bytes()))
    assert "manifest.json" in pack.namelist()

    page.goto(f"{live_server.url}/audit/")
    with page.expect_download() as download:
        page.click("text=Download CSV")
    header = download.value.path().read_text().splitlines()[0]
    assert header.startswith("id,created_at,actor,action")
    screenshot("23-audit-log")

    # Trying to change something: the correction form and a queue action are refused.
    response = page.goto(f"{live_server.url}/invoices/{posted.pk}/fields/")
    assert response.status == 403
    (csrf,) = [c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"]
    refused = page.request.post(
        f"{live_server.url}/invoices/{posted.pk}/act/",
        form={"action": "take", "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{live_server.url}/invoices/{posted.pk}/"},
    )
    assert refused.status == 403
    # Refused for the role (the styled 403 page), not for a missing token.
    assert "CSRF verification failed" not in refused.text()
    assert "You are signed in as" in refused.text()
