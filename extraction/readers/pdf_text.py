"""PDFs with a text layer: words with their positions, then template-free fields."""

import io
import logging

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from extraction.fields import extract_fields
from extraction.layout import Word
from extraction.types import ExtractionResult, SourceFile, UnreadableDocument

# pdfminer logs every damaged object it steps over; the clerk gets one clear message instead.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


class PdfTextReader:
    name = "pdf-text"

    def applies(self, source: SourceFile) -> bool:
        return source.data.startswith(b"%PDF")

    def read(self, source: SourceFile) -> ExtractionResult:
        words = pdf_words(source.data)
        if not words:
            raise UnreadableDocument("The PDF has no text layer (a scan); OCR is not available yet")
        return extract_fields(words, fmt="pdf-text")


def pdf_words(data: bytes) -> list[Word]:
    # A file cut short in transfer loses its trailer; pdfminer would still render what it
    # can salvage, and a half-read invoice is worse than a clear refusal.
    if b"%%EOF" not in data:
        raise UnreadableDocument("The PDF is damaged or truncated: it has no end-of-file marker")
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [
                Word(
                    text=word["text"],
                    page=number,
                    x0=round(word["x0"], 2),
                    top=round(word["top"], 2),
                    x1=round(word["x1"], 2),
                    bottom=round(word["bottom"], 2),
                )
                for number, page in enumerate(pdf.pages, start=1)
                for word in page.extract_words()
            ]
    except Exception as exc:
        # pdfminer raises many types (PSEOF, PDFSyntaxError, KeyError, ...) for broken
        # files, and pdfplumber wraps some of them in its own PdfminerException.
        if _is_encrypted(exc):
            raise UnreadableDocument(
                "The PDF is protected by a password; ask the vendor for an unprotected copy"
            ) from exc
        reason = str(exc) or type(exc).__name__
        raise UnreadableDocument(f"The PDF is damaged or truncated: {reason}") from exc


def _is_encrypted(exc: Exception) -> bool:
    causes = [exc, exc.__cause__, exc.__context__, *exc.args]
    return any(isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError) for cause in causes)
