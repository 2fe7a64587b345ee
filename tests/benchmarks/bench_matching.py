"""Matching throughput: invoices matched per second against order books of 10k, 100k and
1M purchase order lines (BENCH_MATCHING_SIZES to change them).

Each size generates purchase orders of 5 lines (a fifth partly received, some already
partly billed) and one invoice per 10 PO lines, most of them clean and the rest with price
variances, quantities beyond the receipt, lines not ordered and duplicates, so the engine
does its full work. The engine matches each invoice against its orders, found through an
index by normalised PO number, as a nightly re-match of the whole book would: the figure is
the engine's, without the database. A second figure runs the real stage (`match_invoice`:
loading candidates from the database, recording the run, the transition and the audit
event) for a few hundred invoices on the configured database.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
"""

import os
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

LINES_PER_ORDER = 5
LINES_PER_INVOICE_ORDER = 10  # one invoice per this many PO lines


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    sizes = [
        int(s) for s in os.environ.get("BENCH_MATCHING_SIZES", "10000,100000,1000000").split(",")
    ]
    print(f"Matching engine throughput ({os.cpu_count()} CPUs, one process)")
    columns = ("PO lines", "invoices", "build s", "match s", "invoices/s", "clean")
    print(" ".join(f"{name:>11}" for name in columns))
    for size in sizes:
        _engine_run(int(size))
    _database_run(int(os.environ.get("BENCH_MATCHING_DB_INVOICES", 300)))


def _engine_run(po_lines: int) -> None:
    from matching.engine import ToleranceRule, Tolerances, match, po_numbers

    rng = random.Random(po_lines)
    start = time.perf_counter()
    orders, invoices = _book(po_lines, rng)
    index = {order.number: order for order in orders}
    seen: dict[tuple[int, str], int] = {}
    rules = Tolerances(
        (
            ToleranceRule(1, 1, "global"),
            ToleranceRule(2, 1, "category", category="IT", price_percent=Decimal(5)),
        )
    )
    built = time.perf_counter() - start

    start = time.perf_counter()
    clean = 0
    for number, invoice in enumerate(invoices):
        pos = [index[n] for n in po_numbers(invoice.po_number) if n in index]
        key = (invoice.vendor_id, invoice.invoice_number)
        duplicates = _duplicate(seen.get(key))
        seen.setdefault(key, number)
        result = match(invoice, pos, duplicates=duplicates, tolerances=rules)
        clean += result.clean
    elapsed = time.perf_counter() - start
    print(
        f"{po_lines:>11,} {len(invoices):>11,} {built:>11.1f} {elapsed:>11.1f} "
        f"{len(invoices) / elapsed:>11,.0f} {clean / len(invoices):>11.0%}"
    )


def _duplicate(first):
    """The finding matching.duplicates words for a copy of invoice number `first`."""
    if first is None:
        return []
    return [{"code": "DUPLICATE", "message": f"A copy of invoice #{first}.",
             "details": {"invoice_ids": [first], "rule": "same_number"}}]  # fmt: skip


