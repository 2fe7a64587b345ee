"""Which reader reads a document: the first in READERS that applies wins.

Readers are tried by what the bytes are, not by the file name, because mail attachments
arrive as "scan0001.bin" or "invoice.pdf" that is really XML.

A printed document (a text PDF or a scan) may be a till receipt rather than an invoice:
`extraction.receipts.apply_receipt` then marks it so and reads its shop, date and total by
the receipt genre's rules, whichever reader read its words.
"""

from pathlib import Path

from extraction.readers.image import ImageReader
from extraction.readers.pdf_streams import check_pdf_streams
from extraction.readers.pdf_text import PdfTextReader
from extraction.readers.pdf_xml import PdfEmbeddedXmlReader
from extraction.readers.xml_invoice import XmlInvoiceReader
from extraction.receipts import apply_receipt
from extraction.types import ExtractionResult, Reader, SourceFile, UnreadableDocument

READERS: list[Reader] = [XmlInvoiceReader(), PdfEmbeddedXmlReader(), PdfTextReader(), ImageReader()]


def extract_source(source: SourceFile) -> ExtractionResult:
    if not source.data:
        raise UnreadableDocument("The file is empty (0 bytes)")
    if source.data.startswith(b"%PDF"):
        # Before any reader: pdfminer and pdfium inflate a stream whole, unchecked.
        check_pdf_streams(source.data)
    for reader in READERS:
        if reader.applies(source):
            try:
                result = reader.read(source)
                apply_receipt(result, _method_of(result))
                return result
            except UnreadableDocument:
                raise
            except Exception as exc:
                # A reader bug on a strange file must not take the intake queue down;
                # the clerk sees the file as unreadable and the cause stays in the chain.
                raise UnreadableDocument(
                    f"{source.name} could not be read ({reader.name}): {exc}"
                ) from exc
    raise UnreadableDocument(
        f"{source.name or 'The file'} is not a supported invoice format "
        "(PDF, e-invoice XML, or a PNG, JPEG or TIFF scan)"
    )


def _method_of(result: ExtractionResult) -> str:
    """ "ocr" where any word was read from pixels (its confidence below 1.0), else "text"."""
    return "ocr" if any(word.confidence < 1.0 for word in result.words) else "text"


def extract_path(path: str | Path) -> ExtractionResult:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableDocument(f"{path} does not exist") from exc
    except OSError as exc:
        raise UnreadableDocument(f"{path} cannot be opened: {exc.strerror or exc}") from exc
    return extract_source(SourceFile(name=path.name, data=data))
