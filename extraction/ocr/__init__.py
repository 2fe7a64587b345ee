"""OCR for scanned invoices: an engine reads a page image, this module places its words.

An engine only reads pixels; `ocr_words` turns what it read into the positioned words every
reader hands to extraction.fields, in PDF points (pixels * 72 / dpi), so a scanned page and
a page with a text layer look alike to the field extractor.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from typing import Protocol

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from extraction.layout import Word, read_confidence
from extraction.types import ExtractionResult

# Scans at 200 dpi read well; more pixels only cost time, so finer scans are scaled down
# to it, and so is any image longer than an A4 page at 200 dpi (1654 x 2339 pixels).
OCR_DPI = 200
MAX_OCR_SIDE = 2400


@dataclass(frozen=True)
class OcrWord:
    """One word as an engine read it, in pixels of the upright page."""

    text: str
    confidence: float
    x0: float
    top: float
    x1: float
    bottom: float


class OcrEngine(Protocol):
    name: str

    def read(self, image: Image.Image) -> list[OcrWord]:
        """The words on an RGB page image, turning the page upright (quarter turns, mild
        skew) first; coordinates are pixels of that upright page."""
        ...


def default_engine() -> OcrEngine:
    name = settings.OCR_ENGINE
    if name == "easyocr":
        from extraction.ocr.easyocr_engine import EasyOcrEngine  # torch loads only when used

        return EasyOcrEngine()
    raise ImproperlyConfigured(f"OCR_ENGINE={name!r} is not an OCR engine (use 'easyocr')")


def max_ocr_pages() -> int:
    """Pages OCR reads from one document: a scanned invoice has a few, and each costs
    seconds of CPU, so a 300-page scan is refused rather than holding a worker for hours."""
    return settings.MAX_OCR_PAGES


# Who hears of OCR progress: set around a document's extraction by whoever shows it.
_progress: ContextVar[Callable[[int, int], None] | None] = ContextVar("ocr_progress", default=None)


@contextmanager
def reporting_progress(callback: Callable[[int, int], None]) -> Iterator[None]:
    """Within this block, OCR calls `callback(pages_done, pages_in_all)` before the first
    page and after each one, so a screen can show how far a long scan has got."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


def read_pages(
    pages: Iterable[tuple[Image.Image, int, float]], total: int, engine: OcrEngine | None = None
) -> list[Word]:
    """The words on `total` pages, each given as (image, page number, dpi), in order;
    progress is reported as each page is done."""
    engine = engine or default_engine()
    report = _progress.get() or (lambda done, total: None)
    report(0, total)
    words: list[Word] = []
    for done, (image, number, dpi) in enumerate(pages, start=1):
        words += ocr_words(image, number, dpi, engine)
        report(done, total)
    return words


def ocr_words(
    image: Image.Image, page: int, dpi: float, engine: OcrEngine | None = None
) -> list[Word]:
    """The words on one page image, with boxes in PDF points; `dpi` is the image's."""
    scale = min(1.0, OCR_DPI / dpi, MAX_OCR_SIDE / max(image.size))
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    found = read_cached(image.convert("RGB"), engine or default_engine())
    points = 72 / (dpi * scale)
    return [
        Word(
            text=word.text,
            page=page,
            x0=round(word.x0 * points, 2),
            top=round(word.top * points, 2),
            x1=round(word.x1 * points, 2),
            bottom=round(word.bottom * points, 2),
            confidence=word.confidence,
        )
        for word in found
    ]


def weigh_by_reading(
    result: ExtractionResult, pages: set[int] | None = None, names: Iterable[str] | None = None
) -> None:
    """Each field found on an OCR-read page (all pages, or those in `pages`; every field,
    or those in `names`) becomes only as sure as the reading of the words its value stands
    on: the extractor's confidence that it picked the right value times the recogniser's
    confidence in the least sure of those words (`extraction.layout.read_confidence`: the
    chance the value is right is the chance it was picked right and read right). A value
    read from a noisy scan is then unsure and goes to a person (LOW_CONFIDENCE) instead of
    through. A field without a box is left as it is. The field model weighs its own
    answers the same way before its calibration for scans (extraction.ranker)."""
    chosen = set(result.fields) if names is None else set(names)
    for name, found in list(result.fields.items()):
        where = found.provenance
        if name not in chosen or (pages and where.page not in pages):
            continue
        read = read_confidence(result.words, where.page, where.bbox)
        if read < 1.0:
            result.fields[name] = replace(found, confidence=round(found.confidence * read, 3))


def read_cached(image: Image.Image, engine: OcrEngine) -> list[OcrWord]:
    """What the engine reads on this exact page, from the "ocr" cache when it has read it
    before: reprocessing a document, or the same page in another file, costs no OCR.

    The key is the page's pixels and the engine (name and version), so a changed engine
    reads again.
    """
    digest = hashlib.sha256(image.tobytes())
    digest.update(f"{image.mode}:{image.size}".encode())
    key = f"ocr:{engine.name}:{getattr(engine, 'version', 1)}:{digest.hexdigest()}"
    cache = caches["ocr"]
    stored = cache.get(key)
    if stored is not None:
        return [OcrWord(**word) for word in stored]
    found = engine.read(image)
    cache.set(key, [asdict(word) for word in found])
    return found
