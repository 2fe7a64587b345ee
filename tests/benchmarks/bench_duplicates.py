"""Duplicate check timing: 100,000 invoices of 2,000 vendors in PostgreSQL.

Fills a PostgreSQL database (BENCH_DUP_DATABASE_URL, default a `ledgerline_bench_dup`
database on the local server; created and filled once, reused after) with 100,000 invoices
of 2,000 vendors, as unevenly spread as real suppliers are (the largest has about 12,000,
most a few dozen), then checks 1,000 new invoices: a third copies of earlier invoices typed
another way, some misread by OCR, some the same total a few days on, the rest new. Each is
checked three ways, and the median, 95th percentile and worst time per invoice printed
side by side with how many of the planted copies each way caught:

- `find_duplicates` (matching.duplicates): two lookups on the duplicate indexes;
- the check it replaces: the digits of the number with `contains` over the vendor's
  invoices, compared in Python, plus the same total within a week;
- a plain scan: every invoice of the vendor read and compared in Python by the same rules.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
"""

import os
import random
import re
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVOICES = int(os.environ.get("BENCH_DUP_INVOICES", 100_000))
VENDORS = int(os.environ.get("BENCH_DUP_VENDORS", 2_000))
CHECKS = int(os.environ.get("BENCH_DUP_CHECKS", 1_000))
DEFAULT_URL = "postgres://postgres:postgres@127.0.0.1:5432/ledgerline_bench_dup"
START = date(2024, 1, 1)


def main() -> None:
    url = os.environ.get("BENCH_DUP_DATABASE_URL", DEFAULT_URL)
    if not _database_ready(url):
        print(f"Duplicate bench: PostgreSQL at {url.rsplit('@', 1)[-1]} is not reachable; skipped")
        return
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # as in production: no query log kept in memory
    _fill()
    _measure(_new_invoices())


def _database_ready(url: str) -> bool:
    import psycopg

    base, _, name = url.rpartition("/")
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except psycopg.Error:
        return False


_FORMATS = ["KFS-{y}/{n:04}", "{y}{n:05}", "INV {n:06}", "RE-{n}", "R{y}-{n:04}", "{n:07}"]


def _number(vendor_no: int, n: int, day: date) -> str:
    return _FORMATS[vendor_no % len(_FORMATS)].format(y=day.year, n=n)


