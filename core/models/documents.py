"""Documents: the original bytes exactly as they arrived, kept whatever happens to them."""

from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone
from django.utils.text import get_valid_filename
from simple_history.models import HistoricalRecords

# Content is identified by its first bytes, never trusted from a file name or a header.
_SIGNATURES = [
    (b"%PDF", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
]


def sniff_content_type(data: bytes) -> str:
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "application/xml"
    return "application/octet-stream"


def safe_file_name(name: str) -> str:
    """The last path component, made safe for storage; never empty."""
    base = PurePath(name.replace("\\", "/")).name
    try:
        return get_valid_filename(base)[:120]
    except Exception:  # get_valid_filename raises on names like ".." that reduce to nothing
        return "document"


def document_path(instance: "Document", filename: str) -> str:
    return f"documents/{instance.sha256[:2]}/{instance.sha256}/{safe_file_name(filename)}"


class Document(models.Model):
    class Channel(models.TextChoices):
        UPLOAD = "upload"
        EMAIL = "email"
        FOLDER = "folder"
        API = "api"
        COMMAND = "command", "command line"

    file = models.FileField(upload_to=document_path, max_length=300)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # What the channel knows: sender, subject and Message-ID of an email, a folder path, ...
    source = models.JSONField(default=dict, blank=True)
    # The positioned words extraction read from the pages, [text, page, x0, top, x1, bottom]
    # each, kept so that learning from corrections never reads (or OCRs) the file again.
    words = models.JSONField(default=list, blank=True)
    # OCR progress while extraction reads scanned pages: pages read of pages to read. Both
    # stay 0 for a document with a text layer or XML, which needs no OCR.
    pages_read = models.PositiveIntegerField(default=0)
    pages_to_read = models.PositiveIntegerField(default=0)
    # When OCR of the pages last started (page 0 of N) and finished (N of N): the screens
    # estimate the time left from them (ocr_seconds_left). Reading again starts again.
    ocr_started_at = models.DateTimeField(null=True, blank=True)
    ocr_finished_at = models.DateTimeField(null=True, blank=True, db_index=True)
    history = HistoricalRecords(
        excluded_fields=[
            "words",
            "pages_read",
            "pages_to_read",
            "ocr_started_at",
            "ocr_finished_at",
        ]
    )

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return self.original_name

    @property
    def reading_pages(self) -> bool:
        """Whether OCR is part way through this document's pages."""
        return self.pages_read < self.pages_to_read

    def ocr_seconds_left(self, now: datetime | None = None) -> int | None:
        """Seconds until OCR has read the last page, estimated; None when no page is being
        read, or when nothing is known yet to estimate from.

        Once a page is done: the time taken so far per page done, times the pages left.
        Before that: the pace of the documents read lately (recent_ocr_seconds_per_page)
        for every page, less the time this one has been at it, yet never less than the
        pages after the one being read would take; with no document read yet, None.
        """
        if not self.reading_pages or self.ocr_started_at is None:
            return None
        elapsed = max(0.0, ((now or timezone.now()) - self.ocr_started_at).total_seconds())
        left = self.pages_to_read - self.pages_read
        if self.pages_read:
            return round(elapsed / self.pages_read * left)
        per_page = recent_ocr_seconds_per_page()
        if per_page is None:
            return None
        return round(max(per_page * self.pages_to_read - elapsed, per_page * (left - 1)))

    @property
    def ocr_time_left(self) -> str:
        """The estimate as the screens say it ("about 40 s"), or "" without one."""
        seconds = self.ocr_seconds_left()
        return "" if seconds is None else about(seconds)

    def read_bytes(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()


RECENT_OCR_DOCUMENTS = 20  # the pace of OCR is that of the last documents read


def recent_ocr_seconds_per_page() -> float | None:
    """Seconds OCR took per page over the last RECENT_OCR_DOCUMENTS documents it read to
    the end (all their pages together), from the database at most once a minute per
    process; None before any document has been read."""
    found = cache.get("ocr-seconds-per-page")
    if found is None:
        read = Document.objects.filter(
            ocr_finished_at__isnull=False, ocr_started_at__isnull=False, pages_to_read__gt=0
        ).order_by("-ocr_finished_at")[:RECENT_OCR_DOCUMENTS]
        pages = seconds = 0.0
        for started, finished, count in read.values_list(
            "ocr_started_at", "ocr_finished_at", "pages_to_read"
        ):
            seconds += max(0.0, (finished - started).total_seconds())
            pages += count
        found = {"per_page": seconds / pages if pages else None}
        cache.set("ocr-seconds-per-page", found, 60)
    return found["per_page"]


def about(seconds: float) -> str:
    """A time left as a person says it: "a few seconds" (under 10 s), "about 45 s" (to 5 s),
    "about 3 min", "about 1 h 20 min"."""
    if seconds < 10:
        return "a few seconds"
    if seconds < 57.5:
        return f"about {5 * round(seconds / 5)} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min" if minutes else f"about {hours} h"
