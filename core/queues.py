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

import pypdfium2
from django.conf import settings
from django.core.cache import caches

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
