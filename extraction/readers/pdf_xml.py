"""PDFs that carry their e-invoice inside: Factur-X, ZUGFeRD 1.0 and 2.x, XRechnung in PDF.

The XML attachment is the legal invoice; the PDF pages are only its picture. So when a PDF
carries one, it is parsed like any e-invoice and the text layer is not guessed at.

The attachments are the files the catalog lists as associated files (/AF, PDF 2.0 and
PDF/A-3) and as embedded files (/Names /EmbeddedFiles), read with pdfminer. They are tried
as the invoice best first (`Attachment.rank`): the names the standards give it, then the
associated-file relationship that says "this is the document as data" (Alternative, Data,
Source), then an XML MIME type, then any attachment whose bytes look like XML. The first
that reads as an e-invoice wins; one whose root is no invoice (a delivery note) is passed
over. When none reads, the pages are read, and each attachment that is an e-invoice but
could not be used becomes an EINVOICE_UNUSABLE problem: the clerk checks the fields
against it instead of trusting a silent fall-back.
"""

import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import PDFObjRef, PDFStream, resolve1
from pdfminer.utils import decode_text

from core.exception_codes import ExceptionCode
from extraction.readers.pdf_text import PdfTextReader
from extraction.readers.xml_invoice import (
    CII,
    UBL_CREDIT_NOTE,
    UBL_INVOICE,
    XmlInvoiceReader,
    looks_like_xml,
)
from extraction.readers.zugferd1 import ZUGFERD1
from extraction.types import ExtractionResult, NotAnEInvoice, SourceFile, UnreadableDocument

log = logging.getLogger(__name__)

