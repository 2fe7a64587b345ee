"""Where documents come from: AP mailboxes, the messages taken from them, API tokens.

A mailbox is polled over IMAP; every message taken is recorded once (by its Message-ID,
or the hash of its bytes where it has none), with its raw bytes kept, so a message polled
again or delivered twice creates nothing new and a message with nothing usable in it is
listed for a person instead of vanishing.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from core.models.documents import Document, safe_file_name


class Mailbox(models.Model):
    """An AP mailbox configured in the admin (one more may come from IMAP_URL)."""

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    use_ssl = models.BooleanField("TLS (imaps)", default=True)
    username = models.CharField(max_length=255)
    password = models.CharField(
        max_length=255, blank=True, help_text="Leave empty to read it from the password file."
    )
    password_file = models.CharField(
        max_length=500, blank=True, help_text="A file holding the password (a mounted secret)."
    )
    folder = models.CharField(max_length=255, default="INBOX")
    processed_folder = models.CharField(
        max_length=255,
        blank=True,
        help_text="Taken messages are moved here; leave empty to flag them in place instead.",
    )
    enabled = models.BooleanField(default=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    history = HistoricalRecords(excluded_fields=["last_polled_at", "last_error"])

    class Meta:
        verbose_name_plural = "mailboxes"

    def __str__(self):
        return self.name


def message_path(instance: "MailMessage", filename: str) -> str:
    return f"mail/{instance.fingerprint[:2]}/{instance.fingerprint}.eml"


class MailMessage(models.Model):
    """One email taken from a mailbox: what it was, what became of it, and its bytes."""

    class Outcome(models.TextChoices):
        TAKEN = "taken", "documents taken"
        NEEDS_ATTENTION = "needs_attention", "needs attention"

    mailbox = models.CharField(max_length=100)
    # The Message-ID, or "sha256:<hash of the bytes>" for a message without one.
    key = models.CharField(max_length=500)
    fingerprint = models.CharField(max_length=64)  # sha256 of the raw message
    sender = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    raw = models.FileField(upload_to=message_path, max_length=300)
    size = models.PositiveBigIntegerField()
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    # Parts not taken, each {"name", "rule"}: the rule that decided is visible to a person.
    ignored = models.JSONField(default=list, blank=True)
    documents = models.ManyToManyField(Document, blank=True, related_name="mail_messages")
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["-taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "key"], name="one_record_per_message")
        ]

    def __str__(self):
        return f"{self.subject or '(no subject)'} from {self.sender or '(unknown sender)'}"


def left_out_path(instance: "LeftOutFile", filename: str) -> str:
    return f"left-out/{instance.sha256[:2]}/{instance.sha256}/{safe_file_name(filename)}"


class LeftOutFile(models.Model):
    """A file that reached AP through a channel and was not taken as an invoice (issue 19):
    a text file, a logo, a calendar invite, an XML file that is no e-invoice, a zip member
    over a limit. Which files count as possible invoices is decided in one place,
    extraction.channels.kinds; the rule that left this one out is `reason`.

    Kept for audit with its bytes (none when it was refused for its size before being
    read), listed on the Intake screen and, for an email, in the message's record."""

    original_name = models.CharField(max_length=255)
    reason = models.TextField()
    channel = models.CharField(max_length=16, choices=Document.Channel.choices)
    # Empty when the bytes were never kept (over MAX_STORED_BYTES, or not read at all).
    file = models.FileField(upload_to=left_out_path, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    content_type = models.CharField(max_length=100, blank=True)  # sniffed from the bytes
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    source = models.JSONField(default=dict, blank=True)  # as Document.source
    mail_message = models.ForeignKey(
        MailMessage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="left_out_files",
    )
    # Set when a clerk took the file as an invoice after all (the rule was wrong for it).
    taken_as = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.original_name} (left out: {self.reason})"


class ApiTokenQuerySet(models.QuerySet):
    def authenticate(self, token: str) -> "ApiToken | None":
        """The active token with this secret, or None; its last use is recorded."""
        found = self.filter(key_hash=_hash(token), revoked_at__isnull=True).first()
        if found:
            type(found).objects.filter(pk=found.pk).update(last_used_at=timezone.now())
        return found


class ApiToken(models.Model):
    """A bearer token for another system. Only its hash is stored; the secret is shown
    once, when `manage.py create_api_token NAME` makes it."""

    name = models.CharField(max_length=100, unique=True)
    prefix = models.CharField(max_length=8)  # the secret's first characters, to tell tokens apart
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, name: str, scopes: list[str]) -> tuple["ApiToken", str]:
        """A new token and its secret (which is not stored)."""
        secret = "ll_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name, prefix=secret[:8], key_hash=_hash(secret), scopes=scopes
        )
        return token, secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
