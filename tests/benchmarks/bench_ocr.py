"""OCR speed and field accuracy on the first scans of the generated corpus (tests/corpus):
(a) easyocr's readtext() with its default settings on the full page, the same offline
weights on torch, its words handed to the same field extractor; (b) the project's engine,
through extraction.extract.extract_source, its networks on ONNX Runtime; (c) the same on
torch (OCR_RUNTIME="torch"); and tesseract's figures where `tesseract` is on PATH.

Prints the median seconds per page and the accuracy per field, side by side. BENCH_OCR_SCANS
(default 13: the first scan of each of the corpus's 13 layouts) sets how many scans are
read; easyocr's defaults take 15-25 s a page on two CPU cores, so the default run takes
about five minutes.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_SCANS = 13


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # An empty OCR cache, so every page is read and timed rather than looked up.
    os.environ["OCR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-ocr-cache-")
    import django

    django.setup()

    import numpy as np
    from django.core.cache import caches
    from django.test import override_settings
    from PIL import Image

    from extraction.extract import extract_source
    from extraction.ocr import default_engine
    from extraction.types import SourceFile, UnreadableDocument
    from tests.corpus import generate
    from tests.corpus.scoring import ROWS, accuracy, score

    count = int(os.environ.get("BENCH_OCR_SCANS", DEFAULT_SCANS))
    items = generate()[:count]
    scans = [(item, item.scan()) for item in items]
    print(f"OCR on {len(scans)} scans of the generated corpus ({os.cpu_count()} CPUs)")

    columns: dict[str, tuple[list[float], list[dict[str, bool]]]] = {}

    def run(column: str, read) -> None:
        # Empty, so no column finds pages another read (the engine's cache key is the
        # same on both runtimes).
        caches["ocr"].clear()
        seconds, scores = columns.setdefault(column, ([], []))
        for item, data in scans:
            start = time.perf_counter()
            try:
                result = read(item, data)
            except UnreadableDocument as exc:
                print(f"  {column}: {item.scan_name} refused: {exc}")
                result = None
            seconds.append(time.perf_counter() - start)
            scores.append(score(item.invoice, result))

    reader = _default_reader()
    # Warm the engines up on a blank page so none pays for loading its networks.
    reader.readtext(np.full((200, 400, 3), 255, dtype=np.uint8))
    for runtime in ("onnx", "torch"):
        with override_settings(OCR_RUNTIME=runtime):
            default_engine().read(Image.new("RGB", (400, 200), "white"))

    def engine_on(runtime):
        def read(item, data):
            with override_settings(OCR_RUNTIME=runtime):
                return extract_source(SourceFile(item.scan_name, data))

        return read

    run("(a) easyocr default", lambda item, data: run_default(reader, data))
    run("(b) engine, onnx", engine_on("onnx"))
    run("(c) engine, torch", engine_on("torch"))
    if shutil.which("tesseract"):
        run("(d) tesseract", lambda item, data: run_tesseract(data))

    names = list(columns)
    print(f"\n{'field accuracy':<16}" + "".join(f"{name:>22}" for name in names))
    tables = {name: accuracy(columns[name][1]) for name in names}
    for row in ROWS:
        print(f"{row:<16}" + "".join(f"{tables[name][row]:>22.1%}" for name in names))
    print(
        f"{'all rows':<16}"
        + "".join(f"{statistics.mean(tables[name].values()):>22.1%}" for name in names)
    )
    print(
        f"{'s/page (median)':<16}"
        + "".join(f"{statistics.median(columns[name][0]):>21.2f}s" for name in names)
    )
    if not shutil.which("tesseract"):
        print("\ntesseract: not on PATH, not measured")


def _default_reader():
    """An easyocr Reader with the engine's offline weights and thread count."""
    from extraction.ocr import easyocr_engine

    return easyocr_engine._shared_reader("torch")


def run_default(reader, data: bytes):
    """easyocr's readtext() with its defaults on the whole page, no orientation step."""
    import numpy as np

    from extraction.fields import extract_fields
    from extraction.layout import Word
    from extraction.readers.image import image_pages

    words = []
    for number, (page, dpi) in enumerate(image_pages(data), start=1):
        points = 72 / dpi
        for box, text, _ in reader.readtext(np.asarray(page)):
            xs = [float(x) for x, _ in box]
            ys = [float(y) for _, y in box]
            x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
            step = (x1 - x0) / max(len(text), 1)
            start = 0
            for token in text.split():
                start = text.index(token, start)
                end = start + len(token)
                words.append(
                    Word(
                        text=token,
                        page=number,
                        x0=round((x0 + start * step) * points, 2),
                        top=round(top * points, 2),
                        x1=round((x0 + end * step) * points, 2),
                        bottom=round(bottom * points, 2),
                    )
                )
                start = end
    return extract_fields(words, fmt="image-ocr", method="ocr")


def run_tesseract(data: bytes):
    """tesseract's TSV words (page segmentation 3, the default) through the same extractor."""
    from extraction.fields import extract_fields
    from extraction.layout import Word
    from extraction.readers.image import image_pages

    words = []
    for number, (page, dpi) in enumerate(image_pages(data), start=1):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "page.png"
            page.save(path)
            tsv = subprocess.run(
                ["tesseract", str(path), "stdout", "tsv"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        points = 72 / dpi
        for line in tsv.splitlines()[1:]:
            cells = line.split("\t")
            if len(cells) < 12 or not cells[11].strip():
                continue
            left, top, width, height = (int(value) for value in cells[6:10])
            words.append(
                Word(
                    text=cells[11].strip(),
                    page=number,
                    x0=round(left * points, 2),
                    top=round(top * points, 2),
                    x1=round((left + width) * points, 2),
                    bottom=round((top + height) * points, 2),
                )
            )
    return extract_fields(words, fmt="image-ocr", method="ocr")


if __name__ == "__main__":
    main()
