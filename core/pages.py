"""A document's pages as images for the invoice screen, with their size in PDF points so
a field's box (its provenance, in points) can be drawn over the page.

PDF pages are rendered by pdfium, scans are the scan itself; both are scaled to a
screen width and cached by the document's hash, so a clerk paging through invoices does
not render a page twice. E-invoice XML has no pages.
"""

import io

import pypdfium2
from django.core.cache import caches
from PIL import Image, ImageOps

from core.models import Document

SCREEN_WIDTH = 1100  # pixels: sharp on a laptop at 100%, zoomable to about 150%
MAX_PAGES = 30  # a screen shows the first pages; the original file has them all


def page_sizes(document: Document) -> list[tuple[float, float]]:
    """(width, height) in PDF points of each page shown; [] for a document without pages."""
    key = f"page-sizes:{document.sha256}"
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
    """Page `number` (1-based) as a PNG SCREEN_WIDTH wide, or None if there is none."""
    if not 1 <= number <= len(page_sizes(document)):
        return None
    key = f"page-png:{document.sha256}:{number}:{SCREEN_WIDTH}"
    cache = caches["ocr"]
    png = cache.get(key)
    if png is None:
        image = _render(document, number)
        image.thumbnail((SCREEN_WIDTH, SCREEN_WIDTH * 3))
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=True)
        png = out.getvalue()
        cache.set(key, png)
    return png


def _sizes(document: Document) -> list[tuple[float, float]]:
    if document.content_type == "application/pdf":
        pdf = pypdfium2.PdfDocument(document.read_bytes())
        try:
            return [tuple(pdf[i].get_size()) for i in range(min(len(pdf), MAX_PAGES))]
        finally:
            pdf.close()
    if document.content_type.startswith("image/"):
        from extraction.readers.image import image_pages

        return [
            (image.width * 72 / dpi, image.height * 72 / dpi)
            for image, dpi in image_pages(document.read_bytes())[:MAX_PAGES]
        ]
    return []


def _render(document: Document, number: int) -> Image.Image:
    if document.content_type == "application/pdf":
        pdf = pypdfium2.PdfDocument(document.read_bytes())
        try:
            page = pdf[number - 1]
            width, _ = page.get_size()
            return page.render(scale=SCREEN_WIDTH / max(width, 1)).to_pil()
        finally:
            pdf.close()
    from extraction.readers.image import image_pages

    image, _ = image_pages(document.read_bytes())[number - 1]
    return ImageOps.exif_transpose(image)
