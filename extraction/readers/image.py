"""Scanned invoices as images (PNG, JPEG, every page of a TIFF), read by OCR.

Images come from scanners, phones and strangers' mail servers, so they are opened with
care: a few kilobytes of PNG can declare a billion pixels (a decompression bomb), a file
cut short decodes to an error deep in Pillow, and a fax TIFF can hold hundreds of pages.
Each of these is refused with a message the clerk can act on.
"""

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from extraction.ocr import OCR_DPI, max_ocr_pages, read_pages
from extraction.ranker import find_fields
from extraction.types import ExtractionResult, SourceFile, UnreadableDocument

_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
# An A4 page scanned at 600 dpi is 35 million pixels. More than this is not an invoice
# scan, and decoding it would take gigabytes. Pillow's own, process-wide limit (89 million,
# an error past twice that) stays as it is; this one is checked for every page of a TIFF,
# which Pillow checks only for the first.
MAX_PIXELS = 40_000_000
# A resolution outside this range is a placeholder (72 from a phone, 1 from a tool) rather
# than the scan's; such images are taken to be scanned at OCR_DPI.
_PLAUSIBLE_DPI = (50, 1200)


class ImageReader:
    name = "image"

    def applies(self, source: SourceFile) -> bool:
        return source.data.startswith(tuple(_SIGNATURES))

    def read(self, source: SourceFile) -> ExtractionResult:
        pages = image_pages(source.data)
        words = read_pages(
            ((page, number, dpi) for number, (page, dpi) in enumerate(pages, start=1)),
            total=len(pages),
        )
        if not words:
            raise UnreadableDocument(
                "No text could be read from the image (a blank or very faint scan)"
            )
        return find_fields(words, fmt="image-ocr", method="ocr")


def image_pages(data: bytes) -> list[tuple[Image.Image, float]]:
    """Each page as an upright RGB image on white, with its resolution in dpi."""
    kind = next(kind for signature, kind in _SIGNATURES.items() if data.startswith(signature))
    try:
        image = Image.open(io.BytesIO(data), formats=[kind])
        # A PNG or JPEG with more frames is an animation or a preview, not more pages.
        count = getattr(image, "n_frames", 1) if kind == "TIFF" else 1
        limit = max_ocr_pages()
        if count > limit:
            raise UnreadableDocument(
                f"The image has {count} pages; at most {limit} are read by OCR "
                "(split it into single invoices)"
            )
        pages = []
        for index in range(count):
            image.seek(index)
            if image.width * image.height > MAX_PIXELS:
                raise UnreadableDocument(_too_large(image.width, image.height))
            pages.append((_on_white(ImageOps.exif_transpose(image)), _dpi(image)))
        return pages
    except UnreadableDocument:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses (or, where warnings are errors, warns of) huge images on opening.
        raise UnreadableDocument(_too_large()) from exc
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
