"""Work queue latency: 100,000 invoices in PostgreSQL, 20 clients at once on loopback.

Fills a PostgreSQL database (BENCH_QUEUE_DATABASE_URL, default a `ledgerline_bench`
database on the local server; created and filled once, reused after) with 100,000 invoices
(a fifth waiting in review or for approval, with their exceptions), starts the app as in
production (gunicorn, BENCH_QUEUE_WORKERS workers of 4 threads, DEBUG off) and
has 20 signed-in clients fetch queue pages at once: the first page, filtered by exception
code, by vendor, sorted by amount, and a later page by its keyset cursor; twice: back to
back (each client asks again as soon as it is answered: the server's capacity), and paced
(each client asks once a second: a busy office). Prints the median, 95th percentile and
worst latency of each.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
"""

import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVOICES = int(os.environ.get("BENCH_QUEUE_INVOICES", 100_000))
CLIENTS = int(os.environ.get("BENCH_QUEUE_CLIENTS", 20))
REQUESTS_EACH = int(os.environ.get("BENCH_QUEUE_REQUESTS", 25))
WORKERS = int(os.environ.get("BENCH_QUEUE_WORKERS", 2 * (os.cpu_count() or 1)))
DEFAULT_URL = "postgres://postgres:postgres@127.0.0.1:5432/ledgerline_bench"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.benchmarks.postgres import database_ready

    url = os.environ.get("BENCH_QUEUE_DATABASE_URL", DEFAULT_URL)
    if not database_ready(url):
        print(f"Work queue bench: PostgreSQL at {url.rsplit('@', 1)[-1]} is not reachable; skipped")
        return
    os.environ["DATABASE_URL"] = url
    # The server checks sessions with its secret key: the same one here, where the bench
    # signs its clients in.
    os.environ["SECRET_KEY"] = "bench-only-" + "x" * 40
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    _fill()
    cookie = _session()
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "core.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--threads",
            "4",
        ],
        cwd=ROOT,
        # As in production: DEBUG off (it keeps every query in memory and checks templates).
        env={
            **os.environ,
            "DATABASE_URL": url,
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECRET_KEY": os.environ["SECRET_KEY"],
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        # Back to back: every client sends its next request as soon as the last one is
        # answered (a saturation test: 20 requests are always in flight).
        _measure(port, cookie, pause=0.0)
        # Paced: each client asks for a page once a second (clerks click through the queue
        # every few seconds; this is faster than any of them).
        _measure(port, cookie, pause=1.0)
    finally:
        server.terminate()
        server.wait(10)


def _fill() -> None:
    from core.models import Document, Invoice, InvoiceException, Status, Vendor

    have = Invoice.objects.count()
    if have >= INVOICES:
        print(f"Work queue bench: reusing {have:,} invoices")
        return
    start = time.perf_counter()
    rng = random.Random(42)
    vendors = Vendor.objects.bulk_create(
        Vendor(name=f"Bench Vendor {n:03}", vat_id=f"DE{n:09}") for n in range(500)
    )
    codes = ["PRICE_VARIANCE", "NOT_RECEIVED", "PO_NOT_FOUND", "DUPLICATE", "QTY_VARIANCE"]
    for batch in range(have, INVOICES, 5000):
        size = min(5000, INVOICES - batch)
        documents = Document.objects.bulk_create(
            Document(original_name=f"b{n}.pdf", sha256=f"{n:064x}", size=1, file=f"b/{n}.pdf",
                     content_type="application/pdf", channel="api")
            for n in range(batch, batch + size)
        )  # fmt: skip
        invoices = []
        for document in documents:
            roll = rng.random()
            status = (
                Status.NEEDS_REVIEW if roll < 0.15
                else Status.PENDING_APPROVAL if roll < 0.2 else Status.POSTED
            )  # fmt: skip
            vendor = vendors[rng.randrange(len(vendors))]
            invoices.append(
                Invoice(document=document, status=status, vendor=vendor, vendor_name=vendor.name,
                        invoice_number=f"B-{document.pk}", currency="EUR",
                        total_amount=Decimal(rng.randint(1000, 2_000_000)) / 100)
            )  # fmt: skip
        invoices = Invoice.objects.bulk_create(invoices)
        InvoiceException.objects.bulk_create(
            InvoiceException(invoice=i, code=rng.choice(codes), message="bench")
            for i in invoices
            if i.status == Status.NEEDS_REVIEW
        )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would, before anyone works the queue
    print(f"Work queue bench: {INVOICES:,} invoices made in {time.perf_counter() - start:.0f} s")


def _session() -> str:
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user, created = User.objects.get_or_create(username="bench-clerk")
    if created:
        user.groups.add(Group.objects.get(name="clerk"))
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def _measure(port: int, cookie: str, pause: float) -> None:
    base = f"http://127.0.0.1:{port}/queue/"
    first = _get(base, cookie)[1]
    cursor = first.split("after=", 1)[1].split('"', 1)[0] if "after=" in first else ""
    paths = [
        "",
        "?code=PRICE_VARIANCE",
        "?vendor=Vendor+042",
        "?sort=amount_high",
        "?status=pending_approval&min=1000&max=5000",
        f"?after={cursor}",
    ]
    latencies, errors = [], []

    def client(number: int) -> None:
        rng = random.Random(number)
        if pause:
            time.sleep(rng.uniform(0, pause))  # clients do not start in lockstep
        for _ in range(REQUESTS_EACH):
            try:
                seconds, _ = _get(base + rng.choice(paths), cookie)
                latencies.append(seconds)
            except Exception as exc:  # counted and shown, not hidden
                errors.append(str(exc))
            if pause:
                time.sleep(max(0.0, pause - seconds))

    _get(base, cookie)  # warm
    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95) - 1] if latencies else float("nan")
    how = f"each one request every {pause:g} s" if pause else "back to back"
    print(
        f"Work queue, {INVOICES:,} invoices in PostgreSQL, {CLIENTS} clients at once ({how}), "
        f"{len(latencies)} requests in {wall:.1f} s ({len(latencies) / wall:.0f}/s): "
        f"median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"worst {latencies[-1] * 1000:.0f} ms, {len(errors)} errors"
    )


def _get(url: str, cookie: str) -> tuple[float, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 (http only)
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        body = response.read().decode()
        if response.status != 200 or "Work queue" not in body:
            raise RuntimeError(f"{url}: {response.status}")
    return time.perf_counter() - start, body


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


if __name__ == "__main__":
    main()
