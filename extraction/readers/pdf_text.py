"""PDFs: words with their positions from the text layer, OCR for pages that have none.

A scanner's PDF is an image per page; a vendor's PDF may also carry a scanned page (a
signed delivery note) after its text pages. Each page is read the way it can be, and the
fields are found over all pages at once.
"""

import io
import logging
import threading
from dataclasses import replace
from itertools import islice

import pdfplumber
import pypdfium2
from django.conf import settings
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdfpage import PDFPage

from extraction.fields import extract_fields
from extraction.layout import Word
from extraction.ocr import (
    MAX_OCR_SIDE,
    OCR_DPI,
    max_ocr_pages,
    read_pages,
    weigh_by_reading,
)
from extraction.ranker import find_fields
from extraction.types import ExtractionResult, OverLimit, SourceFile, UnreadableDocument

# pdfminer logs every damaged object it steps over; the clerk gets one clear message instead.
logging.getLogger("pdfminer").setLevel(logging.ERROR)

# pdfium is not safe to call from two threads at once: every caller in the process holds this
# (the PDF reader here, core.queues looking for pages without text).
pdfium_lock = threading.Lock()


class PdfTextReader:
    name = "pdf-text"

    def applies(self, source: SourceFile) -> bool:
        return source.data.startswith(b"%PDF")

    def read(self, source: SourceFile) -> ExtractionResult:
        pages = pdf_pages(source.data)
        scanned = [number for number, words in enumerate(pages, start=1) if not words]
        words = [word for page in pages for word in page]
        if scanned:
            words += scanned_page_words(source.data, scanned)
        if not words:
            raise UnreadableDocument(
                "No text could be read from the PDF: it has no text layer and OCR found no "
                "text on its pages (a blank or very faint scan)"
            )
        if not scanned:
            return find_fields(words, fmt="pdf-text")
        if len(scanned) == len(pages):
            # A scanned PDF reads as an image does (extraction.readers.image).
            return find_fields(words, fmt="pdf-ocr", method="ocr")
        # Some pages printed, some scanned: the rules alone, each field weighed by how its
        # page was read (the field model learnt text layers and whole scans, not mixtures).
        result = extract_fields(words, fmt="pdf-mixed")
        # The fields are found in one pass over the words of every page, so a label on one
        # page can be confirmed by amounts on another as with any PDF; afterwards each
        # field names how the page it came from was read.
        result.fields = {
            name: replace(found, provenance=replace(found.provenance, method="ocr"))
            if found.provenance.page in scanned
            else found
            for name, found in result.fields.items()
        }
        weigh_by_reading(result, scanned)
        return result


def pdf_words(data: bytes) -> list[Word]:
    """The words of the PDF's text layer, every page."""
    return [word for page in pdf_pages(data) for word in page]


def pdf_pages(data: bytes) -> list[list[Word]]:
    """The words of the text layer, page by page; a scanned page has none."""
    # A file cut short in transfer loses its trailer; pdfminer would still render what it
    # can salvage, and a half-read invoice is worse than a clear refusal.
    if b"%%EOF" not in data:
        raise UnreadableDocument("The PDF is damaged or truncated: it has no end-of-file marker")
    limit = max_pdf_pages()
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            # pdfplumber sets up every page before the first can be read; count the pages
            # first, stopping past the limit, so a 5,000-page file is refused at once.
            if len(list(islice(PDFPage.create_pages(pdf.doc), limit + 1))) > limit:
                raise OverLimit(
                    f"The PDF has more than {limit} pages; an invoice is not that long, so "
                    "it is not read automatically (split it into single invoices)",
                    setting="MAX_PDF_PAGES",
                    actual=limit + 1,
                    maximum=limit,
                )
            return [
                [
                    Word(
                        text=word["text"],
                        page=number,
                        x0=round(word["x0"], 2),
                        top=round(word["top"], 2),
                        x1=round(word["x1"], 2),
                        bottom=round(word["bottom"], 2),
                    )
                    for word in page.extract_words()
                ]
                for number, page in enumerate(pdf.pages, start=1)
            ]
    except UnreadableDocument:
        raise
    except Exception as exc:
        # pdfminer raises many types (PSEOF, PDFSyntaxError, KeyError, ...) for broken
        # files, and pdfplumber wraps some of them in its own PdfminerException.
        if _is_encrypted(exc):
            raise UnreadableDocument(
                "The PDF is protected by a password; ask the vendor for an unprotected copy"
            ) from exc
        reason = str(exc) or type(exc).__name__
        raise UnreadableDocument(f"The PDF is damaged or truncated: {reason}") from exc


def scanned_page_words(data: bytes, numbers: list[int]) -> list[Word]:
    """OCR of the pages `numbers` (1-based), each rendered at OCR_DPI."""
    limit = max_ocr_pages()
    if len(numbers) > limit:
        raise OverLimit(
            f"The PDF has {len(numbers)} scanned pages; at most {limit} are read by OCR "
            "(split it into single invoices)",
            setting="MAX_OCR_PAGES",
            actual=len(numbers),
            maximum=limit,
        )
    # Rendered one at a time as OCR gets to them: a page image is tens of megabytes.
    pages = ((*_render(data, number), number) for number in numbers)
    return read_pages(((image, number, dpi) for image, dpi, number in pages), total=len(numbers))


def _render(data: bytes, number: int):
    with pdfium_lock:
        try:
            pdf = pypdfium2.PdfDocument(data)
            try:
                page = pdf[number - 1]
                # A page may declare any size; render it no larger than OCR would use.
                scale = min(OCR_DPI / 72, MAX_OCR_SIDE / max(*page.get_size(), 1))
                image = page.render(scale=scale).to_pil()
            finally:
                pdf.close()
        except pypdfium2.PdfiumError as exc:
            raise UnreadableDocument(f"The PDF is damaged: page {number} cannot be drawn") from exc
    return image, scale * 72


def max_pdf_pages() -> int:
    return settings.MAX_PDF_PAGES


def _is_encrypted(exc: Exception) -> bool:
    causes = [exc, exc.__cause__, exc.__context__, *exc.args]
    return any(isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError) for cause in causes)
