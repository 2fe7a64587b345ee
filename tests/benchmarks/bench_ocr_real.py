"""OCR on real scans, several ways side by side in one run, on the same pages:

(a) the project's engine as configured (`extraction.ocr.default_engine()`), its networks
    on ONNX Runtime (settings.OCR_RUNTIME="onnx");
(b) the same engine with its fast path off: CRAFT finds the phrases on every page
    (settings.OCR_FAST_PATH=False; an engine without that switch is handed no ink boxes,
    `find_text_boxes` answering None, its own "not print on paper: use CRAFT" branch);
    orientation, batching, the upside-down check are the engine's code at run time;
(c) easyocr's default `Reader.readtext` on the page, the engine's offline weights on
    torch, no orientation step, its phrases cut into words as bench_ocr.py cuts them;
(d) as (a), the networks on torch (OCR_RUNTIME="torch");
(e) as (b), the networks on torch.

Each is read the product's way, `extract_source(SourceFile(name, bytes))`: the image
reader, the page scaled as `ocr_words` scales it, the field finder; only the engine that
`extraction.ocr.default_engine()` hands out differs. The sets lie beside the repository,
in ../shared/data, and are never copied into it; a set that is not there is said and
skipped:

- sroie-dev: real receipts with line truth and key fields (company, date, total);
- scan-dev: real scanned and photographed invoices, score.py's header fields;
- realdev: real invoices rendered at 200 dpi (page 1), the fields printed on page 1.

Per set and way: character error rate against the line truth (receipts: each truth line
against the OCR words whose middle lies in its box, and the whole page in reading order,
which also counts text read outside the boxes), field accuracy as score.py compares,
the share of answers at confidence >= 0.6 that are wrong, and seconds per page with an
empty OCR cache (loading the networks is timed apart, before the first page).

BENCH_OCR_REAL_STEP (default 3) reads every n-th receipt and rendered invoice (all of
scan-dev); 1 reads them all. BENCH_OCR_REAL_WAYS (default "abcd") picks the ways, and
BENCH_OCR_REAL_LIMIT=n reads the first n pages of each set only (for trying a change).
BENCH_OCR_SIGNALS=path writes a CSV with, per page, what a check on the fast path could
look at (its boxes, the share of the ink they cover, the recogniser's mean confidence on
them, read again for this apart from the timing) beside what it cost: the CER of the fast
path alone, of (a) and of (b) (receipts), and how much of (b)'s text each lost.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
"""

import contextlib
import csv
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

DEFAULT_STEP = 3
CONFIDENT = 0.6
TITLES = {
    "a": "(a) engine, onnx",
    "b": "(b) CRAFT always, onnx",
    "c": "(c) easyocr default",
    "d": "(d) engine, torch",
    "e": "(e) CRAFT always, torch",
}
SROIE_FIELDS = {"vendor_name": "company", "invoice_date": "date", "total_amount": "total"}


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # An empty OCR cache, so every page is read and timed rather than looked up.
    os.environ["OCR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-ocr-real-cache-")
    import django

    django.setup()
    run()


def run() -> None:
    from tests.benchmarks import ocr_measures as measures
    from tests.benchmarks.realsets import sets_dir

    began = time.perf_counter()
    step = int(os.environ.get("BENCH_OCR_REAL_STEP", DEFAULT_STEP))
    ways = [way for way in os.environ.get("BENCH_OCR_REAL_WAYS", "abcd") if way in TITLES]
    sroie, scans, rendered = (sets_dir() / name for name in ("sroie-dev", "scan-dev", "realdev"))
    found = {
        "sroie-dev": (sroie / "img", lambda: measures.receipts(sroie, step)),
        "scan-dev": (scans / "truth.jsonl", lambda: measures.scanned_invoices(scans)),
        "realdev": (rendered / "truth.jsonl", lambda: measures.rendered_invoices(rendered, step)),
    }
    pages = []
    for name, (needed, load) in found.items():
        if needed.exists():
            chosen = load()
            pages += chosen
            every = f", every {step}" if step > 1 and name != "scan-dev" else ""
            print(f"{name}: {len(chosen)} pages ({needed.parent}{every})")
        else:
            print(f"{name}: the set is not there ({needed}); left out")
    if not pages:
        return
    limit = int(os.environ.get("BENCH_OCR_REAL_LIMIT", 0))  # pages per set, for trying out
    if limit:
        pages = [p for s in found for p in [p for p in pages if p.set_name == s][:limit]]
    engines = load_engines(ways)
    results = {way: {} for way in ways}
    for number, page in enumerate(pages, start=1):
        data_bytes = page.path.read_bytes()
        # One page through every way before the next, so a busy spell on the shared
        # machine slows all ways alike.
        for way in ways:
            results[way][page.name] = read_page(engines[way], page.name, data_bytes)
        times = "  ".join(f"{way} {results[way][page.name].seconds:5.1f}s" for way in ways)
        print(f"  {number:>3}/{len(pages)} {page.set_name:<10} {page.name[:40]:<40} {times}")
    for set_name in found:
        chosen = [p for p in pages if p.set_name == set_name]
        if chosen:
            report_set(set_name, chosen, results, ways)
    print(f"\nall {len(pages)} pages ({os.cpu_count()} CPUs; OCR_THREADS={threads()})")
    for label, summary in (("s/page mean", statistics.mean), ("s/page median", statistics.median)):
        cells = [f"{summary([results[w][p.name].seconds for p in pages]):.1f} s" for w in ways]
        print(f"{label:<24}" + "".join(f"{cell:>22}" for cell in cells))
    signals_path = os.environ.get("BENCH_OCR_SIGNALS")
    if signals_path and "a" in ways:
        write_signals(Path(signals_path), pages, results)
    print(f"\nbench_ocr_real: {time.perf_counter() - began:.0f} s in all")