def _book(po_lines: int, rng: random.Random):
    from matching.engine import InvoiceFacts, LineFacts, POLineFacts, PurchaseOrderFacts

    prices = [Decimal(rng.randint(100, 50_000)) / 100 for _ in range(500)]
    quantities = [Decimal(q) for q in range(0, 101)]
    rate = Decimal(19)
    orders = []
    for number in range(po_lines // LINES_PER_ORDER):
        po_number = f"45{number:08}"
        vendor = number % 2000
        lines = []
        for line_no in range(1, LINES_PER_ORDER + 1):
            ordered = quantities[rng.randint(1, 100)]
            partly = rng.random() < 0.2
            received = quantities[int(ordered) // 2] if partly else ordered
            lines.append(
                POLineFacts(
                    id=number * LINES_PER_ORDER + line_no,
                    po_number=po_number,
                    line_no=line_no,
                    description=f"Article {line_no} grade {number % 7}",
                    ordered=ordered,
                    unit_price=prices[rng.randrange(500)],
                    item_code=f"A-{number % 997}-{line_no}",
                    category="IT" if line_no == 5 else "",
                    tax_rate=rate,
                    received=received,
                    billed=quantities[0],
                )
            )
        orders.append(
            PurchaseOrderFacts(po_number, vendor, f"Vendor {vendor}", "EUR", "open", tuple(lines))
        )
    invoices = []
    for number in range(po_lines // LINES_PER_INVOICE_ORDER):
        order = orders[rng.randrange(len(orders))]
        roll = rng.random()
        billed = []
        for po_line in order.lines[: rng.randint(1, 3)]:
            qty = po_line.received if po_line.received else po_line.ordered
            price = po_line.unit_price
            if roll < 0.05:
                price = price * Decimal("1.1")
            elif roll < 0.08:
                qty = po_line.ordered + 1
            billed.append((po_line, qty, price))
        lines = [
            LineFacts(
                i, p.description, q, price, (q * price).quantize(Decimal("0.01")), p.item_code, rate
            )
            for i, (p, q, price) in enumerate(billed, start=1)
        ]
        if 0.08 <= roll < 0.1:
            lines.append(
                LineFacts(
                    len(lines) + 1, "Desk lamp", Decimal(1), Decimal(30), Decimal(30), "X-1", rate
                )
            )
        net = sum((line.amount for line in lines), Decimal(0))
        tax = (net * rate / 100).quantize(Decimal("0.01"))
        invoice_number = f"INV-{number if roll >= 0.01 else number - 1}"
        invoices.append(
            InvoiceFacts(
                invoice_number,
                date(2026, 10, 10),
                "EUR",
                net,
                tax,
                net + tax,
                order.number,
                order.vendor_id,
                order.vendor_name,
                lines=tuple(lines),
            )
        )
    return orders, invoices


def _database_run(count: int) -> None:
    """The real stage on the configured database, in a throwaway test database."""
    if count <= 0:
        return
    from django.db import connection
    from django.test.utils import (
        get_runner,  # noqa: F401  (keeps the test runner importable)
        setup_test_environment,
    )

    from core.models import (
        Document,
        Invoice,
        InvoiceLine,
        PurchaseOrder,
        PurchaseOrderLine,
        Status,
        Vendor,
    )
    from matching.services import match_invoice

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        rng = random.Random(7)
        vendor = Vendor.objects.create(name="Bench Vendor", iban="DE89370400440532013000")
        lines = []
        for number in range(2000):
            order = PurchaseOrder.objects.create(
                number=f"45{number:08}", vendor=vendor, currency="EUR", order_date=date(2026, 10, 1)
            )
            lines += [
                PurchaseOrderLine(
                    purchase_order=order,
                    line_no=n,
                    item_code=f"A-{number}-{n}",
                    description=f"Article {n}",
                    quantity=Decimal(10),
                    unit_price=Decimal("12.50"),
                    tax_rate=Decimal(19),
                )
                for n in range(1, LINES_PER_ORDER + 1)
            ]
        PurchaseOrderLine.objects.bulk_create(lines)
        vendor.match_mode = "two_way"
        vendor.save()
        invoices = []
        for number in range(count):
            po = rng.randrange(2000)
            document = Document.objects.create(
                original_name=f"{number}.xml",
                sha256=f"{number:064}",
                size=1,
                content_type="application/xml",
                channel="api",
                file=f"bench/{number}.xml",
            )
            invoice = Invoice.objects.create(
                document=document,
                status=Status.EXTRACTED,
                vendor=vendor,
                vendor_name=vendor.name,
                invoice_number=f"B-{number}",
                currency="EUR",
                # A week apart: the same total within a week would be a possible duplicate.
                invoice_date=date(2020, 1, 1) + timedelta(days=8 * number),
                net_amount=Decimal("125.00"),
                tax_amount=Decimal("23.75"),
                total_amount=Decimal("148.75"),
                po_number=f"45{po:08}",
            )
            InvoiceLine.objects.create(
                invoice=invoice,
                position=1,
                item_code=f"A-{po}-1",
                description="Article 1",
                quantity=Decimal(10),
                unit_price=Decimal("12.50"),
                amount=Decimal("125.00"),
                tax_rate=Decimal(19),
            )
            invoices.append(invoice)
        start = time.perf_counter()
        for invoice in invoices:
            match_invoice(invoice)
        elapsed = time.perf_counter() - start
        matched = Invoice.objects.filter(status=Status.MATCHED).count()
        print(
            f"\nThe matching stage on {connection.vendor} (10,000 PO lines, {count} invoices; "
            f"loading, recording, audit): {count / elapsed:,.0f} invoices/s, "
            f"{matched} of {count} matched"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        del test_db


if __name__ == "__main__":
    main()
