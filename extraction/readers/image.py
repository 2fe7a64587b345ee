"""Scanned invoices as images (PNG, JPEG, every page of a TIFF), read by OCR.

Images come from scanners, phones and strangers' mail servers, so they are opened with
care: a few kilobytes of PNG can declare a billion pixels (a decompression bomb), a file
cut short decodes to an error deep in Pillow, and a fax TIFF can hold hundreds of pages.
Each of these is refused with a message the clerk can act on.
"""

import io
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from extraction.layout import Word
from extraction.ocr import OCR_DPI, max_ocr_pages, read_pages
from extraction.ranker import find_fields
from extraction.types import ExtractionResult, OverLimit, SourceFile, UnreadableDocument

_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
# An A4 page scanned at 600 dpi is 35 million pixels. More than this is not an invoice
# scan, and decoding it would take gigabytes. Pillow's own, process-wide limit (89 million,
# an error past twice that) stays as it is; this one is checked for every page of a TIFF,
# which Pillow checks only for the first; MAX_DOCUMENT_PIXELS bounds all pages together.
MAX_PIXELS = 40_000_000
# A resolution outside this range is a placeholder (72 from a phone, 1 from a tool) rather
# than the scan's; such images are taken to be scanned at OCR_DPI.
_PLAUSIBLE_DPI = (50, 1200)


class ImageReader:
    name = "image"

    def applies(self, source: SourceFile) -> bool:
        return source.data.startswith(tuple(_SIGNATURES))

    def read(self, source: SourceFile) -> ExtractionResult:
        words = image_words(source.data)
        if not words:
            raise UnreadableDocument(
                "No text could be read from the image (a blank or very faint scan)"
            )
        # The field finder weighs each field by how surely its words were read.
        return find_fields(words, fmt="image-ocr", method="ocr")


def image_words(data: bytes) -> list[Word]:
    """The words OCR reads on every page of an image file, in PDF points (page 1, 2, ...),
    as the reader hands them to the field finder; the training of the field model reads
    labelled scans the same way. Raises UnreadableDocument or OverLimit as
    `image_page_sizes` does, before a pixel is decoded."""
    # The limits, for all pages, before a pixel is decoded; then one page at a time.
    count = len(image_page_sizes(data))
    pages = (image_page(data, index) for index in range(count))
    return read_pages(
        ((page, number, dpi) for number, (page, dpi) in enumerate(pages, start=1)), total=count
    )


def image_page_sizes(data: bytes) -> list[tuple[int, int, float]]:
    """(width, height, dpi) of each page, read from the headers without decoding a pixel.

    Raises UnreadableDocument for a damaged file or one with more pages than OCR reads,
    and OverLimit for a page over MAX_PIXELS or pages over MAX_DOCUMENT_PIXELS in all:
    these are checked before any page is decoded, so a bomb costs no memory.
    """
    with _opened(data) as (image, kind):
        # A PNG or JPEG with more frames is an animation or a preview, not more pages.
        count = getattr(image, "n_frames", 1) if kind == "TIFF" else 1
        limit = max_ocr_pages()
        if count > limit:
            raise OverLimit(
                f"The image has {count} pages; at most {limit} are read by OCR "
                "(split it into single invoices)",
                setting="MAX_OCR_PAGES",
                actual=count,
                maximum=limit,
            )
        sizes, total = [], 0
        for index in range(count):
            image.seek(index)
            if image.width * image.height > MAX_PIXELS:
                raise OverLimit(
                    _too_large(image.width, image.height),
                    setting="MAX_PIXELS",
                    actual=image.width * image.height,
                    maximum=MAX_PIXELS,
                )
            total += image.width * image.height
            check_document_pixels(
                total, "The image's pages", f"{total:,} in the first {index + 1} of {count} pages; "
            )
            sizes.append((image.width, image.height, _dpi(image)))
        return sizes


def check_document_pixels(total: int, what: str, so_far: str = "") -> None:
    """OverLimit when `total` pixels, of one document's pages or images counted so far,
    pass MAX_DOCUMENT_PIXELS; `what` names them ("The image's pages", "The PDF's images"),
    `so_far` says which were counted ("3,000,000 in the first 3 of 3 pages; ")."""
    if total > settings.MAX_DOCUMENT_PIXELS:
        raise OverLimit(
            f"{what} hold more than {settings.MAX_DOCUMENT_PIXELS:,} pixels in all "
            f"({so_far}MAX_DOCUMENT_PIXELS): too large to be a scanned invoice. Scan it at "
            "300 dpi or less, or split it into single invoices.",
            setting="MAX_DOCUMENT_PIXELS",
            actual=total,
            maximum=settings.MAX_DOCUMENT_PIXELS,
        )


def image_pages(data: bytes) -> Iterator[tuple[Image.Image, float]]:
    """Each page as an upright RGB image on white, with its resolution in dpi, decoded one
    at a time as the caller gets to it (a page is up to MAX_PIXELS * 3 bytes). The limits
    of `image_page_sizes` are checked first, for all pages."""
    count = len(image_page_sizes(data))
    for index in range(count):
        yield image_page(data, index)


def image_page(data: bytes, index: int) -> tuple[Image.Image, float]:
    """Page `index` (0-based) alone, upright RGB on white, with its dpi; the caller has
    checked the limits with `image_page_sizes`."""
    with _opened(data) as (image, _):
        image.seek(index)
        return _on_white(ImageOps.exif_transpose(image)), _dpi(image)


@contextmanager
def _opened(data: bytes) -> Iterator[tuple[Image.Image, str]]:
    """The image opened (headers read, no pixels), and its kind; Pillow's many errors for
    a damaged file become one UnreadableDocument with the reason."""
    kind = next(kind for signature, kind in _SIGNATURES.items() if data.startswith(signature))
    try:
        with Image.open(io.BytesIO(data), formats=[kind]) as image:
            yield image, kind
    except UnreadableDocument:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses (or, where warnings are errors, warns of) huge images on opening.
        raise OverLimit(
            _too_large(), setting="MAX_PIXELS", actual=MAX_PIXELS + 1, maximum=MAX_PIXELS
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports a damaged or truncated file in any of these, depending on where
        # the decoder stumbles ("image file is truncated", "broken data stream", ...).
        reason = str(exc) or type(exc).__name__
        raise UnreadableDocument(f"The {kind} image is damaged or truncated: {reason}") from exc


def _on_white(image: Image.Image) -> Image.Image:
    # Transparent pixels are often black underneath: they must become paper, not ink.
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        image = image.convert("RGBA")
        page = Image.new("RGB", image.size, "white")
        page.paste(image, mask=image.getchannel("A"))
        return page
    return image.convert("RGB")


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi", (0, 0))[0]
    low, high = _PLAUSIBLE_DPI
    return float(dpi) if low <= dpi <= high else OCR_DPI


def _too_large(width: int | None = None, height: int | None = None) -> str:
    size = f" ({width} x {height} pixels)" if width else ""
    return f"The image is too large{size} to be a scanned invoice; scan it at 300 dpi or less"
