"""The demo company: master data, one user per role, and an inbox of invoice files the
project generates itself (UBL, CII and text-layer PDFs in several layouts).

Everything here is idempotent: running it twice changes nothing and the generated files
are byte-identical, so the second `make run` finds every file "already received".
"""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction

from approvals import trust
from core.demo_documents import DemoInvoice, DemoLine, cii_xml, ubl_xml
from core.demo_pdf import pdf_invoice
from core.exchange_rates import import_rates
from core.models import (
    AutomationLevel,
    GoodsReceipt,
    GoodsReceiptLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)

DEMO_PASSWORD = "ledgerline-demo"  # noqa: S105  (printed for the demo; never a real account)
DEMO_USERS = [
    ("clara", "Clara Clerk", "clerk"),
    ("arnold", "Arnold Approver", "approver"),
    ("connie", "Connie Compliance", "compliance"),
    ("ada", "Ada Admin", "admin"),
]
BUYER = "Northwind Manufacturing Ltd"

VENDORS = [
    # external id, name, VAT id, IBAN, address
    (
        "V-1001",
        "Acme Office Supplies GmbH",
        "DE123456789",
        "DE89370400440532013000",
        "Hauptstraße 1, 10115 Berlin, DE",
    ),
    (
        "V-1002",
        "Nordlicht Logistik AG",
        "DE811907980",
        "DE02120300000000202051",
        "Hafenweg 12, 20457 Hamburg, DE",
    ),
    (
        "V-1003",
        "Lumière Équipements SARL",
        "FR40303265045",
        "FR1420041010050500013M02606",
        "12 rue de la Paix, 75002 Paris, FR",
    ),
    (
        "V-1004",
        "Brightline Software Ltd",
        "GB980780684",
        "GB33BUKB20201555555555",
        "1 King Street, Manchester M2 4WU, GB",
    ),
]

# PO number, vendor, lines (item code, description, quantity, unit price, tax %), received?
PURCHASE_ORDERS = [
    (
        "4500001",
        "V-1001",
        [
            ("P-100", "Printer paper A4, 5 reams", 40, "24.90", 19),
            ("T-220", "Toner cartridge black", 6, "89.00", 19),
        ],
        True,
    ),
    ("4500002", "V-1002", [("FR-01", "Freight Hamburg to Munich, pallet", 8, "145.00", 19)], True),
    (
        "4500003",
        "V-1003",
        [
            ("EQ-7", "Workbench, steel, 2 m", 4, "1450.00", 20),
            ("EQ-9", "Tool cabinet", 2, "980.00", 20),
        ],
        True,
    ),
    ("4500004", "V-1001", [("C-330", "Office chair, ergonomic", 10, "219.00", 19)], True),
    ("4500005", "V-1002", [("WH-2", "Warehouse storage, pallet-month", 30, "18.50", 19)], False),
    ("4500006", "V-1001", [("D-410", "Standing desk, 160 cm", 3, "489.00", 19)], True),
    ("4500007", "V-1002", [("FR-02", "Freight Hamburg to Berlin, pallet", 5, "120.00", 19)], True),
]


def _line(code, description, qty, price, rate) -> DemoLine:
    return DemoLine(code, description, Decimal(qty), Decimal(price), Decimal(rate))


def _invoice(vendor_id: str, number: str, po: str, lines, day: int, currency="EUR") -> DemoInvoice:
    _, name, vat, iban, address = next(v for v in VENDORS if v[0] == vendor_id)
    return DemoInvoice(
        vendor_name=name,
        vendor_vat_id=vat,
        vendor_iban=iban,
        vendor_address=address,
        buyer_name=BUYER,
        invoice_number=number,
        invoice_date=date(2026, 11, day),
        due_date=date(2026, 12, day),
        currency=currency,
        po_number=po,
        lines=[_line(*line) for line in lines],
    )