# ------------------------------------------------------------------------- the engines


class Recording:
    """An engine that records what it was given, what it read and how long it took."""

    def __init__(self, engine, name: str, during=contextlib.nullcontext):
        self.engine = engine
        self.name = name  # the OCR cache key: each way reads the page itself
        self.version = getattr(engine, "version", 1)
        self.during = during
        self.reads = []

    def read(self, image):
        began = time.perf_counter()
        with self.during():
            words = self.engine.read(image)
        self.reads.append((image, words, time.perf_counter() - began))
        return words


class DefaultReadtext:
    """easyocr's readtext() with its defaults on the whole page (bench_ocr.py's column)."""

    name = "easyocr-readtext"
    version = 1

    def __init__(self, reader):
        self.reader = reader

    def read(self, image):
        import numpy as np

        from extraction.ocr import OcrWord

        words = []
        for box, text, score in self.reader.readtext(np.asarray(image)):
            xs = [float(x) for x, _ in box]
            ys = [float(y) for _, y in box]
            x0, x1, top, bottom = min(xs), max(xs), min(ys), max(ys)
            step = (x1 - x0) / max(len(text), 1)
            start = 0
            for token in text.split():
                start = text.index(token, start)
                end = start + len(token)
                left, right = x0 + start * step, x0 + end * step
                words.append(OcrWord(token, round(float(score), 3), left, top, right, bottom))
                start = end
        return words


def threads() -> int:
    from django.conf import settings

    return settings.OCR_THREADS


def load_engines(ways: str) -> dict:
    from django.conf import settings
    from django.test import override_settings
    from PIL import Image, ImageDraw

    from extraction.extract import extract_source
    from extraction.ocr import default_engine, easyocr_engine
    from extraction.types import SourceFile, UnreadableDocument

    began = time.perf_counter()
    reader = easyocr_engine._shared_reader("torch")
    print(f"\nloading easyocr's networks: {time.perf_counter() - began:.1f} s (not in s/page)")
    if any(way in ways for way in "ab"):
        began = time.perf_counter()
        runtime = easyocr_engine.prepare("onnx")
        print(
            f"loading them on onnx ({settings.OCR_MODELS_DIR}; exported there first where not "
            f"cached): {time.perf_counter() - began:.1f} s, running on {runtime}"
        )

    def no_fast_path():
        # The engine's own switch where it has one; else no ink boxes, which is its "not
        # print on paper: use CRAFT" branch.
        if hasattr(settings, "OCR_FAST_PATH"):
            return override_settings(OCR_FAST_PATH=False)
        return mock.patch.object(easyocr_engine, "find_text_boxes", return_value=None)

    def on(runtime, *more):
        @contextlib.contextmanager
        def during():
            with override_settings(OCR_RUNTIME=runtime), contextlib.ExitStack() as stack:
                for context in more:
                    stack.enter_context(context())
                yield

        return during

    makers = {
        "a": lambda: Recording(default_engine(), "bench-a", during=on("onnx")),
        "b": lambda: Recording(default_engine(), "bench-b", during=on("onnx", no_fast_path)),
        "c": lambda: Recording(DefaultReadtext(reader), "bench-c"),
        "d": lambda: Recording(default_engine(), "bench-d", during=on("torch")),
        "e": lambda: Recording(default_engine(), "bench-e", during=on("torch", no_fast_path)),
    }
    engines = {way: makers[way]() for way in ways}
    # A first page for each way, so none pays on its first real page for what is loaded
    # or compiled on first use (CRAFT, the field finder).
    sample = Image.new("RGB", (900, 300), "white")
    ImageDraw.Draw(sample).text((40, 100), "INVOICE 2024-17  TOTAL 118.00", fill="black")
    buffer = io.BytesIO()
    sample.save(buffer, format="PNG", dpi=(200, 200))
    for way, engine in engines.items():
        began = time.perf_counter()
        with (
            mock.patch("extraction.ocr.default_engine", return_value=engine),
            contextlib.suppress(UnreadableDocument),
        ):
            extract_source(SourceFile("warm-up.png", buffer.getvalue()))
        if not engine.reads:
            sys.exit(
                "bench_ocr_real: extraction no longer asks extraction.ocr.default_engine() "
                "for its engine, so the bench cannot put its ways in; fix the bench"
            )
        engine.reads.clear()
        print(f"first page {TITLES[way]}: {time.perf_counter() - began:.1f} s (not in s/page)")
    return engines


