"""Extraction accuracy on the generated corpus (tests/corpus): per field, for the text-layer
PDF, a scanned image of it, and the same invoice as UBL and CII XML; and seconds per
document by format (median).

OCR is slow on a CPU (tens of seconds a page), so only the first BENCH_OCR_PAGES scans
(default 10, one per layout as the corpus cycles through them; 0 skips scans) are read.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
"""

import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

DEFAULT_OCR_PAGES = 10


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()

    from core.demo_documents import cii_xml, ubl_xml
    from extraction.extract import extract_source
    from extraction.types import SourceFile, UnreadableDocument
    from tests.corpus import LAYOUTS, generate
    from tests.corpus.scoring import ROWS, accuracy, score

    ocr_pages = int(os.environ.get("BENCH_OCR_PAGES", DEFAULT_OCR_PAGES))
    start = time.perf_counter()
    items = generate()
    print(
        f"corpus: {len(items)} invoices, {len(LAYOUTS)} layouts, "
        f"languages {', '.join(sorted({item.language for item in items}))}, "
        f"currencies {', '.join(sorted({item.invoice.currency for item in items}))} "
        f"(generated in {time.perf_counter() - start:.1f} s)"
    )

    scores: dict[str, list[dict[str, bool]]] = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    refusals: dict[str, list[str]] = defaultdict(list)
    by_layout: dict[str, list[dict[str, bool]]] = defaultdict(list)

    def read(column: str, item, name: str, data: bytes):
        start = time.perf_counter()
        try:
            result = extract_source(SourceFile(name, data))
        except UnreadableDocument as exc:
            result = None
            refusals[column].append(f"{name}: {exc}")
        seconds[column].append(time.perf_counter() - start)
        scores[column].append(score(item.invoice, result))
        return scores[column][-1]

    for item in items:
        by_layout[item.layout].append(read("text PDF", item, f"{item.name}.pdf", item.pdf))
        if item.has_xml:
            read("XML", item, f"{item.name}.ubl.xml", ubl_xml(item.invoice))
            read("XML", item, f"{item.name}.cii.xml", cii_xml(item.invoice))
    for item in items[:ocr_pages]:
        read("scanned", item, item.scan_name, item.scan())

    columns = [column for column in ("text PDF", "scanned", "XML") if scores[column]]
    tables = {column: accuracy(scores[column]) for column in columns}
    header = "".join(f"{f'{column} (n={len(scores[column])})':>20}" for column in columns)
    print(f"\n{'field accuracy':<16}{header}")
    for row in ROWS:
        print(f"{row:<16}" + "".join(f"{tables[column][row]:>20.1%}" for column in columns))
    print(f"{'s/doc (median)':<16}" + "".join(_median(seconds[c]) for c in columns))

    print("\ntext PDF by layout (share of all rows right):")
    for layout, layout_scores in by_layout.items():
        rows = accuracy(layout_scores)
        print(f"  {layout:<14} {statistics.mean(rows.values()):6.1%}")

    if ocr_pages == 0:
        print("\nscanned: skipped (BENCH_OCR_PAGES=0)")
    elif len(refusals["scanned"]) == len(scores["scanned"]):
        print(
            f"\nscanned: no OCR reader available; all {len(scores['scanned'])} scans were "
            f"refused and count as wrong ({refusals['scanned'][0].split(': ', 1)[1]})"
        )
    elif refusals["scanned"]:
        print(f"\nscanned: {len(refusals['scanned'])} refused, counted as wrong:")
        for refusal in refusals["scanned"]:
            print(f"  {refusal}")
    for column in ("text PDF", "XML"):
        for refusal in refusals[column]:
            print(f"{column} refused {refusal}")


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):>19.3f}s" if values else f"{'-':>20}"


if __name__ == "__main__":
    main()
