"""Intake: one function every channel calls to hand over a file.

The original bytes are stored first and kept whatever happens next. The same bytes from
any channel are the same document: they link to the existing invoice (and the audit trail
says so) instead of creating a second one.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from audit import chain
from core.models import Document, Invoice
from core.models.documents import safe_file_name, sniff_content_type
from core.models.invoices import actor_name


class RefusedFile(Exception):
    """The file is not taken at all (over MAX_STORED_BYTES); nothing was stored. A file
    over MAX_DOCUMENT_BYTES but under this is stored and quarantined instead."""


@dataclass(frozen=True)
class Received:
    document: Document
    invoice: Invoice
    created: bool  # False: these bytes were already here


def check_stored_size(name: str, size: int) -> None:
    """Raise RefusedFile when a file of `size` bytes is over MAX_STORED_BYTES. A channel
    that knows a file's size before reading it (the scanner folder) asks first, so a huge
    file is never read into memory; `receive` asks again of the bytes it is given."""
    if size > settings.MAX_STORED_BYTES:
        raise RefusedFile(
            f"{safe_file_name(name)} is {size:,} bytes; the limit is "
            f"{settings.MAX_STORED_BYTES:,} bytes."
        )


def receive(data: bytes, *, name: str, channel: str, actor, source=None) -> Received:
    check_stored_size(name, len(data))
    sha256 = hashlib.sha256(data).hexdigest()
    existing = _already_received(sha256, name=name, channel=channel, actor=actor)
    if existing:
        return existing
    user = None if isinstance(actor, str) else actor
    try:
        with transaction.atomic():
            document = Document(
                original_name=safe_file_name(name),
                sha256=sha256,
                size=len(data),
                content_type=sniff_content_type(data),
                channel=channel,
                received_by=user,
                source=source or {},
            )
            document.file.save(safe_file_name(name), ContentFile(data), save=False)
            document.save()
            invoice = Invoice.objects.create(document=document)
            chain.record(
                "document.received",
                actor=actor_name(actor),
                invoice_id=invoice.pk,
                payload={
                    "document_id": document.pk,
                    "file": document.original_name,
                    "sha256": sha256,
                    "size": len(data),
                    "content_type": document.content_type,
                    "channel": channel,
                    "source": document.source,
                },
            )
    except IntegrityError:  # the same bytes arrived at the same moment through another door
        existing = _already_received(sha256, name=name, channel=channel, actor=actor)
        if existing:
            return existing
        raise
    return Received(document, invoice, created=True)


def _already_received(sha256: str, *, name: str, channel: str, actor) -> Received | None:
    document = Document.objects.filter(sha256=sha256).select_related("invoice").first()
    if document is None:
        return None
    chain.record(
        "document.received_again",
        actor=actor_name(actor),
        invoice_id=document.invoice.pk,
        payload={
            "document_id": document.pk,
            "file": safe_file_name(name),
            "sha256": sha256,
            "channel": channel,
        },
    )
    return Received(document, document.invoice, created=False)