class PageResult:
    def __init__(self, report, seconds, reads, error=""):
        self.report = report  # ExtractionResult.as_json(), None when refused
        self.seconds = seconds
        self.reads = reads  # [(image the engine was given, its words, seconds)]
        self.error = error


def read_page(engine: Recording, name: str, data: bytes) -> PageResult:
    from extraction.extract import extract_source
    from extraction.types import SourceFile, UnreadableDocument

    engine.reads = []
    began = time.perf_counter()
    report, error = None, ""
    with mock.patch("extraction.ocr.default_engine", return_value=engine):
        try:
            report = extract_source(SourceFile(name, data)).as_json()
        except UnreadableDocument as exc:
            error = str(exc)
    return PageResult(report, time.perf_counter() - began, engine.reads, error)


# ------------------------------------------------------------------------- the figures


def words_on_original(page, result: PageResult, way: str) -> list:
    """The OCR words of the page's first image as (x0, top, x1, bottom, text) in pixels
    of the original image: (a) and (b) read the page turned upright, turned back here."""
    from PIL import Image, ImageOps

    from extraction.ocr.orientation import rotate, upright_angle
    from tests.benchmarks.ocr_measures import to_original

    if not result.reads:
        return []
    image, words, _ = result.reads[0]
    with Image.open(page.path) as opened:
        original = ImageOps.exif_transpose(opened).size
    angle = upright_angle(image) if way in "abde" else 0.0
    upright = rotate(image, angle).size if angle else image.size
    boxes = []
    for word in words:
        x0, top = to_original((word.x0, word.top), angle, upright, image.size, original)
        x1, bottom = to_original((word.x1, word.bottom), angle, upright, image.size, original)
        boxes.append((min(x0, x1), min(top, bottom), max(x0, x1), max(top, bottom), word.text))
    return boxes


def report_set(set_name: str, pages: list, results: dict, ways: str) -> None:
    from tests.benchmarks import ocr_measures as measures
    from tests.benchmarks.realsets import HEADER, Tally

    receipts = set_name == "sroie-dev"
    names = list(SROIE_FIELDS) if receipts else HEADER
    width = 22
    print(f"\n{set_name}: {len(pages)} pages")
    if not receipts:
        # The shipped field model learnt from these scans (as read by the engine), so its
        # fields here compare the OCR ways, not layouts never seen: bench_real.py has the
        # cross-validated figures for scans.
        print("  fields by the shipped model: in-sample here (bench_real.py: cross-validated)")
    for page in pages:
        if page.note:
            print(f"  {page.name}: {page.note}")
        for way in ways:
            if results[way][page.name].error:
                print(f"  {page.name} {TITLES[way]}: refused: {results[way][page.name].error}")
    print(f"{'':<24}" + "".join(f"{TITLES[way]:>{width}}" for way in ways))

    def row(label: str, cells: list[str]) -> None:
        print(f"{label:<24}" + "".join(f"{cell:>{width}}" for cell in cells))

    if receipts:
        for label, errors in (
            ("CER lines (in boxes)", measures.line_errors),
            ("CER page (read. order)", measures.page_errors),
        ):
            cells = []
            for way in ways:
                counts = [
                    errors(p.lines, words_on_original(p, results[way][p.name], way)) for p in pages
                ]
                cer = measures.rate(counts)
                cells.append("-" if cer is None else f"{cer:.1%}")
            row(label, cells)
    tallies = {}
    for way in ways:
        tally = Tally(CONFIDENT)
        for page in pages:
            tally.add(page.truth, results[way][page.name].report, None, names=names)
        tallies[way] = tally
    for name in names:
        if any(t.total[name] for t in tallies.values()):
            label = SROIE_FIELDS.get(name, name) if receipts else name
            row(f"  {label}", [_share(t.hits[name], t.total[name]) for t in tallies.values()])
    row("fields right", [_share(*t.overall(names)) for t in tallies.values()])
    if receipts:  # read as receipts, confidence calibrated on other shops (extraction.receipts)
        words = {w: [measures.read_words(results[w][p.name].reads) for p in pages] for w in ways}
        for label, cells in measures.receipt_rows(pages, words):
            row(label, cells)
    row(
        f"confident (>={CONFIDENT}) wrong",
        [_share(*t.confident_wrong_share(names)) for t in tallies.values()],
    )
    for label, summary in (("s/page mean", statistics.mean), ("s/page median", statistics.median)):
        row(label, [f"{summary([results[w][p.name].seconds for p in pages]):.1f} s" for w in ways])


