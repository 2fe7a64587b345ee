"""Pipeline benchmark: seconds per document for extraction alone, by format, and for the
whole path (intake -> extract -> match -> route -> post) on a fresh SQLite database.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
"""

import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROUNDS = 5


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    var = tempfile.mkdtemp(prefix="ledgerline-bench-")
    os.environ["LEDGERLINE_VAR_DIR"] = var
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from core import demo, pipeline
    from core.models import Document, Invoice
    from extraction.extract import extract_source
    from extraction.intake import receive
    from extraction.types import SourceFile, UnreadableDocument

    demo.seed_master_data()
    documents = demo.inbox_documents()

    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, SQLite in {var}")
    print(f"{'extraction (median of ' + str(ROUNDS) + ')':<44} {'ms/doc':>8}")
    for name, data in documents:
        timings = []
        for _ in range(ROUNDS):
            start = time.perf_counter()
            # The damaged demo PDF is meant to fail; its refusal is timed all the same.
            with contextlib.suppress(UnreadableDocument):
                extract_source(SourceFile(name, data))
            timings.append(time.perf_counter() - start)
        print(f"  {name:<42} {statistics.median(timings) * 1000:8.1f}")

    start = time.perf_counter()
    for name, data in documents:
        received = receive(data, name=name, channel=Document.Channel.COMMAND, actor="bench")
        pipeline.advance(received.invoice.pk)
    elapsed = time.perf_counter() - start
    count = Invoice.objects.count()
    print(
        f"whole pipeline, inline: {len(documents)} files -> {count} invoices in {elapsed:.2f} s "
        f"({elapsed / len(documents) * 1000:.0f} ms/file)"
    )
    shutil.rmtree(var, ignore_errors=True)


if __name__ == "__main__":
    main()
