"""Scans are read by the "ocr" cluster and everything else by the default one, so a long
scan never waits in front of a digital PDF or an e-invoice (core.queues); while a scan is
read, its invoice shows the page and the time left.

The queue is django-q2's own: with Q_SYNC off, as in every test, async_task writes an
OrmQ row whose key is the cluster that takes it (the name a qcluster runs under), which is
what these tests read. The OCR engine is never needed here: deciding reads no page.
"""

import functools
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ
from fpdf import FPDF
from PIL import Image

from core import demo, queues, tasks
from core.demo_documents import ubl_xml
from core.models import ApiToken, Document, Invoice, Status
from core.models.documents import about
from extraction import ocr
from extraction.intake import receive
from extraction.ocr import OcrWord
from extraction.services import extract_invoice
from tests.factories import demo_invoice

DEFAULT = "ledgerline"


@pytest.fixture(autouse=True)
def _no_ocr(monkeypatch):
    """Choosing a cluster must never read a page."""

    def no_ocr_here():
        raise AssertionError("OCR ran while choosing a queue")

    monkeypatch.setattr(ocr, "default_engine", no_ocr_here)


@functools.cache
def _inbox() -> dict[str, bytes]:
    return dict(demo.inbox_documents())


@functools.cache
def _scan_jpeg() -> bytes:
    return _inbox()["12-nordlicht-scan.jpg"]


def _received(name: str, data: bytes) -> Invoice:
    return receive(data, name=name, channel=Document.Channel.UPLOAD, actor="test").invoice


def _queued() -> list[tuple[str, tuple]]:
    """(cluster, task arguments) of each task waiting in django-q2's ORM queue."""
    return [(row.key, tuple(row.task["args"])) for row in OrmQ.objects.order_by("pk")]


def _enqueue(invoice: Invoice, capture) -> list[tuple[str, tuple]]:
    with capture(execute=True):
        tasks.enqueue_invoice(invoice.pk)
    return _queued()


def _image_only_pdf() -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(_scan_jpeg())).save(out, "PDF", resolution=200)
    return out.getvalue()


def _pdf_with_a_scanned_page() -> bytes:
    """A text page, then a scanned page (a signed delivery note, say)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_font("Helvetica", "", 10)
    pdf.add_page()
    pdf.text(20, 20, "Invoice INV-77, see the signed delivery note attached")
    pdf.add_page()
    pdf.image(io.BytesIO(_scan_jpeg()), x=0, y=0, w=210)
    return bytes(pdf.output())


# Every file of the demo inbox but 09, the same bytes as 01 (one document).
DEMO_FILES = [
    ("01-acme-ubl-clean.xml", DEFAULT),
    ("02-nordlicht-cii-clean.xml", DEFAULT),
    ("03-lumiere-pdf-above-limit.pdf", DEFAULT),
    ("07-brightline-pdf-non-po.pdf", DEFAULT),
    ("10-damaged-truncated.pdf", DEFAULT),  # quarantined at once, by the default workers
    ("11-acme-facturx-clean.pdf", DEFAULT),
    ("12-nordlicht-scan.jpg", queues.OCR),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "cluster"), DEMO_FILES)
def test_each_demo_document_is_queued_for_the_cluster_that_reads_it(
    name, cluster, django_capture_on_commit_callbacks
):
    invoice = _received(name, _inbox()[name])

    assert _enqueue(invoice, django_capture_on_commit_callbacks) == [(cluster, (invoice.pk,))]


@pytest.mark.django_db
@pytest.mark.parametrize("make_pdf", [_image_only_pdf, _pdf_with_a_scanned_page])
def test_a_pdf_with_a_page_without_text_is_queued_for_the_ocr_cluster(
    make_pdf, django_capture_on_commit_callbacks
):
    invoice = _received("scan.pdf", make_pdf())

    assert _enqueue(invoice, django_capture_on_commit_callbacks) == [(queues.OCR, (invoice.pk,))]


def _scan_with_a_blank_text_layer() -> bytes:
    """A scanned page whose text layer holds a space only (some scanners write one)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_font("Helvetica", "", 10)
    pdf.add_page()
    pdf.image(io.BytesIO(_scan_jpeg()), x=0, y=0, w=210)
    pdf.text(20, 20, " ")
    return bytes(pdf.output())


