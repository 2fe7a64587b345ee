"""The AP mailbox over IMAP: each invoice-like attachment becomes a document.

A pass over a mailbox fetches each message not yet taken (without marking it read), takes
it in one database transaction (its documents, and a MailMessage record with the raw bytes,
the sender, subject and Message-ID), and only after that commit marks it on the server:
moved to the processed folder, or given the LedgerlineTaken keyword. So:

- a worker that dies between fetching and committing has stored nothing and marked nothing:
  the next pass takes the message again;
- a worker that dies after the commit but before marking leaves a message the next pass
  finds already recorded (by its Message-ID): it is marked then, and nothing is created;
- the same message delivered twice, or polled again, is recorded once.

Which parts are taken is decided by rule, and the rule is kept with the message: the text
body is the message, not an invoice; an inline image or one smaller than
MAIL_MIN_IMAGE_BYTES is a logo or a signature; other attachments are taken when
extraction.channels.kinds says they may be invoices. Every part left out is kept with its
reason (a LeftOutFile linked to the message). A message with nothing usable, or one that
cannot be parsed, is recorded as needing attention with its reason, so a person sees it.
"""

import email
import email.policy
import hashlib
import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit import chain
from core.models import Document, Mailbox, MailMessage
from core.models.documents import sniff_content_type
from extraction.channels import kinds
from extraction.channels.files import LeftOut, keep_left_out, take

log = logging.getLogger(__name__)
ACTOR = "system:mailbox"
TAKEN_KEYWORD = "LedgerlineTaken"


