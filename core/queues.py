"""Which django-q2 cluster runs an invoice's automatic stages.

Reading a scan by OCR holds a worker for seconds a page, a minute for a long scan; every
other stage (a PDF's text layer, an e-invoice, matching, routing, posting) takes well under
a second. So an invoice still to be read whose document needs OCR is queued for the "ocr"
cluster, its own qcluster processes (Q_OCR_WORKERS, core/settings.py), and everything else
for the default cluster: a long scan never waits in front of a digital PDF or an e-invoice.
The OCR worker then takes the invoice on through its other automatic stages, as any worker
does (they take well under a second); work on it queued later (after a person acts) goes
to the default cluster. With Q_OCR_WORKERS=0 there is no "ocr" cluster and the default
one reads scans too.

The choice is made when the invoice is queued, so it must be cheap and never OCR: the
document's type (an image is a scan) and, for a PDF, whether some page has no text layer
(nothing but blanks on the page as pdfium reads it, as the reader decides; milliseconds a
page, after the stream check that guards every pdfium call on a stranger's file),
remembered by the file's hash. A
document that turns out to need OCR only once it is read (pdfium found text where pdfminer
finds none; rare) is read where it is, OCR included; so is a document that cannot be
opened here, which the default workers then quarantine in a moment.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import pypdfium2
from django.conf import settings
from django.core.cache import caches
from django.core.checks import Tags, Warning, register
from django.db import DatabaseError
from django.utils import timezone
from django_q.models import OrmQ

from core.models import Document, Invoice, Status
from extraction.readers.pdf_streams import check_pdf_streams
from extraction.readers.pdf_text import pdfium_lock

log = logging.getLogger(__name__)

OCR = "ocr"


def default_cluster() -> str:
    """The default cluster's name, the queue its qcluster takes tasks from."""
    return settings.Q_CLUSTER["name"]


def cluster_for(invoice: Invoice) -> str:
    """The cluster that should run `invoice`'s next stages: OCR for one still to be read
    (received) whose document needs OCR and will be read, while an "ocr" cluster is
    configured; the default cluster otherwise."""
    if (
        invoice.status == Status.RECEIVED
        and settings.Q_CLUSTER["ALT_CLUSTERS"][OCR]["workers"] > 0
        and invoice.crashed_runs < settings.MAX_CRASHED_RUNS  # else quarantined unread
        and needs_ocr(invoice.document)
    ):
        return OCR
    return default_cluster()


def needs_ocr(document: Document) -> bool:
    """Whether reading `document` means OCR: an image (PNG, JPEG, TIFF), or a PDF with a
    page that has no text layer. False for XML, for a file over MAX_DOCUMENT_BYTES (kept
    unread) and for a PDF that cannot be opened or is over a limit (quarantined unread)."""
    if document.size > settings.MAX_DOCUMENT_BYTES:
        return False
    if document.content_type.startswith("image/"):
        return True
    if document.content_type != "application/pdf":
        return False
    key = f"needs-ocr:v2:{document.sha256}"
    cache = caches["ocr"]
    found = cache.get(key)
    if found is None:
        try:
            data = document.read_bytes()
        except OSError as exc:  # a file gone from storage: the reader says so, quickly
            log.warning("document %s cannot be read to choose its queue: %r", document.pk, exc)
            return False
        found = _has_page_without_text(data)
        cache.set(key, found)
    return found


def _has_page_without_text(data: bytes) -> bool:
    try:
        check_pdf_streams(data)  # pdfium inflates a page's contents whole
        with pdfium_lock:
            pdf = pypdfium2.PdfDocument(data)
            try:
                if len(pdf) > settings.MAX_PDF_PAGES:
                    return False
                for index in range(len(pdf)):
                    page = pdf[index]
                    text = page.get_textpage()
                    try:
                        # As the reader decides (pdf_text: a page without words is scanned):
                        # a text layer of blanks alone is none.
                        if not text.get_text_range().strip():
                            return True
                    finally:
                        text.close()
                        page.close()
            finally:
                pdf.close()
    except Exception as exc:  # damaged, encrypted, a bomb: the reader says why, without OCR
        log.debug("a PDF that cannot be opened goes to the default cluster: %r", exc)
    return False


@dataclass(frozen=True)
class UnattendedBacklog:
    """Scans waiting for an "ocr" cluster that nobody runs: `tasks` waiting, the oldest
    for `waited`."""

    tasks: int
    waited: timedelta

    def sentence(self) -> str:
        minutes = int(self.waited.total_seconds() // 60)
        return (
            f"{self.tasks} scan(s) have waited up to {minutes} min for the OCR cluster, and "
            "no scan has been read meanwhile: is `Q_CLUSTER_NAME=ocr manage.py qcluster` "
            "running?"
        )


def unattended_ocr_backlog(now: datetime | None = None) -> UnattendedBacklog | None:
    """The scans left waiting because no "ocr" qcluster runs (a deployment that started
    only the default cluster), or None while the OCR queue is served or empty.

    A running OCR worker takes a task at least once every Q_OCR_TIMEOUT seconds, since no
    reading may last longer; so the queue is unattended when a task has waited longer than
    that (its ORM-broker row's `lock`, the time it was queued or handed back, lies further
    in the past) while no document's OCR started within it. Reads django-q2's ORM queue:
    None with another broker or with Q_OCR_WORKERS=0 (the default cluster reads scans)."""
    ocr_settings = settings.Q_CLUSTER["ALT_CLUSTERS"][OCR]
    if not settings.Q_CLUSTER.get("orm") or ocr_settings["workers"] <= 0:
        return None
    now = now or timezone.now()
    window = timedelta(seconds=ocr_settings["timeout"])
    waiting = OrmQ.objects.using(settings.Q_CLUSTER["orm"]).filter(key=OCR, lock__lte=now)
    oldest = waiting.order_by("lock").values_list("lock", flat=True).first()
    if oldest is None or now - oldest <= window:
        return None
    if Document.objects.filter(ocr_started_at__gte=now - window).exists():
        return None
    return UnattendedBacklog(tasks=waiting.count(), waited=now - oldest)


@register(Tags.database)
def check_ocr_cluster_attended(app_configs, databases=None, **kwargs):
    """W010: scans wait for an "ocr" cluster that nobody runs (unattended_ocr_backlog).
    Reads the queue, so it runs where database checks do: `manage.py check --database default`."""
    if not databases:
        return []
    try:
        backlog = unattended_ocr_backlog()
    except DatabaseError:  # not migrated yet: nothing can be queued
        return []
    if backlog is None:
        return []
    return [
        Warning(
            backlog.sentence(),
            hint="Start `Q_CLUSTER_NAME=ocr manage.py qcluster` beside the default qcluster "
            "(README, production), or set Q_OCR_WORKERS=0 for the default cluster to read "
            "scans too.",
            id="ledgerline.W010",
        )
    ]