@pytest.mark.django_db
def test_a_scan_whose_text_layer_is_only_blanks_is_queued_for_the_ocr_cluster(
    django_capture_on_commit_callbacks,
):
    # The reader finds no words on it and reads it by OCR: so must the queue think.
    invoice = _received("scan.pdf", _scan_with_a_blank_text_layer())

    assert _enqueue(invoice, django_capture_on_commit_callbacks) == [(queues.OCR, (invoice.pk,))]


@pytest.mark.django_db
def test_a_document_whose_file_is_gone_does_not_hold_up_the_others():
    gone = _received("gone.pdf", _image_only_pdf())
    gone.document.file.storage.delete(gone.document.file.name)
    scan = _received("scan.jpg", _scan_jpeg())

    assert tasks.resume_stalled() == 2

    # The reader says what is missing, in the default cluster, at once.
    assert sorted(_queued()) == sorted([(DEFAULT, (gone.pk,)), (queues.OCR, (scan.pk,))])


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.EXTRACTED, Status.MATCHED, Status.APPROVED])
def test_a_scan_already_read_goes_on_in_the_default_cluster(
    status, django_capture_on_commit_callbacks
):
    invoice = _received("scan.jpg", _scan_jpeg())
    Invoice.objects.filter(pk=invoice.pk).update(status=status)

    assert _enqueue(invoice, django_capture_on_commit_callbacks) == [(DEFAULT, (invoice.pk,))]


@pytest.mark.django_db
def test_without_ocr_workers_the_default_cluster_reads_scans(
    settings, django_capture_on_commit_callbacks
):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "ALT_CLUSTERS": {"ocr": {"workers": 0}}}
    invoice = _received("scan.jpg", _scan_jpeg())

    assert _enqueue(invoice, django_capture_on_commit_callbacks) == [(DEFAULT, (invoice.pk,))]


@pytest.mark.django_db
def test_an_ocr_worker_queues_digital_work_for_the_default_cluster(
    monkeypatch, django_capture_on_commit_callbacks
):
    # Inside `Q_CLUSTER_NAME=ocr manage.py qcluster`, async_task's own default is "ocr".
    monkeypatch.setattr(Conf, "CLUSTER_NAME", queues.OCR)
    xml = _received("e.xml", ubl_xml(demo_invoice(invoice_number="INV-Q-1")))
    scan = _received("scan.jpg", _scan_jpeg())

    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_invoice(xml.pk)
        tasks.enqueue_invoice(scan.pk)

    assert _queued() == [(DEFAULT, (xml.pk,)), (queues.OCR, (scan.pk,))]


@pytest.mark.django_db
def test_stalled_invoices_are_queued_again_each_on_its_cluster():
    scan = _received("scan.jpg", _scan_jpeg())
    pdf = _received("invoice.pdf", _inbox()["03-lumiere-pdf-above-limit.pdf"])
    xml = _received("e.xml", _inbox()["01-acme-ubl-clean.xml"])
    scanned_pdf = _received("scan.pdf", _image_only_pdf())
    claimed = _received("busy.pdf", _image_only_pdf() + b"busy")  # other bytes
    assert Invoice.objects.claim(claimed.pk, Status.RECEIVED, "live-worker:7")

    assert tasks.resume_stalled() == 4

    assert sorted(_queued()) == sorted(
        [
            (queues.OCR, (scan.pk,)),
            (DEFAULT, (pdf.pk,)),
            (DEFAULT, (xml.pk,)),
            (queues.OCR, (scanned_pdf.pk,)),
        ]
    )


@pytest.mark.django_db
def test_in_sync_mode_the_pipeline_runs_where_it_is_queued(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)

    def not_asked(invoice):
        raise AssertionError("no cluster is chosen in sync mode")

    monkeypatch.setattr(queues, "cluster_for", not_asked)
    invoice = _received("e.xml", _inbox()["01-acme-ubl-clean.xml"])

    assert _enqueue(invoice, django_capture_on_commit_callbacks) == []
    invoice.refresh_from_db()
    assert invoice.status != Status.RECEIVED


# The estimate of the time left.