def inbox_documents() -> list[tuple[str, bytes]]:
    """(file name, bytes) of the demo inbox, in arrival order. What each should become is
    in its name: clean ones post, the rest show one exception each."""
    acme = _invoice("V-1001", "AC-2026-1187", "4500001", PURCHASE_ORDERS[0][2], 3)
    nordlicht = _invoice("V-1002", "NL-558201", "PO 4500002", PURCHASE_ORDERS[1][2], 4)
    lumiere = _invoice("V-1003", "F-2026-0419", "4500003", PURCHASE_ORDERS[2][2], 5)
    chairs = _invoice(
        "V-1001",
        "AC-2026-1203",
        "4500004",
        [("C-330", "Office chair, ergonomic", 10, "234.00", 19)],
        9,
    )
    unknown_po = _invoice(
        "V-1004",
        "BL-90017",
        "4509999",
        [("LIC-1", "Analytics licence, annual", 1, "1200.00", 20)],
        10,
    )
    storage = _invoice("V-1002", "NL-558377", "4500005", PURCHASE_ORDERS[4][2], 12)
    non_po = _invoice("V-1004", "BL-90018", "", [("SUP-1", "Support hours", 6, "95.00", 20)], 13)
    desks = _invoice("V-1001", "AC-2026-1250", "4500006", PURCHASE_ORDERS[5][2], 16)
    freight = _invoice("V-1002", "NL-558460", "4500007", PURCHASE_ORDERS[6][2], 17)
    good_pdf = pdf_invoice(acme, "classic")
    return [
        ("01-acme-ubl-clean.xml", ubl_xml(acme)),
        ("02-nordlicht-cii-clean.xml", cii_xml(nordlicht)),
        ("03-lumiere-pdf-above-limit.pdf", pdf_invoice(lumiere, "modern")),
        ("04-acme-pdf-price-difference.pdf", pdf_invoice(chairs, "german")),
        ("05-brightline-pdf-unknown-po.pdf", pdf_invoice(unknown_po, "classic")),
        ("06-nordlicht-ubl-not-received.xml", ubl_xml(storage)),
        ("07-brightline-pdf-non-po.pdf", pdf_invoice(non_po, "modern")),
        ("08-acme-pdf-duplicate-of-01.pdf", good_pdf),
        ("09-acme-ubl-resent-copy-of-01.xml", ubl_xml(acme)),  # same bytes as 01
        ("10-damaged-truncated.pdf", good_pdf[: len(good_pdf) // 3]),
        (
            "11-acme-facturx-clean.pdf",
            pdf_invoice(desks, "modern", ("factur-x.xml", cii_xml(desks))),
        ),
        ("12-nordlicht-scan.jpg", scanned_page(pdf_invoice(freight, "classic"))),
    ]


def scanned_page(pdf: bytes) -> bytes:
    """The first page as a 200 dpi greyscale JPEG, as an office scanner would send it."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=200 / 72).to_pil().convert("L")
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, dpi=(200, 200))
    return out.getvalue()


# Exchange rates of the demo (ECB euro reference rates, units per 1 EUR, as of the dates
# given), seeded through the same import as `manage.py import_exchange_rates` so that
# invoices in these currencies are routed with a dated rate that the invoice names.
EXCHANGE_RATES_PER_EUR = [
    (date(2026, 10, 30), {"USD": "1.0856", "GBP": "0.8335", "CHF": "0.9384", "JPY": "163.74"}),
    (date(2026, 11, 27), {"USD": "1.0566", "GBP": "0.8342", "CHF": "0.9309", "JPY": "161.57"}),
]


def seed_exchange_rates() -> None:
    """The demo's reference rates (EXCHANGE_RATES_PER_EUR) as ExchangeRate rows against
    the company currency (cross rates when it is not EUR); unchanged on a second run."""
    codes = sorted({code for _, day_rates in EXCHANGE_RATES_PER_EUR for code in day_rates})
    lines = ["Date," + ",".join(codes)]
    for day, day_rates in EXCHANGE_RATES_PER_EUR:
        lines.append(",".join([day.isoformat(), *(day_rates.get(c, "N/A") for c in codes)]))
    import_rates(
        "\n".join(lines) + "\n",
        name="demo",
        actor="system:demo",
        source="Demo data: ECB euro reference rates",
    )


def demo_inbox_dir() -> Path:
    return settings.VAR_DIR / "demo" / "inbox"


@transaction.atomic
def seed_master_data() -> None:
    for username, full_name, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": full_name.split()[0],
                "last_name": full_name.split()[1],
                "email": f"{username}@demo.invalid",
                "is_staff": role == "admin",
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        user.groups.add(Group.objects.get(name=role))
    for external_id, name, vat, iban, address in VENDORS:
        vendor, created = Vendor.objects.get_or_create(
            external_id=external_id,
            defaults={"name": name, "vat_id": vat, "iban": iban, "address": address},
        )
        if created:
            trust.onboard(
                vendor,
                AutomationLevel.AUTO,
                actor="system:demo",
                reason="Demo data: an established vendor with a clean record in the old system",
            )
    for number, vendor_id, lines, received in PURCHASE_ORDERS:
        po, created = PurchaseOrder.objects.get_or_create(
            number=number,
            defaults={
                "vendor": Vendor.objects.get(external_id=vendor_id),
                "currency": "EUR",
                "order_date": date(2026, 10, 20),
            },
        )
        if not created:
            continue
        for line_no, (code, description, qty, price, rate) in enumerate(lines, start=1):
            po_line = PurchaseOrderLine.objects.create(
                purchase_order=po,
                line_no=line_no,
                item_code=code,
                description=description,
                quantity=Decimal(qty),
                unit_price=Decimal(price),
                tax_rate=Decimal(rate),
            )
            if received:
                receipt, _ = GoodsReceipt.objects.get_or_create(
                    number=f"GR-{number}",
                    purchase_order=po,
                    defaults={"received_on": date(2026, 10, 28)},
                )
                GoodsReceiptLine.objects.create(
                    receipt=receipt, po_line=po_line, quantity=po_line.quantity
                )
    seed_exchange_rates()


def write_inbox() -> list[Path]:
    folder = demo_inbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in inbox_documents():
        path = folder / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        paths.append(path)
    return paths
