"""Documents: the original bytes exactly as they arrived, kept whatever happens to them."""

from pathlib import PurePath

from django.conf import settings
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
    history = HistoricalRecords(excluded_fields=["words", "pages_read", "pages_to_read"])

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return self.original_name

    @property
    def reading_pages(self) -> bool:
        """Whether OCR is part way through this document's pages."""
        return self.pages_read < self.pages_to_read

    def read_bytes(self) -> bytes:
        with self.file.open("rb") as handle:
            return handle.read()