def _reading(pages_read: int, pages_to_read: int, started_at) -> Invoice:
    invoice = _received("scan.jpg", _scan_jpeg())
    Document.objects.filter(pk=invoice.document_id).update(
        pages_read=pages_read, pages_to_read=pages_to_read, ocr_started_at=started_at
    )
    return Invoice.objects.select_related("document").get(pk=invoice.pk)


def _read_before(pages: int, seconds: float, name: str) -> None:
    """A document OCR read to the end earlier: `pages` pages in `seconds`."""
    finished = timezone.now() - timedelta(hours=1)
    invoice = _received(name, _image_only_pdf() + name.encode())
    Document.objects.filter(pk=invoice.document_id).update(
        pages_read=pages,
        pages_to_read=pages,
        ocr_started_at=finished - timedelta(seconds=seconds),
        ocr_finished_at=finished,
    )


@pytest.mark.django_db
def test_the_time_left_is_the_pace_so_far_times_the_pages_left():
    now = timezone.now()
    document = _reading(2, 5, now - timedelta(seconds=20)).document

    assert document.ocr_seconds_left(now) == 30  # 10 s a page, 3 pages left


@pytest.mark.django_db
def test_before_the_first_page_is_read_the_recent_pace_is_used():
    _read_before(3, 30, "a.pdf")
    _read_before(1, 30, "b.pdf")  # 60 s for 4 pages: 15 s a page
    now = timezone.now()
    document = _reading(0, 4, now - timedelta(seconds=5)).document

    assert document.ocr_seconds_left(now) == 55  # 4 pages at 15 s, 5 s of them gone
    # Slower than lately: at least the pages after this one are still to come.
    assert document.ocr_seconds_left(now + timedelta(seconds=50)) == 45


@pytest.mark.django_db
def test_with_no_document_read_yet_there_is_no_estimate_until_a_page_is_done():
    now = timezone.now()
    document = _reading(0, 4, now - timedelta(seconds=5)).document

    assert document.ocr_seconds_left(now) is None
    assert document.ocr_time_left == ""


@pytest.mark.django_db
def test_a_document_not_being_read_has_no_estimate():
    now = timezone.now()
    done = _reading(4, 4, now - timedelta(seconds=40)).document
    digital = _received("e.xml", _inbox()["01-acme-ubl-clean.xml"]).document

    assert done.ocr_seconds_left(now) is None
    assert digital.ocr_seconds_left(now) is None


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (3, "a few seconds"),
        (42, "about 40 s"),
        (58, "about 1 min"),
        (170, "about 3 min"),
        (3600, "about 1 h"),
        (4800, "about 1 h 20 min"),
    ],
)
def test_the_time_left_is_said_as_a_person_would(seconds, said):
    assert about(seconds) == said


@pytest.mark.django_db
def test_the_invoice_screens_show_the_page_being_read_and_the_time_left(client, clerk):
    now = timezone.now()
    invoice = _reading(2, 5, now - timedelta(seconds=20))
    client.force_login(clerk)

    with time_machine.travel(now, tick=False):
        row = client.get(reverse("invoice_row", args=[invoice.pk])).content.decode()
        detail = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()

    for page in (row, detail):
        assert '<progress value="2" max="5">' in page
        assert "reading page 3 of 5, about 30 s left" in page


@pytest.mark.django_db
def test_the_api_says_when_reading_started_and_the_seconds_left(client):
    now = timezone.now()
    started = now - timedelta(seconds=20)
    invoice = _reading(2, 5, started)
    _, secret = ApiToken.issue("scanner", ["documents"])

    with time_machine.travel(now, tick=False):
        response = client.get(
            reverse("api_document_status", args=[invoice.document_id]),
            headers={"Authorization": f"Bearer {secret}"},
        )

    assert response.json()["ocr"] == {
        "pages_read": 2,
        "pages_to_read": 5,
        "started_at": started.isoformat(),
        "finished_at": None,
        "seconds_left": 30,
    }


class PageEngine:
    """Reads every page as one word, after looking at what the database says."""

    name = "page-engine"

    def __init__(self, on_read):
        self.on_read = on_read

    def read(self, image):
        self.on_read()
        return [OcrWord("page", 0.9, 10, 10, 60, 20)]