def _fill() -> None:
    from core.identifiers import invoice_number_key
    from core.models import Document, Invoice, Status, Vendor

    have = Invoice.objects.count()
    if have >= INVOICES:
        print(f"Duplicate bench: reusing {have:,} invoices of {Vendor.objects.count():,} vendors")
        return
    if have:
        raise SystemExit(f"Duplicate bench: {have:,} invoices from an earlier fill; drop the db")
    start = time.perf_counter()
    rng = random.Random(13)
    vendors = Vendor.objects.bulk_create(
        Vendor(name=f"Dup Vendor {n:04}", vat_id=f"DE{n:09}") for n in range(VENDORS)
    )
    # Invoices per vendor as real suppliers are spread: a few large, most small (Zipf).
    weights = [1 / (rank + 1) for rank in range(VENDORS)]
    owners = rng.choices(range(VENDORS), weights=weights, k=INVOICES)
    fixed = {n for n in range(VENDORS) if n % 20 == 7}  # rent, licences: one amount always
    fixed_total = {n: Decimal(rng.randint(5_000, 500_000)) / 100 for n in fixed}
    per_vendor = Counter(owners)
    seq: Counter = Counter()
    span = (date(2026, 6, 30) - START).days
    statuses = [Status.POSTED] * 14 + [Status.PAID] * 4 + [Status.REJECTED, Status.NEEDS_REVIEW]
    for batch in range(0, INVOICES, 5000):
        chunk = owners[batch : batch + 5000]
        documents = Document.objects.bulk_create(
            Document(original_name=f"d{n}.xml", sha256=f"{n:064x}", size=1, file=f"d/{n}.xml",
                     content_type="application/xml", channel="api")
            for n in range(batch, batch + len(chunk))
        )  # fmt: skip
        invoices = []
        for document, owner in zip(documents, chunk, strict=True):
            seq[owner] += 1
            day = START + timedelta(days=span * seq[owner] // (per_vendor[owner] + 1))
            number = _number(owner, seq[owner], day)
            credit = rng.random() < 0.03
            total = fixed_total.get(owner) or Decimal(rng.randint(1_000, 2_000_000)) / 100
            invoices.append(
                Invoice(document=document, status=rng.choice(statuses), vendor=vendors[owner],
                        vendor_name=vendors[owner].name, invoice_number=number,
                        normalised_number=invoice_number_key(number),  # bulk_create skips save()
                        invoice_date=day, currency="EUR", total_amount=-total if credit else total,
                        document_type="credit_note" if credit else "invoice")
            )  # fmt: skip
        Invoice.objects.bulk_create(invoices)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would
    largest = per_vendor.most_common(1)[0][1]
    print(
        f"Duplicate bench: {INVOICES:,} invoices of {VENDORS:,} vendors (the largest has "
        f"{largest:,}) made in {time.perf_counter() - start:.0f} s"
    )


def _retyped(number: str, rng: random.Random) -> str:
    """The same number as another person or system types it."""
    way = rng.randrange(4)
    if way == 0:
        return number.lower().replace("-", " ").replace("/", " ")
    if way == 1:
        return re.sub(r"[^0-9A-Za-z]", "", number)
    if way == 2:
        return re.sub(r"(\d)(?=\d{4}$)", r"\1-", number)  # a separator added
    return "Nr. " + number.replace("-", "/")


def _misread(number: str, rng: random.Random) -> str:
    """The number with one digit read as the letter OCR takes it for."""
    spots = [i for i, ch in enumerate(number) if ch in "0158"]
    if not spots:
        return number + "O"
    at = rng.choice(spots)
    return number[:at] + {"0": "O", "1": "I", "5": "S", "8": "B"}[number[at]] + number[at + 1 :]


def _new_invoices():
    """CHECKS invoices to check, each with the earlier invoice it copies (or None) and the
    kind of copy; never saved (ids above any stored), so the database stays as filled."""
    from core.models import Invoice, Status

    rng = random.Random(2026)
    ids = list(
        Invoice.objects.filter(document_type="invoice")
        .exclude(status__in=(Status.REJECTED, Status.DUPLICATE))
        .values_list("pk", flat=True)
    )
    picked = Invoice.objects.in_bulk(rng.sample(ids, CHECKS))
    top = Invoice.objects.order_by("-pk").values_list("pk", flat=True).first()
    checks = []
    for n, earlier in enumerate(picked.values()):
        roll = rng.random()
        new = Invoice(pk=top + 1 + n, status=Status.EXTRACTED, vendor_id=earlier.vendor_id,
                      vendor_name=earlier.vendor_name, currency="EUR", document_type="invoice",
                      invoice_number=earlier.invoice_number, total_amount=earlier.total_amount,
                      invoice_date=earlier.invoice_date)  # fmt: skip
        if roll < 0.3:
            kind = "retyped, sent again"
            new.invoice_number = _retyped(earlier.invoice_number, rng)
            new.invoice_date = earlier.invoice_date + timedelta(days=rng.randint(0, 30))
        elif roll < 0.4:
            kind = "misread by OCR, weeks on"  # a reminder copy, scanned
            new.invoice_number = _misread(earlier.invoice_number, rng)
            new.invoice_date = earlier.invoice_date + timedelta(days=rng.randint(8, 40))
        elif roll < 0.5:
            kind = "same total, days on"
            new.invoice_number = f"X-{rng.randint(10**6, 10**7)}"
            new.invoice_date = earlier.invoice_date + timedelta(days=rng.randint(1, 6))
        else:
            kind, earlier = "new invoice", None
            new.invoice_number = f"NEW-{rng.randint(10**6, 10**7)}"
            new.total_amount = Decimal(rng.randint(1_000, 2_000_000)) / 100
            new.invoice_date = date(2026, 7, 1) + timedelta(days=rng.randint(0, 30))
        checks.append((new, earlier.pk if earlier else None, kind))
    return checks


def _measure(checks) -> None:
    from django.db import connection

    from matching.duplicates import find_duplicates

    ways = {
        "find_duplicates (indexed)": lambda new: [hit.invoice_id for hit in find_duplicates(new)],
        "old: digits `contains`": _old_duplicates_of,
        "plain scan of the vendor": _scan,
    }
    print(
        f"Duplicate check, {len(checks):,} new invoices against the stored ones, "
        f"PostgreSQL {connection.pg_version // 10000} on loopback, one process:"
    )
    for name, way in ways.items():
        for new, _, _ in checks[:50]:
            way(new)  # warm: connection, plans, caches
        seconds, caught, planted = [], Counter(), Counter()
        for new, earlier, kind in checks:
            start = time.perf_counter()
            found = way(new)
            seconds.append(time.perf_counter() - start)
            planted[kind] += 1
            # A new invoice flagged is a false alarm; a copy counts when its original is found.
            caught[kind] += bool(found) if earlier is None else earlier in found
        seconds.sort()
        p95 = seconds[int(len(seconds) * 0.95) - 1]
        print(
            f"  {name:26} median {statistics.median(seconds) * 1000:5.2f} ms, p95 "
            f"{p95 * 1000:6.2f} ms, worst {seconds[-1] * 1000:6.2f} ms per invoice"
        )
        copies = [kind for kind in sorted(planted) if kind != "new invoice"]
        print(
            "    original found: "
            + ", ".join(f"{kind} {caught[kind]}/{planted[kind]}" for kind in copies)
            + f"; new invoices flagged: {caught['new invoice']}/{planted['new invoice']}"
        )
    rules = Counter(hit.rule for new, _, _ in checks for hit in find_duplicates(new))
    print("  find_duplicates' hits by rule: " + ", ".join(f"{r} {n}" for r, n in rules.items()))
    _plans(checks[0][0])


def _plans(invoice) -> None:
    """The indexes the two lookups use on the filled table (EXPLAIN, not guessed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from matching.duplicates import find_duplicates

    with CaptureQueriesContext(connection) as queries:
        find_duplicates(invoice)
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute("EXPLAIN " + query["sql"])
            used = sorted(set(re.findall(r"using (\w+)", " ".join(r[0] for r in cursor))))
            print(f"  plan: {query['sql'].split('WHERE')[0][:20]}... uses {', '.join(used)}")


def _old_normalise(raw: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()


def _old_duplicates_of(invoice) -> list[int]:
    """matching.services.duplicates_of before matching.duplicates (commit b360ad0)."""
    from django.db.models import Q

    from core.models import Invoice, Status

    same_vendor = Invoice.objects.exclude(pk=invoice.pk).exclude(
        status__in=(Status.REJECTED, Status.DUPLICATE)
    )
    same_vendor = same_vendor.filter(
        Q(pk__lt=invoice.pk) | ~Q(status__in=(Status.RECEIVED, Status.EXTRACTED))
    ).filter(vendor_id=invoice.vendor_id)
    hits = []
    wanted = _old_normalise(invoice.invoice_number)
    if wanted:
        digits = "".join(ch for ch in wanted if ch.isdigit())[-6:]
        candidates = same_vendor.filter(invoice_number__contains=digits) if digits else same_vendor
        for pk, number in candidates.values_list("pk", "invoice_number")[:50]:
            if _old_normalise(number) == wanted:
                hits.append(pk)
    if invoice.total_amount and invoice.invoice_date:
        window = timedelta(days=7)
        close = same_vendor.filter(
            total_amount=invoice.total_amount,
            invoice_date__range=(invoice.invoice_date - window, invoice.invoice_date + window),
        ).exclude(pk__in=hits)
        hits += list(close.values_list("pk", flat=True)[:10])
    return hits


def _scan(invoice) -> list[int]:
    """Every invoice of the vendor read and compared here by matching.duplicates' rules:
    its key; the same total within a week (numbers one edit apart need both)."""
    from core.identifiers import invoice_number_key
    from core.models import Invoice, Status

    wanted = invoice_number_key(invoice.invoice_number)
    rows = (
        Invoice.objects.filter(vendor_id=invoice.vendor_id, document_type=invoice.document_type)
        .exclude(status__in=(Status.REJECTED, Status.DUPLICATE))
        .values_list("pk", "invoice_number", "invoice_date", "total_amount")
    )
    hits = []
    for pk, number, day, total in rows:
        key = invoice_number_key(number)
        same_total = total == invoice.total_amount
        close = day and invoice.invoice_date and abs((day - invoice.invoice_date).days) <= 7
        if key == wanted or (same_total and close):  # one edit apart needs both too
            hits.append(pk)
    return hits


if __name__ == "__main__":
    main()