# The names the standards give the attachment, most specific first (compared lower-case,
# with or without ".xml": senders drop the extension).
KNOWN_NAMES = (
    "factur-x",  # Factur-X 1.0, ZUGFeRD 2.1+
    "zugferd-invoice",  # ZUGFeRD 2.0, and ZUGFeRD 1.0's "ZUGFeRD-invoice.xml"
    "xrechnung",  # XRechnung profile of ZUGFeRD 2.1+
)
# /AFRelationship values that make an attachment the document itself, as data.
INVOICE_RELATIONSHIPS = ("Alternative", "Data", "Source")
# /AFRelationship values (ISO 32000-2, 14.13) that say an attachment is something else
# beside the document (a supplement, a schema, form data, an encrypted payload): never taken
# for the invoice, whatever its MIME type or bytes.
OTHER_RELATIONSHIPS = ("Supplement", "EncryptedPayload", "FormData", "Schema")
XML_MIME_TYPES = ("text/xml", "application/xml")
# A root in one of these namespaces is an e-invoice syntax; found in the bytes of an
# attachment too damaged (or refused too early, a DTD) to parse its root.
EINVOICE_NAMESPACES = tuple(
    namespace.encode(encoding)
    for namespace in (CII, UBL_INVOICE, UBL_CREDIT_NOTE, ZUGFERD1)
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_MAX_NAME_TREE_DEPTH = 32


@dataclass(frozen=True)
class Attachment:
    """A file embedded in a PDF: its name, bytes (b"" when over MAX_ATTACHMENT_BYTES or
    undecodable, `damage` then says why), /AFRelationship and MIME type ("" where none)."""

    name: str
    data: bytes
    relationship: str = ""
    mime_type: str = ""
    damage: str = ""

    @property
    def rank(self) -> tuple[int, int] | None:
        """Where it is tried as the invoice, lowest first; None: it is not tried."""
        stem = self.name.lower().removesuffix(".xml")
        if stem in KNOWN_NAMES:
            return 0, KNOWN_NAMES.index(stem)
        if self.relationship in OTHER_RELATIONSHIPS:
            return None
        if self.relationship in INVOICE_RELATIONSHIPS:
            return 1, INVOICE_RELATIONSHIPS.index(self.relationship)
        if self.mime_type in XML_MIME_TYPES:
            return 2, 0
        if looks_like_xml(self.data):
            return 3, 0
        return None

    @property
    def claims_to_be_einvoice(self) -> bool:
        """Whether a failure to read it is worth telling the clerk: it bears a standard
        name, is declared the document's XML, or is written in an e-invoice syntax."""
        declared = self.relationship in INVOICE_RELATIONSHIPS and self.mime_type in XML_MIME_TYPES
        return (
            self.name.lower().removesuffix(".xml") in KNOWN_NAMES
            or declared
            or any(namespace in self.data for namespace in EINVOICE_NAMESPACES)
        )


def pdf_attachments(data: bytes) -> list[Attachment]:
    """The files the PDF `data` embeds, associated files first, each once; [] for a PDF
    that cannot be opened (damaged or encrypted: the text reader explains what is wrong)."""
    return [_attachment(key, filespec, stream) for key, filespec, stream in _embedded(data)]


def has_attachments(data: bytes) -> bool:
    """Whether the PDF `data` embeds a file, found without inflating one."""
    return next(_embedded(data), None) is not None


def _embedded(data: bytes) -> Iterator[tuple[str, dict, PDFStream]]:
    """(name-tree key or "", file specification, embedded file stream) of each file. A
    damaged entry is passed over, as pdfium passes over it."""
    try:
        catalog = PDFDocument(PDFParser(io.BytesIO(data))).catalog
    except Exception:
        log.debug("PDF cannot be opened to list its attachments", exc_info=True)
        return
    seen = set()
    for key, filespec in _filespecs(catalog):
        stream = _embedded_stream(filespec)
        if stream is not None and stream.objid not in seen:
            seen.add(stream.objid)
            yield key, filespec, stream


def _filespecs(catalog: dict) -> Iterator[tuple[str, object]]:
    """(name-tree key or "", file specification) of /AF, then of /Names /EmbeddedFiles."""
    for filespec in _list(catalog.get("AF")):
        yield "", _resolve(filespec)
    names = _resolve(catalog.get("Names"))
    if isinstance(names, dict):
        yield from _name_tree(names.get("EmbeddedFiles"), visited=set(), depth=0)


def _name_tree(node, visited: set[int], depth: int) -> Iterator[tuple[str, object]]:
    """The (key, value) pairs of a name tree (PDF 32000-1, 7.9.6), each node once: a
    node listed twice, or a loop of /Kids, would otherwise be walked without end. Real
    trees are a few levels deep; a deeper one is cut where the recursion would fail."""
    if isinstance(node, PDFObjRef):
        if node.objid in visited:
            return
        visited.add(node.objid)
    node = _resolve(node)
    if not isinstance(node, dict) or depth > _MAX_NAME_TREE_DEPTH:
        return
    pairs = _list(node.get("Names"))
    for key, value in zip(pairs[::2], pairs[1::2], strict=False):
        key = _resolve(key)
        yield decode_text(key) if isinstance(key, bytes) else "", _resolve(value)
    for kid in _list(node.get("Kids")):
        yield from _name_tree(kid, visited, depth + 1)


def _embedded_stream(filespec) -> PDFStream | None:
    if not isinstance(filespec, dict):
        return None  # a plain file name: a reference to a file outside the PDF
    streams = _resolve(filespec.get("EF"))
    if not isinstance(streams, dict):
        return None
    stream = _resolve(streams.get("UF") or streams.get("F"))
    return stream if isinstance(stream, PDFStream) else None


def _resolve(value):
    """The object `value` refers to; None where it is missing or cannot be parsed."""
    try:
        return resolve1(value)
    except Exception:
        log.debug("PDF object %r cannot be read", value, exc_info=True)
        return None


def _list(value) -> list:
    found = _resolve(value)
    return found if isinstance(found, list) else []


def _attachment(key: str, filespec: dict, stream: PDFStream) -> Attachment:
    name = _text(filespec.get("UF")) or _text(filespec.get("F")) or key or "attachment"
    fields = {
        "name": name,
        "relationship": _literal(filespec.get("AFRelationship")),
        "mime_type": _literal(stream.attrs.get("Subtype")).lower(),
    }
    try:
        # pdfminer inflates it whole; extraction.extract has measured every stream first
        # (readers.pdf_streams), so this is at most MAX_INFLATED_BYTES.
        payload = stream.get_data()
    except Exception as exc:
        return Attachment(**fields, data=b"", damage=f"its contents cannot be decoded ({exc})")
    if len(payload) > MAX_ATTACHMENT_BYTES:
        damage = f"it is larger than {MAX_ATTACHMENT_BYTES:,} bytes"
        return Attachment(**fields, data=b"", damage=damage)
    return Attachment(**fields, data=payload)


def _text(value) -> str:
    value = _resolve(value)
    return decode_text(value) if isinstance(value, bytes) else ""


def _literal(value) -> str:
    name = getattr(_resolve(value), "name", "")
    return name.decode("latin-1") if isinstance(name, bytes) else name


def read_embedded_invoice(
    source: SourceFile, attachments: list[Attachment]
) -> tuple[ExtractionResult | None, list[dict]]:
    """(the first attachment, best first, read as an e-invoice, or None; the problems of
    those tried before it that claim to be e-invoices and could not be read). When one
    could not be read and a later one was, both are said: the clerk checks that the one
    read is this invoice (it may be an earlier invoice attached for reference)."""
    failed: list[tuple[str, str]] = []  # (attachment, why it could not be read)
    candidates = [attachment for attachment in attachments if attachment.rank is not None]
    for attachment in sorted(candidates, key=lambda candidate: candidate.rank):
        try:
            if attachment.damage:
                raise UnreadableDocument(attachment.damage)
            payload = SourceFile(attachment.name, attachment.data, "application/xml")
            result = XmlInvoiceReader().read(payload)
        except NotAnEInvoice as exc:
            # A delivery note or an order beside the invoice; under a standard invoice
            # name, though, it is the e-invoice the PDF promises, and it is not one.
            if attachment.rank[0] == 0:
                failed.append((attachment.name, str(exc)))
            continue
        except Exception as exc:
            # An e-invoice the XML reader refuses, or trips on: one attachment must not
            # make the whole PDF unreadable while its pages can still be read.
            tripped = not isinstance(exc, UnreadableDocument)
            log.log(
                logging.WARNING if tripped else logging.INFO,
                "%s: attachment %s unusable (%s)",
                source.name,
                attachment.name,
                exc,
                exc_info=tripped,
            )
            if attachment.claims_to_be_einvoice:
                failed.append((attachment.name, str(exc)))
            continue
        result.format = f"pdf+{result.format}"
        return result, [_unusable(name, reason, attachment.name) for name, reason in failed]
    return None, [_unusable(name, reason) for name, reason in failed]


def _unusable(name: str, reason: str, read_from: str = "") -> dict:
    """The EINVOICE_UNUSABLE problem of attachment `name`; `read_from` names the attachment
    read instead ("": the printed page was)."""
    instead = (
        f"The fields were read from the attachment {read_from!r} instead; check that it is "
        "this invoice and not another attached for reference."
        if read_from
        else "The fields were read from the printed page instead and must be checked against "
        "the e-invoice."
    )
    return {
        "code": str(ExceptionCode.EINVOICE_UNUSABLE),
        "message": f"The PDF carries the e-invoice {name!r}, but it cannot be used: "
        f"{reason.rstrip('.')}. {instead}",
        "details": {"attachment": name, "reason": reason, "read_from": read_from or "page"},
    }


class PdfEmbeddedXmlReader:
    name = "pdf-xml"

    def applies(self, source: SourceFile) -> bool:
        return source.data.startswith(b"%PDF") and has_attachments(source.data)

    def read(self, source: SourceFile) -> ExtractionResult:
        result, problems = read_embedded_invoice(source, pdf_attachments(source.data))
        if result is not None:
            result.problems.extend(problems)
            return result
        # No attachment is a usable invoice: the pages are, and the clerk is told why an
        # attached e-invoice was not used.
        result = PdfTextReader().read(source)
        result.problems.extend(problems)
        return result
