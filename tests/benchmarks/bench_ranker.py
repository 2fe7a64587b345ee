"""Seconds to read a long itemised text PDF with the field ranker, beside the rules alone.

A 200-page PDF is allowed (MAX_PDF_PAGES); a phone bill itemises every call, so the ranker's
candidate features must stay near-linear in the number of amounts. Prints the seconds for
3, 12 and 24 pages of 50 rows (two amounts a row), the rules alone and with the shipped
model, in the same run. Run with `make bench`; no assertions.
"""

import os
import sys
import time
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()

    from extraction.extract import extract_source
    from extraction.ranker import active_model, using
    from extraction.types import SourceFile
    from tests.factories import long_itemised_pdf

    if active_model() is None:
        print("no field model shipped: nothing to compare")
        return
    print(f"{'pages':>5} {'amounts':>8} {'rules alone':>12} {'with ranker':>12}")
    for pages in (3, 12, 24):
        source = SourceFile("telco.pdf", long_itemised_pdf(pages))
        seconds = {}
        for name, model in (("rules", None), ("ranker", active_model())):
            with using(model):
                began = time.perf_counter()
                extract_source(source)
                seconds[name] = time.perf_counter() - began
        print(f"{pages:>5} {pages * 100:>8} {seconds['rules']:>11.2f}s {seconds['ranker']:>11.2f}s")


if __name__ == "__main__":
    main()