def _share(hits: int, total: int) -> str:
    return f"{hits}/{total} {hits / total:.0%}" if total else "-"


# ------------------------------------------------------------------ per-page signals


def write_signals(path: Path, pages: list, results: dict) -> None:
    """What the fast path (a) shows on each page, beside how much text it lost."""
    from rapidfuzz.distance import Levenshtein

    from tests.benchmarks import ocr_measures as measures
    from tests.benchmarks.realsets import HEADER, right

    rows = []
    for page in pages:
        a = results["a"][page.name]
        b = results.get("b", {}).get(page.name)
        if not a.reads:
            continue
        signals, fast_words = fast_path_signals(a.reads[0])
        row = {"set": page.set_name, "page": page.name, **signals}
        row["seconds_a"] = round(a.seconds, 2)
        image, _, seconds = a.reads[0]
        fast = PageResult(None, seconds, [(image, fast_words, seconds)])
        readings = {"fast": (fast, "a"), "a": (a, "a"), "b": (b, "b")}
        texts = {}
        for key, (result, way) in readings.items():
            if result is None or not result.reads or (key == "fast" and not fast_words):
                continue
            words = words_on_original(page, result, way)
            texts[key] = measures.page_text(words)
            if page.lines:
                cer = measures.rate([measures.line_errors(page.lines, words)])
                row[f"cer_{key}"] = round(cer, 3) if cer is not None else ""
        if b is not None:
            row["seconds_b"] = round(b.seconds, 2)
        for key in ("fast", "a"):
            if key in texts and "b" in texts:
                # (b)'s text taken as the reference: how much of it this reading lost.
                edits = Levenshtein.distance(texts["b"], texts[key])
                row[f"{key}_vs_b"] = round(edits / max(len(texts["b"]), 1), 3)
        row.update({f"chars_{key}": len(text) for key, text in texts.items()})
        names = list(SROIE_FIELDS) if page.set_name == "sroie-dev" else HEADER
        for way, result in (("a", a), ("b", b)):
            if result is not None:
                got = (result.report or {}).get("fields", {})
                row[f"fields_{way}"] = sum(
                    right(n, page.truth[n], got.get(n)) for n in names if n in page.truth
                )
        row["fields_judged"] = sum(1 for n in names if n in page.truth)
        rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    print(f"\nper-page signals of the fast path: {path} ({len(rows)} pages)")


def fast_path_signals(read) -> tuple[dict, list]:
    """On the page (a) was given: whether the ink boxes were found ("craft" where the page
    does not look like print), whether (a) kept their reading, how many, the share of the
    ink they cover, and the recogniser's confidence on them (mean over phrases); and the
    words the fast path alone reads there. Not timed: the boxes are read again here."""
    import numpy as np

    from extraction.ocr import easyocr_engine
    from extraction.ocr.orientation import rotate, upright_angle
    from extraction.ocr.text_boxes import _ink, find_text_boxes, reading_image

    image, words, _ = read
    page = np.asarray(rotate(image, upright_angle(image)).convert("L"))
    grey = reading_image(page)
    found = find_text_boxes(grey)
    if not found:
        return {"path": "craft"}, []
    ink = _ink(grey) > 0
    covered = np.zeros_like(ink)
    for x0, x1, y0, y1 in found.boxes:
        covered[y0:y1, x0:x1] = True
    # The fast path's own reading (the engine may have replaced it by CRAFT's on this page).
    with easyocr_engine._quiet():
        phrases = easyocr_engine._recognise(easyocr_engine._shared_reader(), grey, found.boxes)
    scores = [score for _, _, score in phrases]
    fast = [word for phrase in phrases for word in easyocr_engine._words(*phrase)]
    kept = [w.text for w in fast] == [w.text for w in words]
    return {
        "path": "ink" if kept else "ink, then craft",
        "boxes": len(found.boxes),
        "letter_px": round(found.letter_height, 1),
        "ink_covered": round(float((ink & covered).sum() / max(ink.sum(), 1)), 3),
        "mean_conf_fast": round(statistics.mean(scores), 3) if scores else 0.0,
        "low_conf_share_fast": round(sum(s < 0.5 for s in scores) / len(scores), 3)
        if scores
        else "",
        "chars_fast": sum(len(w.text) for w in fast),
    }, fast


if __name__ == "__main__":
    main()
