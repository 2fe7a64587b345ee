"""A document's pages as images for the invoice screen, with their size in PDF points so
a field's box (its provenance, in points) can be drawn over the page.

PDF pages are rendered by pdfium, scans are the scan itself; both are scaled to fit a
screen box (SCREEN_WIDTH wide, at most three screens tall), whatever size the page
declares, and cached by the document's hash, so a clerk paging through invoices does not
render a page twice. A request for one page decodes that page only. A document refused
for a resource limit at extraction (a decompression bomb) is refused here too: it shows no
pages, and its reason is on the invoice. E-invoice XML has no pages.
"""

import io
import logging

import pypdfium2
from django.core.cache import caches
from PIL import Image

from core.models import Document
from extraction.readers.image import image_page, image_page_sizes
from extraction.readers.pdf_streams import check_pdf_streams

log = logging.getLogger(__name__)

SCREEN_WIDTH = 1100  # pixels: sharp on a laptop at 100%, zoomable to about 150%
SCREEN_HEIGHT = SCREEN_WIDTH * 3  # a long receipt is scrolled, not drawn miles long
MAX_PAGES = 30  # a screen shows the first pages; the original file has them all
# Raised whenever the input checks before drawing change (extraction.readers.pdf_streams):
# sizes cached under an older check are not trusted, so a file that passed it is checked
# again before a page of it is drawn.
CHECKS_VERSION = 2


def page_sizes(document: Document) -> list[tuple[float, float]]:
    """(width, height) in PDF points of each page shown; [] for a document without pages
    or one that cannot (or may not, being over a resource limit) be read."""
    key = f"page-sizes:v{CHECKS_VERSION}:{document.sha256}"
    cache = caches["ocr"]
    sizes = cache.get(key)
    if sizes is None:
        try:
            sizes = _sizes(document)
        except Exception:  # an unreadable file has no pages to show; the reason is elsewhere
            sizes = []
        cache.set(key, sizes)
    return [tuple(size) for size in sizes]


def page_png(document: Document, number: int) -> bytes | None:
    """Page `number` (1-based) as a PNG fitting SCREEN_WIDTH x SCREEN_HEIGHT pixels, or
    None if there is none or it cannot be drawn."""
    if not 1 <= number <= len(page_sizes(document)):
        return None
    key = f"page-png:v{CHECKS_VERSION}:{document.sha256}:{number}:{SCREEN_WIDTH}"
    cache = caches["ocr"]
    png = cache.get(key)
    if png is None:
        try:
            image = _render(document, number)
        except Exception:  # a page pdfium or Pillow cannot draw: no image, not a 500
            log.warning(
                "page %s of document %s cannot be drawn", number, document.pk, exc_info=True
            )
            return None
        image.thumbnail((SCREEN_WIDTH, SCREEN_HEIGHT))
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=True)
        png = out.getvalue()
        cache.set(key, png)
    return png


def screen_scale(width: float, height: float) -> float:
    """The scale (pixels per unit of `width` and `height`) that fits a page into the screen
    box: SCREEN_WIDTH wide, or less where SCREEN_HEIGHT is reached first; so a page drawn
    for the screen is at most SCREEN_WIDTH x SCREEN_HEIGHT pixels, whatever it declares."""
    return min(SCREEN_WIDTH / max(width, 1), SCREEN_HEIGHT / max(height, 1))


def _sizes(document: Document) -> list[tuple[float, float]]:
    if document.content_type == "application/pdf":
        data = document.read_bytes()
        check_pdf_streams(data)  # drawing a page inflates its streams whole
        pdf = pypdfium2.PdfDocument(data)
        try:
            return [tuple(pdf[i].get_size()) for i in range(min(len(pdf), MAX_PAGES))]
        finally:
            pdf.close()
    if document.content_type.startswith("image/"):
        return [
            (width * 72 / dpi, height * 72 / dpi)
            for width, height, dpi in image_page_sizes(document.read_bytes())[:MAX_PAGES]
        ]
    return []


def _render(document: Document, number: int) -> Image.Image:
    if document.content_type == "application/pdf":
        pdf = pypdfium2.PdfDocument(document.read_bytes())
        try:
            page = pdf[number - 1]
            return page.render(scale=screen_scale(*page.get_size())).to_pil()
        finally:
            pdf.close()
    image, _ = image_page(document.read_bytes(), number - 1)
    return image