@dataclass(frozen=True)
class MailboxConfig:
    name: str
    host: str
    port: int
    use_ssl: bool
    username: str
    password: str
    folder: str = "INBOX"
    processed_folder: str = ""  # empty: flag with TAKEN_KEYWORD instead of moving

    @classmethod
    def from_model(cls, mailbox: Mailbox) -> "MailboxConfig":
        return cls(
            name=mailbox.name,
            host=mailbox.host,
            port=mailbox.port,
            use_ssl=mailbox.use_ssl,
            username=mailbox.username,
            password=mailbox.password or _read_secret(mailbox.password_file),
            folder=mailbox.folder or "INBOX",
            processed_folder=mailbox.processed_folder,
        )

    @classmethod
    def from_url(cls, url: str, password_file: str = "", processed_folder: str = ""):
        """`imap://user:password@host:port/Folder` or `imaps://...`."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname or not parts.username:
            raise ImproperlyConfigured(
                "IMAP_URL must look like imaps://user:password@host:993/INBOX"
            )
        password = unquote(parts.password or "") or _read_secret(password_file)
        return cls(
            name=f"IMAP_URL {parts.hostname}",
            host=parts.hostname,
            port=parts.port or (993 if parts.scheme == "imaps" else 143),
            use_ssl=parts.scheme == "imaps",
            username=unquote(parts.username),
            password=password,
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            processed_folder=processed_folder,
        )


@dataclass
class PollResult:
    mailbox: str
    messages: int = 0  # taken in this pass
    documents: int = 0
    needs_attention: int = 0
    already_taken: int = 0
    error: str = ""
    invoice_ids: list[int] = field(default_factory=list)
    # Messages too large to download (MAX_STORED_BYTES), each in words; left as they are.
    left_in_mailbox: list[str] = field(default_factory=list)


def configured_mailboxes() -> list[MailboxConfig]:
    configs = [MailboxConfig.from_model(m) for m in Mailbox.objects.filter(enabled=True)]
    if settings.IMAP_URL:
        configs.append(
            MailboxConfig.from_url(
                settings.IMAP_URL, settings.IMAP_PASSWORD_FILE, settings.IMAP_PROCESSED_FOLDER
            )
        )
    return configs


def poll_all() -> list[PollResult]:
    """One pass over every configured mailbox; a failing mailbox does not stop the others."""
    return [poll(config) for config in configured_mailboxes()]


def poll(config: MailboxConfig) -> PollResult:
    from imapclient import IMAPClient

    result = PollResult(config.name)
    try:
        with IMAPClient(config.host, port=config.port, ssl=config.use_ssl, timeout=60) as client:
            client.login(config.username, config.password)
            if config.processed_folder and not client.folder_exists(config.processed_folder):
                client.create_folder(config.processed_folder)
            client.select_folder(config.folder)
            criteria = ["ALL"] if config.processed_folder else ["NOT", "KEYWORD", TAKEN_KEYWORD]
            for uid in client.search(criteria):
                # Its size first: a message over MAX_STORED_BYTES is never downloaded. It
                # stays in the mailbox as it is, named in the mailbox's error.
                size = client.fetch([uid], ["RFC822.SIZE"]).get(uid, {}).get(b"RFC822.SIZE", 0)
                if size > settings.MAX_STORED_BYTES:
                    result.left_in_mailbox.append(
                        f"message {uid} is {size:,} bytes; the limit is "
                        f"{settings.MAX_STORED_BYTES:,} bytes (MAX_STORED_BYTES): left in "
                        f"{config.folder}, not downloaded"
                    )
                    continue
                fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
                raw = fetched.get(b"BODY[]")
                if raw is None:
                    continue  # gone since the search (another worker moved it)
                record, created = take_message(config.name, raw)
                _count(result, record, created)
                _mark_taken(client, config, uid)
    except Exception as exc:  # a mailbox that fails is reported, and the next one polled
        log.exception("polling mailbox %s failed", config.name)
        result.error = f"{type(exc).__name__}: {exc}"
    Mailbox.objects.filter(name=config.name).update(
        last_polled_at=timezone.now(),
        last_error="; ".join(filter(None, [result.error, *result.left_in_mailbox])),
    )
    return result


def take_message(mailbox: str, raw: bytes) -> tuple[MailMessage, bool]:
    """Record one message and take its documents, all in one transaction; (record, False)
    when this message was taken before (polled again, or delivered twice)."""
    fingerprint = hashlib.sha256(raw).hexdigest()
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        key = _header(message, "Message-ID") or f"sha256:{fingerprint}"
    except Exception:  # headers so broken the parser gives up: still recorded, by its hash
        message, key = None, f"sha256:{fingerprint}"
    try:
        with transaction.atomic():
            existing = MailMessage.objects.filter(mailbox=mailbox, key=key[:500]).first()
            if existing:
                return existing, False
            record = MailMessage(
                mailbox=mailbox,
                key=key[:500],
                fingerprint=fingerprint,
                sender=_header(message, "From")[:500],
                subject=_header(message, "Subject")[:500],
                size=len(raw),
            )
            record.raw.save(f"{fingerprint}.eml", ContentFile(raw), save=False)
            documents, ignored, reason = _documents_of(message, record)
            record.ignored = [item.as_dict() for item in ignored]
            if documents:
                record.outcome = MailMessage.Outcome.TAKEN
            else:
                record.outcome = MailMessage.Outcome.NEEDS_ATTENTION
                record.reason = reason or _nothing_usable(ignored)
            record.save()
            record.documents.set(documents)
            keep_left_out(
                ignored,
                channel=Document.Channel.EMAIL,
                actor=ACTOR,
                source=_source(record),
                mail_message=record,
            )
            chain.record(
                "mail.taken" if documents else "mail.needs_attention",
                actor=ACTOR,
                payload={
                    "mailbox": mailbox,
                    "message_id": record.key,
                    "sender": record.sender,
                    "subject": record.subject,
                    "documents": [d.pk for d in documents],
                    "ignored": record.ignored,
                    "reason": record.reason,
                },
            )
    except IntegrityError:
        # Another worker took the same message at the same moment and committed first.
        return MailMessage.objects.get(mailbox=mailbox, key=key[:500]), False
    return record, True


def attachments(message: EmailMessage) -> tuple[list[tuple[str, bytes]], list[LeftOut]]:
    """The parts that may be invoices, and the parts left out with the rule that did it."""
    found, left_out = [], []
    for number, part in enumerate(message.walk(), start=1):
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        name = part.get_filename() or f"part-{number}"
        body_text = content_type.startswith("text/") and content_type != "text/xml"
        if body_text and not part.get_filename():
            continue  # the message's own text; an unnamed text/xml part may be an invoice
        data = part.get_payload(decode=True) or b""
        if not data:
            left_out.append(LeftOut(name, "empty attachment"))
            continue
        kind = sniff_content_type(data)
        if kind.startswith("image/"):
            if part.get_content_disposition() == "inline" or part["Content-ID"]:
                left_out.append(LeftOut(name, "inline image in the message body (a logo)", data))
                continue
            if len(data) < settings.MAIL_MIN_IMAGE_BYTES:
                left_out.append(
                    LeftOut(
                        name,
                        f"image under {settings.MAIL_MIN_IMAGE_BYTES:,} bytes "
                        "(a logo or signature; a scanned page is larger)",
                        data,
                    )
                )
                continue
        verdict = kinds.classify(name, data, content_type)
        if not verdict.invoice:
            left_out.append(LeftOut(name, verdict.reason, data))
            continue
        found.append((name, data))
    return found, left_out


def _documents_of(message, record: MailMessage):
    """(documents, parts left out, reason when the message could not be read at all)."""
    if message is None:
        return [], [], "The message could not be parsed as an email."
    try:
        parts, left_out = attachments(message)
    except Exception as exc:  # a MIME structure the parser chokes on
        return [], [], f"The message's MIME structure could not be read ({exc})."
    source = _source(record)
    documents: list[Document] = []
    for name, data in parts:
        taken = take(
            name, data, channel=Document.Channel.EMAIL, actor=ACTOR, source=source, keep=False
        )
        documents += [received.document for received in taken.received]
        left_out += taken.left_out
    defects = [defect for part in message.walk() for defect in part.defects]
    if not documents and defects:
        # The email package documents each defect in a sentence: "A start boundary was
        # found, but not the corresponding close boundary."
        said = " ".join(
            (type(defect).__doc__ or type(defect).__name__).strip().splitlines()[0]
            for defect in defects
        )
        return [], left_out, f"The message is malformed: {said} {_nothing_usable(left_out)}"
    return documents, left_out, ""


def _source(record: MailMessage) -> dict:
    """What a document or a left-out file keeps of the message it came in."""
    return {
        "mailbox": record.mailbox,
        "message_id": record.key,
        "sender": record.sender,
        "subject": record.subject,
    }


def _nothing_usable(left_out: list[LeftOut]) -> str:
    if not left_out:
        return "The message has no attachment."
    listed = "; ".join(f"{item.name}: {item.rule}" for item in left_out)
    return f"No attachment is an invoice ({listed})."


def _count(result: PollResult, record: MailMessage, created: bool) -> None:
    if not created:
        result.already_taken += 1
        return
    result.messages += 1
    if record.outcome == MailMessage.Outcome.NEEDS_ATTENTION:
        result.needs_attention += 1
    documents = list(record.documents.select_related("invoice"))
    result.documents += len(documents)
    result.invoice_ids += [d.invoice.pk for d in documents]


def _mark_taken(client, config: MailboxConfig, uid: int) -> None:
    if config.processed_folder:
        client.move([uid], config.processed_folder)
    else:
        client.add_flags([uid], [TAKEN_KEYWORD.encode()])


def _header(message, name: str) -> str:
    if message is None:
        return ""
    try:
        value = message.get(name)
    except Exception:  # a header the policy cannot parse
        value = None
    return str(value or "").strip()


def _read_secret(path: str) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"The IMAP password file {path} cannot be read: {exc}") from exc
