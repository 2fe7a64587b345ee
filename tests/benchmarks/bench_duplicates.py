"""Duplicate check timing and false alarms: 100,000 invoices of 2,000 vendors in PostgreSQL.

Fills a PostgreSQL database (BENCH_DUP_DATABASE_URL, default a `ledgerline_bench_dup2`
database on the local server; created and filled once, reused after) with 100,000 invoices
of 2,000 vendors, as unevenly spread as real suppliers are (the largest has about 12,000,
most a few dozen), each vendor numbering in its own format (among them number/month/year,
"FV 12/11/2026", as is the norm in Poland; one in twenty bills one fixed amount: rent, a
licence). It then checks 1,000 new invoices: 45% copies of earlier invoices (typed
another way, misread by OCR, or the same total a few days on), and 55% new invoices that
look as much like the vendor's earlier ones as real ones do: its next numbers in its own
format, a fixed-amount vendor's next invoice a month on, and invoices dated among the
stored ones. Each is checked three ways, and the median, 95th percentile and worst time
per invoice printed side by side with how many of the planted copies each way caught and
how many new invoices it flagged (false alarms):

- `find_duplicates` (matching.duplicates): two lookups on the duplicate indexes;
- the check it replaces: the digits of the number with `contains` over the vendor's
  invoices, compared in Python, plus the same total within a week (run on this database,
  so with the (vendor, total_amount) index it did not have);
- a plain scan: every invoice of the vendor read and compared in Python by the same rules
  (matching.duplicates' own comparisons, so it finds what find_duplicates finds).

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
# The fill changed (number/month/year formats): another database than the first fill's.
DEFAULT_URL = "postgres://postgres:postgres@127.0.0.1:5432/ledgerline_bench_dup2"
START = date(2024, 1, 1)
END = date(2026, 6, 30)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.postgres import database_ready

    url = os.environ.get("BENCH_DUP_DATABASE_URL", DEFAULT_URL)
    if not database_ready(url):
        print(f"Duplicate bench: PostgreSQL at {url.rsplit('@', 1)[-1]} is not reachable; skipped")
        return
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.DEBUG = False  # as in production: no query log kept in memory
    _fill()
    _measure(_new_invoices())


# n: the vendor's running number; k: its number within the month (number/month/year).
_FORMATS = [
    "KFS-{y}/{n:04}",
    "{y}{n:05}",
    "INV {n:06}",
    "RE-{n}",
    "R{y}-{n:04}",
    "{n:07}",
    "FV {k}/{m}/{y}",
    "{k}/{m:02}/{y}",
    "FV/{y}/{m}/{k}",
]


def _number(vendor_no: int, n: int, k: int, day: date) -> str:
    return _FORMATS[vendor_no % len(_FORMATS)].format(y=day.year, m=day.month, n=n, k=k)


def _fixed(vendor_no: int) -> bool:
    return vendor_no % 20 == 7  # rent, licences: one amount always


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
    fixed_total = {n: Decimal(rng.randint(5_000, 500_000)) / 100 for n in range(VENDORS)}
    per_vendor = Counter(owners)
    seq: Counter = Counter()
    in_month: Counter = Counter()
    span = (END - START).days
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
            in_month[owner, day.year, day.month] += 1
            number = _number(owner, seq[owner], in_month[owner, day.year, day.month], day)
            credit = rng.random() < 0.03
            total = _total(owner, fixed_total, rng)
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


def _total(owner: int, fixed_total: dict, rng: random.Random) -> Decimal:
    if _fixed(owner):
        return fixed_total[owner]
    return Decimal(rng.randint(1_000, 2_000_000)) / 100


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


COPIES = ("retyped, sent again", "misread by OCR, weeks on", "same total, days on")
NEW = ("next number, own format", "fixed amount, a month on", "new, dated among stored")


def _new_invoices():
    """CHECKS invoices to check, each with the earlier invoice it copies (or None) and the
    kind of copy or new invoice; never saved (ids above any stored), so the database stays
    as filled."""
    from django.db.models import Count, Max, Min

    from core.models import Invoice, Status, Vendor

    rng = random.Random(2026)
    ids = list(
        Invoice.objects.filter(document_type="invoice")
        .exclude(status__in=(Status.REJECTED, Status.DUPLICATE))
        .values_list("pk", flat=True)
    )
    picked = Invoice.objects.in_bulk(rng.sample(ids, CHECKS))
    top = Invoice.objects.order_by("-pk").values_list("pk", flat=True).first()
    # Each vendor's history as the fill made it: its count (its last running number), its
    # first and last date, its invoices per month, and its one amount if it has one.
    vendor_no = {pk: int(name.rsplit(" ", 1)[1]) for pk, name in Vendor.objects.values_list(
        "pk", "name").filter(name__startswith="Dup Vendor ")}  # fmt: skip
    history = {
        row["vendor_id"]: row
        for row in Invoice.objects.values("vendor_id")
        .annotate(count=Count("pk"), first=Min("invoice_date"), last=Max("invoice_date"))
        .order_by()
    }
    months: Counter = Counter()
    for vendor, day in Invoice.objects.values_list("vendor_id", "invoice_date").iterator():
        months[vendor, day.year, day.month] += 1
    fixed = sorted(pk for pk, no in vendor_no.items() if _fixed(no) and pk in history)
    fixed_total = dict(
        Invoice.objects.filter(vendor_id__in=fixed, document_type="invoice")
        .values_list("vendor_id", "total_amount")
        .order_by()
    )
    checks = []
    for n, earlier in enumerate(picked.values()):
        roll = rng.random()
        new = Invoice(pk=top + 1 + n, status=Status.EXTRACTED, vendor_id=earlier.vendor_id,
                      vendor_name=earlier.vendor_name, currency="EUR", document_type="invoice",
                      invoice_number=earlier.invoice_number, total_amount=earlier.total_amount,
                      invoice_date=earlier.invoice_date)  # fmt: skip
        if roll < 0.25:
            kind = COPIES[0]
            new.invoice_number = _retyped(earlier.invoice_number, rng)
            new.invoice_date = earlier.invoice_date + timedelta(days=rng.randint(0, 30))
        elif roll < 0.35:
            kind = COPIES[1]  # a reminder copy, scanned
            new.invoice_number = _misread(earlier.invoice_number, rng)
            new.invoice_date = earlier.invoice_date + timedelta(days=rng.randint(8, 40))
        elif roll < 0.45:
            kind = COPIES[2]
            new.invoice_number = f"X-{rng.randint(10**6, 10**7)}"
            new.invoice_date = earlier.invoice_date + timedelta(days=rng.randint(1, 6))
        else:
            kind = NEW[0] if roll < 0.70 else NEW[1] if roll < 0.80 else NEW[2]
            if kind == NEW[1]:
                new.vendor_id = fixed[rng.randrange(len(fixed))]
                new.vendor_name = f"Dup Vendor {vendor_no[new.vendor_id]:04}"
            seen = history[new.vendor_id]
            if kind == NEW[2]:  # a late invoice, dated among the vendor's stored ones
                days = max((seen["last"] - seen["first"]).days, 1)
                day = seen["first"] + timedelta(days=rng.randrange(days))
                number, in_month = seen["count"] + rng.randint(1, 50), rng.randint(1, 5)
            else:  # its next invoice, days after its last (a fixed amount's a month after)
                day = seen["last"] + timedelta(
                    days=rng.randint(28, 31) if kind == NEW[1] else rng.randint(1, 20)
                )
                number, in_month = seen["count"] + 1, 1
            in_month += months[new.vendor_id, day.year, day.month]
            new.invoice_number = _number(vendor_no[new.vendor_id], number, in_month, day)
            new.invoice_date = day
            if new.vendor_id in fixed_total:
                new.total_amount = fixed_total[new.vendor_id]
            else:
                new.total_amount = Decimal(rng.randint(1_000, 2_000_000)) / 100
            earlier = None
        checks.append((new, earlier.pk if earlier else None, kind))
    return checks


def _measure(checks) -> None:
    from django.db import connection

    from matching.duplicates import find_duplicates

    ways = {
        "find_duplicates (indexed)": lambda new: [hit.invoice_id for hit in find_duplicates(new)],
        "old: digits `contains`*": _old_duplicates_of,
        "plain scan, same rules": _scan,
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
        print(
            "    original found: "
            + ", ".join(f"{kind} {caught[kind]}/{planted[kind]}" for kind in COPIES)
        )
        print(
            f"    new invoices flagged (false alarms) {sum(caught[k] for k in NEW)}/"
            f"{sum(planted[k] for k in NEW)}: "
            + ", ".join(f"{kind} {caught[kind]}/{planted[kind]}" for kind in NEW)
        )
    print(
        "  * the old check ran here with the (vendor, total_amount) index "
        "(invoice_dup_by_total) present, which it did not have: its same-total lookup "
        "is faster here than it was"
    )
    for label, wanted in (("copies", COPIES), ("new invoices", NEW)):
        rules = Counter(
            hit.rule for new, _, kind in checks if kind in wanted for hit in find_duplicates(new)
        )
        print(
            f"  find_duplicates' hits on {label} by rule: "
            + (", ".join(f"{rule} {n}" for rule, n in sorted(rules.items())) or "none")
        )
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
    """Every invoice of the vendor read and compared here by matching.duplicates' own rules
    and comparisons: the candidates its two lookups would read (a key alike; the same total
    within DUPLICATE_DAYS or without a date), picked out in Python."""
    from matching.duplicates import DUPLICATE_DAYS, _by_amount, _by_number, _Number, _originals

    originals = _originals(invoice)
    if originals is None:
        return []
    number = _Number.of(invoice.invoice_number)
    alike = number.keys_alike() if number.key else set()
    rows = originals.values_list(
        "pk", "invoice_number", "invoice_date", "total_amount", "normalised_number"
    )
    hits = []
    for *row, key in rows:
        rule = _by_number(invoice, number, row) if key in alike else None
        if not rule and invoice.total_amount and row[3] == invoice.total_amount:
            day = row[2]
            if not (day and invoice.invoice_date) or (
                abs((day - invoice.invoice_date).days) <= DUPLICATE_DAYS
            ):
                rule = _by_amount(invoice, number, row)
        if rule:
            hits.append(row[0])
    return hits


if __name__ == "__main__":
    main()
