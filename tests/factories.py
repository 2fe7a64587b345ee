"""Small builders for the domain; each returns saved objects with sensible defaults."""

from datetime import UTC, date, datetime
from decimal import Decimal

from fpdf import FPDF

from core.demo_documents import DemoInvoice, DemoLine
from core.models import (
    Document,
    GoodsReceipt,
    GoodsReceiptLine,
    Invoice,
    InvoiceException,
    PurchaseOrder,
    PurchaseOrderLine,
    Status,
    Vendor,
)
from extraction.layout import Word


def make_vendor(**overrides) -> Vendor:
    values = {
        "name": "Acme Office Supplies GmbH",
        "vat_id": "DE123456789",
        "iban": "DE89370400440532013000",
        "address": "Hauptstr. 1, 10115 Berlin",
        "external_id": "V-1001",
        "currency": "EUR",
        # An established vendor: matched invoices under the limit go straight through.
        # New vendors start at manual (the model's default); the ladder tests start there.
        "automation_level": "auto",
    }
    values.update(overrides)
    return Vendor.objects.create(**values)


def make_purchase_order(vendor: Vendor, number="4500001", lines=None, received=True, **kw):
    """A PO with lines [(item_code, description, quantity, unit_price, tax_rate)], fully
    received unless `received` is False."""
    po = PurchaseOrder.objects.create(
        number=number,
        vendor=vendor,
        currency=kw.get("currency", "EUR"),
        order_date=kw.get("order_date", date(2026, 10, 1)),
        status=kw.get("status", PurchaseOrder.Status.OPEN),
    )
    lines = lines or [("P-100", "Printer paper A4, box", "10", "25.00", "19")]
    po_lines = [
        PurchaseOrderLine.objects.create(
            purchase_order=po,
            line_no=n,
            item_code=code,
            description=description,
            quantity=Decimal(qty),
            unit_price=Decimal(price),
            tax_rate=Decimal(rate),
        )
        for n, (code, description, qty, price, rate) in enumerate(lines, start=1)
    ]
    if received:
        receipt = GoodsReceipt.objects.create(
            number=f"GR-{number}", purchase_order=po, received_on=date(2026, 10, 5)
        )
        for line in po_lines:
            GoodsReceiptLine.objects.create(receipt=receipt, po_line=line, quantity=line.quantity)
    return po


def demo_invoice(vendor: Vendor | None = None, **overrides) -> DemoInvoice:
    """An invoice document matching make_purchase_order()'s defaults."""
    values = {
        "vendor_name": vendor.name if vendor else "Acme Office Supplies GmbH",
        "vendor_vat_id": vendor.vat_id if vendor else "DE123456789",
        "vendor_iban": vendor.iban if vendor else "DE89370400440532013000",
        "vendor_address": "Hauptstr. 1, 10115 Berlin",
        "buyer_name": "Northwind Manufacturing Ltd",
        "invoice_number": "INV-2026-0001",
        "invoice_date": date(2026, 10, 10),
        "due_date": date(2026, 11, 9),
        "currency": "EUR",
        "po_number": "4500001",
        "lines": [
            DemoLine("P-100", "Printer paper A4, box", Decimal(10), Decimal("25.00"), Decimal(19))
        ],
    }
    values.update(overrides)
    return DemoInvoice(**values)


def make_queue(count, *, status=Status.NEEDS_REVIEW, code="PRICE_VARIANCE", vendor=None,
               amount=None):  # fmt: skip
    """`count` invoices waiting in the queue, made in bulk (no pipeline)."""
    vendor = (
        vendor or Vendor.objects.filter(name="Acme Office Supplies GmbH").first() or make_vendor()
    )
    start = Document.objects.count()
    documents = Document.objects.bulk_create(
        Document(original_name=f"q{n}.pdf", sha256=f"{n:064x}", size=1, file=f"q/{n}.pdf",
                 content_type="application/pdf", channel="upload")
        for n in range(start, start + count)
    )  # fmt: skip
    invoices = Invoice.objects.bulk_create(
        Invoice(
            document=document,
            status=status,
            vendor=vendor,
            vendor_name=vendor.name,
            invoice_number=f"Q-{document.pk}",
            currency="EUR",
            # What the ERP needs to book it: net and tax that add up to the total.
            net_amount=amount if amount is not None else Decimal(100 + document.pk),
            tax_amount=Decimal(0),
            total_amount=amount if amount is not None else Decimal(100 + document.pk),
        )
        for document in documents
    )
    if code:
        InvoiceException.objects.bulk_create(
            InvoiceException(invoice=invoice, code=code, message=f"{code} on {invoice.pk}")
            for invoice in invoices
        )
    return invoices


def page(*rows, size=10.0) -> list[Word]:
    """Positioned words from rows of (y, (x, text), ...): each phrase's words are laid out a
    space apart on page 1, `size` points high, as a text layer would give them."""
    words = []
    for y, *cells in rows:
        for x, text in cells:
            for token in text.split():
                width = len(token) * size * 0.5
                words.append(Word(token, 1, x, y, x + width, y + size))
                x += width + size * 0.28
    return words


def long_itemised_pdf(pages: int, rows: int = 50) -> bytes:
    """A text PDF of `pages` pages of line items, each with a unit price and an amount."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_font("Helvetica", "", 8)
    item = 0
    for _ in range(pages):
        pdf.add_page()
        pdf.text(15, 12, "Telco Services AG - Invoice TS-2026-77")
        for row in range(rows):
            y = 20 + row * 5
            item += 1
            for x, text in (
                (15, f"Line {item:05d}"),
                (60, f"Call to +49 30 {1000 + item}"),
                (140, f"{(item * 37) % 9000 + 1},{item % 100:02d}"),
                (175, f"{(item * 53) % 90000 + 1},{(item * 7) % 100:02d}"),
            ):
                pdf.text(x, y, text)
    return bytes(pdf.output())