@pytest.mark.django_db(transaction=True)
def test_the_worker_stamps_when_reading_started_and_when_it_finished(monkeypatch):
    frames = [Image.new("RGB", (300, 200), (255, 255 - page, 255)) for page in range(2)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], dpi=(200, 200))
    invoice = _received("scan.tif", out.getvalue())
    seen = []

    def look():
        document = Document.objects.get(pk=invoice.document_id)
        seen.append((document.ocr_started_at is not None, document.ocr_finished_at))

    monkeypatch.setattr(ocr, "default_engine", lambda: PageEngine(look))
    before = timezone.now()

    extract_invoice(invoice)

    assert seen == [(True, None), (True, None)]
    document = Document.objects.get(pk=invoice.document_id)
    assert before <= document.ocr_started_at <= document.ocr_finished_at <= timezone.now()


@pytest.mark.django_db
def test_an_invoice_whose_task_still_waits_in_the_queue_is_not_queued_again(
    django_capture_on_commit_callbacks,
):
    """resume_stalled runs every minute: a scan waiting behind a backlog must keep one task,
    not gain one a minute."""
    waiting = _received("scan.jpg", _scan_jpeg())
    lost = _received("lost.pdf", _image_only_pdf())  # its task was lost: queued again
    assert _enqueue(waiting, django_capture_on_commit_callbacks) == [(queues.OCR, (waiting.pk,))]

    assert tasks.resume_stalled() == 1
    assert tasks.resume_stalled() == 0

    assert sorted(_queued()) == sorted([(queues.OCR, (waiting.pk,)), (queues.OCR, (lost.pk,))])


@pytest.mark.django_db
def test_a_queue_row_that_cannot_be_read_does_not_stop_the_resume():
    scan = _received("scan.jpg", _scan_jpeg())
    OrmQ.objects.create(key=queues.OCR, payload="not a signed package", lock=timezone.now())

    assert tasks.resume_stalled() == 1
    assert [row.task.get("args") for row in OrmQ.objects.order_by("pk")] == [None, (scan.pk,)]


def _queue_scan_at(moment, capture) -> Invoice:
    with time_machine.travel(moment, tick=False):
        scan = _received("scan.jpg", _scan_jpeg())
        _enqueue(scan, capture)
    return scan


@pytest.mark.django_db
def test_scans_left_waiting_for_an_ocr_cluster_nobody_runs_are_reported(
    django_capture_on_commit_callbacks, caplog
):
    """Production started only the default qcluster: the check and the minute's resume say
    so once a scan has waited longer than any reading may last (Q_OCR_TIMEOUT)."""
    start = timezone.now()
    _queue_scan_at(start - timedelta(minutes=20), django_capture_on_commit_callbacks)
    _queue_scan_at(start - timedelta(minutes=2), django_capture_on_commit_callbacks)

    backlog = queues.unattended_ocr_backlog(now=start)
    assert backlog.tasks == 2
    assert timedelta(minutes=19) < backlog.waited < timedelta(minutes=21)
    with pytest.raises(SystemCheckError, match="W010"):
        call_command("check", databases=["default"], fail_level="WARNING")
    tasks.resume_stalled()
    assert "is `Q_CLUSTER_NAME=ocr manage.py qcluster` running?" in caplog.text


@pytest.mark.django_db
def test_a_served_or_young_ocr_queue_is_not_reported(django_capture_on_commit_callbacks, settings):
    start = timezone.now()
    assert queues.unattended_ocr_backlog(now=start) is None  # empty
    young = _queue_scan_at(start - timedelta(minutes=5), django_capture_on_commit_callbacks)
    assert queues.unattended_ocr_backlog(now=start) is None  # within Q_OCR_TIMEOUT

    _queue_scan_at(start - timedelta(minutes=40), django_capture_on_commit_callbacks)
    # A worker is alive: it started reading a scan 10 minutes ago (a long one).
    Document.objects.filter(pk=young.document_id).update(
        ocr_started_at=start - timedelta(minutes=10)
    )
    assert queues.unattended_ocr_backlog(now=start) is None

    settings.Q_CLUSTER = {
        **settings.Q_CLUSTER,
        "ALT_CLUSTERS": {
            queues.OCR: {**settings.Q_CLUSTER["ALT_CLUSTERS"][queues.OCR], "workers": 0}
        },
    }
    Document.objects.update(ocr_started_at=None)
    assert queues.unattended_ocr_backlog(now=start) is None  # the default cluster reads scans
