"""What a channel hands over: invoice-like files, with zip files opened, and what was left out.

Every channel (upload, mailbox, scanner folder, API) passes what it received through
`invoice_files`. A zip file is opened one level deep, with limits against zip bombs; a
member that is not an invoice format is left out with its reason, which the channel shows
(the upload screen, the mail record, the API response). A damaged zip is passed on as it is:
it is then stored and read like any file, and lands in review as unreadable with the
reason, so nothing is lost.
"""

import io
import zipfile
from dataclasses import dataclass

from django.conf import settings

from core.models.documents import safe_file_name, sniff_content_type
from core.tasks import enqueue_invoice
from extraction.intake import Received, RefusedFile, receive

# Content types extraction reads (sniffed from the bytes, never trusted from a name).
INVOICE_TYPES = {"application/pdf", "application/xml", "image/png", "image/jpeg", "image/tiff"}
ZIP = "application/zip"


@dataclass(frozen=True)
class IncomingFile:
    name: str
    data: bytes


@dataclass(frozen=True)
class LeftOut:
    name: str
    rule: str  # why, in words a clerk understands

    def as_dict(self) -> dict:
        return {"name": self.name, "rule": self.rule}


@dataclass(frozen=True)
class Taken:
    received: list[Received]
    left_out: list[LeftOut]


def take(name: str, data: bytes, *, channel: str, actor, source=None) -> Taken:
    """What every channel does with a file it got: a zip file is opened, each invoice-like
    file stored (the same bytes from any channel are one document), new invoices queued for
    the pipeline; what was not taken is returned with its reason."""
    files, left_out = invoice_files(name, data)
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
    return Taken(received, left_out)


def invoice_files(name: str, data: bytes) -> tuple[list[IncomingFile], list[LeftOut]]:
    """The files to take from one received file: itself, or a zip file's invoice-like
    members; and what was left out, with the rule that left it out."""
    if sniff_content_type(data) != ZIP:
        return [IncomingFile(name, data)], []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return [IncomingFile(name, data)], []  # kept and read as is: unreadable, with a reason
    limit = settings.MAX_ZIP_MEMBERS
    if len(members) > limit:
        return [], [LeftOut(name, f"the zip file holds {len(members)} files; at most {limit}")]
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
        kind = sniff_content_type(content)
        if kind == ZIP:
            left_out.append(LeftOut(member, "a zip file inside a zip file is not opened"))
        elif kind not in INVOICE_TYPES:
            left_out.append(LeftOut(member, "not an invoice format (PDF, XML, PNG, JPEG, TIFF)"))
        else:
            taken.append(IncomingFile(safe_file_name(info.filename), content))
    return taken, left_out
