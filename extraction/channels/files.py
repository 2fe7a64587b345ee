"""What a channel hands over: invoice-like files, with zip files opened, and what was left out.

Every channel (upload, mailbox, scanner folder, API) passes what it received through
`invoice_files`. Which files are possible invoices is decided in one place,
`extraction.channels.kinds`; a file that is not one (a text file, a calendar invite, an
XML file that is no e-invoice) is left out with its reason, and so is a zip member that is
not one. What is left out is kept (`keep_left_out`: a LeftOutFile with its bytes, audited)
and shown: the upload screen, the mail record, the API response, the Intake screen. A
damaged zip is passed on as it is: it is then stored and read like any file, and lands in
review as unreadable with the reason, so nothing is lost.
"""

import hashlib
import io
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from audit import chain
from core.models import LeftOutFile, MailMessage
from core.models.documents import safe_file_name, sniff_content_type
from core.models.invoices import actor_name
from core.tasks import enqueue_invoice
from extraction.channels import kinds
from extraction.intake import Received, RefusedFile, receive

# Content types extraction reads (sniffed from the bytes, never trusted from a name).
INVOICE_TYPES = kinds.INVOICE_TYPES
ZIP = kinds.ZIP


@dataclass(frozen=True)
class IncomingFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class LeftOut:
    name: str
    rule: str  # why, in words a clerk understands
    # The bytes, to keep for audit; None where they were never read (over a size limit).
    data: bytes | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict:
        return {"name": self.name, "rule": self.rule}


@dataclass(frozen=True)
class Taken:
    received: list[Received]
    left_out: list[LeftOut]


def take(
    name: str,
    data: bytes,
    *,
    channel: str,
    actor,
    source=None,
    declared_type: str = "",
    keep: bool = True,
) -> Taken:
    """What every channel does with a file it got: a zip file is opened, each possible
    invoice (extraction.channels.kinds) stored (the same bytes from any channel are one
    document), new invoices queued for the pipeline; what was not taken is returned with
    its reason and, unless `keep` is False (the mailbox keeps them itself, with the
    message), kept as LeftOutFile records."""
    files, left_out = invoice_files(name, data, declared_type)
    received = []
    for incoming in files:
        try:
            found = receive(
                incoming.data, name=incoming.name, channel=channel, actor=actor, source=source
            )
        except RefusedFile as exc:
            left_out.append(LeftOut(incoming.name, str(exc)))
            continue
        received.append(found)
        if found.created:
            enqueue_invoice(found.invoice.pk)
    if keep:
        keep_left_out(left_out, channel=channel, actor=actor, source=source)
    return Taken(received, left_out)


def keep_left_out(
    left_out: list[LeftOut],
    *,
    channel: str,
    actor,
    source=None,
    mail_message: MailMessage | None = None,
) -> list[LeftOutFile]:
    """Keep each file left out (its bytes, when they were read), with its reason, and
    write an audit event `document.left_out` for it; the same bytes are stored once."""
    kept = []
    user = None if isinstance(actor, str) else actor
    for item in left_out:
        data = item.data
        sha256 = hashlib.sha256(data).hexdigest() if data else ""
        with transaction.atomic():
            record = LeftOutFile(
                original_name=item.name[:255],  # a zip member: "batch.zip/notes.txt"
                reason=item.rule,
                channel=channel,
                sha256=sha256,
                size=len(data or b""),
                content_type=sniff_content_type(data) if data else "",
                received_by=user,
                source=source or {},
                mail_message=mail_message,
            )
            if data:
                earlier = (
                    LeftOutFile.objects.filter(sha256=sha256).exclude(file="").only("file").first()
                )
                if earlier is not None:
                    record.file.name = earlier.file.name
                else:
                    record.file.save(safe_file_name(item.name), ContentFile(data), save=False)
            record.save()
            chain.record(
                "document.left_out",
                actor=actor_name(actor),
                payload={
                    "left_out_file": record.pk,
                    "file": record.original_name,
                    "reason": record.reason,
                    "sha256": sha256,
                    "size": record.size,
                    "channel": channel,
                    "source": record.source,
                    "mail_message": mail_message.pk if mail_message else None,
                },
            )
        kept.append(record)
    return kept


def invoice_files(
    name: str, data: bytes, declared_type: str = ""
) -> tuple[list[IncomingFile], list[LeftOut]]:
    """The files to take from one received file: itself, or a zip file's possible invoices
    (extraction.channels.kinds); and what was left out, with the rule that left it out
    and its bytes where they were read."""
    if sniff_content_type(data) != ZIP:
        verdict = kinds.classify(name, data, declared_type)
        if not verdict.invoice:
            return [], [LeftOut(safe_file_name(name), verdict.reason, data)]
        return [IncomingFile(name, data)], []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return [IncomingFile(name, data)], []  # kept and read as is: unreadable, with a reason
    office = kinds.office_document([info.filename for info in members])
    if office:
        return [], [LeftOut(safe_file_name(name), f"not an invoice: {office}", data)]
    limit = settings.MAX_ZIP_MEMBERS
    if len(members) > limit:
        return [], [
            LeftOut(name, f"the zip file holds {len(members)} files; at most {limit}", data)
        ]
    taken, left_out = [], []
    budget = settings.MAX_DOCUMENT_BYTES * 4  # in all, so a zip bomb cannot fill a disk
    for info in members:
        member = f"{safe_file_name(name)}/{safe_file_name(info.filename)}"
        if info.flag_bits & 0x1:
            left_out.append(LeftOut(member, "encrypted inside the zip file"))
            continue
        if info.file_size > min(settings.MAX_DOCUMENT_BYTES, budget):
            left_out.append(
                LeftOut(member, f"{info.file_size:,} bytes unpacked; over the size limit")
            )
            continue
        try:
            with archive.open(info) as stream:
                # Read no more than the header promised: a lying header is a zip bomb.
                content = stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError) as exc:
            left_out.append(LeftOut(member, f"damaged inside the zip file ({exc})"))
            continue
        if len(content) > info.file_size:
            left_out.append(LeftOut(member, "larger unpacked than the zip file says"))
            continue
        budget -= len(content)
        if sniff_content_type(content) == ZIP:
            left_out.append(LeftOut(member, "a zip file inside a zip file is not opened", content))
            continue
        verdict = kinds.classify(info.filename, content)
        if verdict.invoice:
            taken.append(IncomingFile(safe_file_name(info.filename), content))
        else:
            left_out.append(LeftOut(member, verdict.reason, content))
    return taken, left_out
