"""Long OCR work is visible: pages read of pages to read, written as each page is done,
shown on the invoice screens while the worker reads; the web request never reads a page.

The engine here is a stand-in that reads nothing (the real one is tested in test_ocr.py);
what is tested is who hears of each page and when.
"""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.models import Document, Invoice, Status
from extraction import ocr
from extraction.intake import receive
from extraction.ocr import OcrWord, read_pages, reporting_progress
from extraction.services import extract_invoice


class PageEngine:
    """Reads every page as the same few words, after checking what the database says."""

    name = "page-engine"

    def __init__(self, on_read=None):
        self.on_read = on_read or (lambda: None)
        self.pages = 0

    def read(self, image):
        self.on_read()
        self.pages += 1
        return [OcrWord(f"page-{self.pages}", 0.9, 10, 10, 60, 20)]


def _received_scan(pages: int = 3) -> Invoice:
    return receive(
        _tiff(pages), name="scan.tif", channel=Document.Channel.UPLOAD, actor="test"
    ).invoice


def _tiff(pages: int) -> bytes:
    # Each page different, so the OCR cache (keyed by the page's pixels) misses every one.
    frames = [Image.new("RGB", (300, 200), (255, 255 - page, 255)) for page in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    return out.getvalue()


def test_progress_is_reported_before_the_first_page_and_after_each():
    heard = []
    pages = [
        (Image.new("RGB", (100, 50), (255, 255, shade)), n, 200) for n, shade in ((1, 0), (2, 9))
    ]

    with reporting_progress(lambda done, total: heard.append((done, total))):
        read_pages(iter(pages), total=2, engine=PageEngine())

    assert heard == [(0, 2), (1, 2), (2, 2)]


def test_without_a_listener_reading_reports_to_no_one():
    words = read_pages([(Image.new("RGB", (100, 50), "white"), 1, 200)], 1, PageEngine())

    assert [w.text for w in words] == ["page-1"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_writes_each_page_to_the_document_as_it_goes(monkeypatch):
    invoice = _received_scan(3)
    document_id = invoice.document_id
    seen = []

    def look():
        # What another connection (the screen's) sees while the worker is on a page.
        document = Document.objects.get(pk=document_id)
        seen.append((document.pages_read, document.pages_to_read))

    monkeypatch.setattr(ocr, "default_engine", lambda: PageEngine(look))

    extract_invoice(invoice)

    assert seen == [(0, 3), (1, 3), (2, 3)]
    document = Document.objects.get(pk=document_id)
    assert (document.pages_read, document.pages_to_read) == (3, 3)
    assert not document.reading_pages


@pytest.mark.django_db
def test_the_list_row_and_the_invoice_screen_show_the_page_being_read(client, clerk):
    invoice = _received_scan()
    Document.objects.filter(pk=invoice.document_id).update(pages_read=1, pages_to_read=3)
    client.force_login(clerk)

    row = client.get(reverse("invoice_row", args=[invoice.pk])).content.decode()
    detail = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    listing = client.get(reverse("invoice_list")).content.decode()

    for page in (row, detail, listing):
        assert '<progress value="1" max="3">' in page
        assert "page 2 of 3" in page
    assert 'hx-trigger="every 2s"' in row  # and the row keeps asking while it reads


@pytest.mark.django_db
def test_no_progress_is_shown_once_the_pages_are_read(client, clerk):
    invoice = _received_scan()
    Document.objects.filter(pk=invoice.document_id).update(pages_read=3, pages_to_read=3)
    Invoice.objects.filter(pk=invoice.pk).update(status=Status.NEEDS_REVIEW)
    client.force_login(clerk)

    row = client.get(reverse("invoice_row", args=[invoice.pk])).content.decode()

    assert "<progress" not in row


@pytest.mark.django_db
def test_an_upload_only_queues_the_scan_and_reads_no_page_in_the_request(
    client, clerk, monkeypatch, django_capture_on_commit_callbacks
):
    def no_ocr_here():
        raise AssertionError("OCR ran in the web request")

    monkeypatch.setattr(ocr, "default_engine", no_ocr_here)
    queued = []
    monkeypatch.setattr(
        "core.tasks.async_task", lambda *args, **options: queued.append((args, options))
    )
    client.force_login(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("upload"), {"files": [SimpleUploadedFile("scan.tif", _tiff(2), "image/tiff")]}
        )

    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert invoice.status == Status.RECEIVED
    # For the OCR workers (core.queues), so no digital document waits behind it.
    assert queued == [(("core.tasks.process_invoice", invoice.pk), {"cluster": "ocr"})]
