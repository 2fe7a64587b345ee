"""PDFs that carry their e-invoice inside: Factur-X, ZUGFeRD 1.0 and 2.x, XRechnung in PDF.

The XML attachment is the legal invoice; the PDF pages are only its picture. So when a PDF
carries one, it is parsed like any e-invoice and the text layer is not guessed at.
"""

import logging

import pypdfium2 as pdfium

from extraction.readers.pdf_text import PdfTextReader
from extraction.readers.xml_invoice import XmlInvoiceReader, looks_like_xml
from extraction.types import ExtractionResult, SourceFile, UnreadableDocument

log = logging.getLogger(__name__)

# The names the standards give the attachment, most specific first (compared lower-case).
KNOWN_NAMES = (
    "factur-x.xml",  # Factur-X 1.0, ZUGFeRD 2.1+
    "zugferd-invoice.xml",  # ZUGFeRD 2.0, and ZUGFeRD 1.0's "ZUGFeRD-invoice.xml"
    "xrechnung.xml",  # XRechnung profile of ZUGFeRD 2.1+
)
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def embedded_invoice_xml(data: bytes) -> tuple[str, bytes] | None:
    """(name, bytes) of the e-invoice attached to a PDF, or None when it carries none."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        return None  # damaged or encrypted: the text reader explains what is wrong
    try:
        attachments = []
        for index in range(pdf.count_attachments()):
            attachment = pdf.get_attachment(index)
            name = attachment.get_name() or ""
            if name.lower().endswith(".xml"):
                attachments.append((name, attachment))
        # Known names first; any other XML attachment may still be an e-invoice.
        attachments.sort(key=lambda item: _rank(item[0]))
        for name, attachment in attachments:
            # pdfium inflates it whole; extraction.extract has measured every stream first
            # (readers.pdf_streams), so this is at most MAX_INFLATED_BYTES.
            payload = bytes(attachment.get_data())
            if len(payload) <= MAX_ATTACHMENT_BYTES and looks_like_xml(payload):
                return name, payload
        return None
    finally:
        pdf.close()


def _rank(name: str) -> int:
    lowered = name.lower()
    return KNOWN_NAMES.index(lowered) if lowered in KNOWN_NAMES else len(KNOWN_NAMES)


class PdfEmbeddedXmlReader:
    name = "pdf-xml"

    def applies(self, source: SourceFile) -> bool:
        return source.data.startswith(b"%PDF") and embedded_invoice_xml(source.data) is not None

    def read(self, source: SourceFile) -> ExtractionResult:
        found = embedded_invoice_xml(source.data)
        if found is None:
            raise UnreadableDocument("The PDF carries no e-invoice XML")
        name, payload = found
        try:
            result = XmlInvoiceReader().read(SourceFile(name, payload, "application/xml"))
        except UnreadableDocument as exc:
            # An attachment that is not (or not a valid) e-invoice: the pages still are one.
            log.info("%s: attachment %s unusable (%s); reading the pages", source.name, name, exc)
            return PdfTextReader().read(source)
        result.format = f"pdf+{result.format}"
        return result
