"""English corpus layouts: UK two-column, US compact, a wide landscape table, a receipt."""

import random

from core.demo_documents import DemoInvoice
from tests.corpus.render import (
    SYMBOLS,
    address_lines,
    amount,
    day,
    grid,
    new_pdf,
    put,
    quantity,
    spaced_iban,
    stack,
)


def two_column(inv: DemoInvoice, rng: random.Random) -> bytes:
    """UK style: vendor left, a bordered key/value block right, "12 March 2026", £1,234.56."""
    pdf = new_pdf(inv)
    date_style = rng.choice(["en", "d-mon-y", "dmy/"])
    symbol = SYMBOLS.get(inv.currency, inv.currency + " ")
    money = lambda value: f"{symbol}{amount(value, 'en')}"  # noqa: E731
    put(pdf, 15, 16, inv.vendor_name, size=16, style="B")
    details = [*address_lines(inv.vendor_address), f"VAT Reg. No. {inv.vendor_vat_id}"]
    stack(pdf, 15, 25, details, size=9, step=4.5)
    put(pdf, 15, 52, "Invoice to", size=9, style="B")
    stack(pdf, 15, 57, [inv.buyer_name, *inv.buyer_address.split(", ")], size=9, step=4.5)
    put(pdf, 118, 16, "Tax Invoice", size=18, style="B", w=77, align="R")
    rows = [
        ("Invoice #", inv.invoice_number),
        ("Invoice date", day(inv.invoice_date, date_style)),
        ("Payment due", day(inv.due_date, date_style)),
        *([("Your order ref.", inv.po_number)] if inv.po_number else []),
    ]
    grid(pdf, 118, 28, [("", 35, "L"), ("", 42, "R")], rows, size=9, height=6, border=0)
    pdf.rect(118, 34, 77, 6 * len(rows))
    columns = [("Description", 82, "L"), ("Qty", 16, "R"), ("Unit price", 28, "R")]
    columns += [("VAT", 16, "R"), ("Net", 38, "R")]
    lines = [
        [line.description, quantity(line.quantity), money(line.unit_price),
         f"{quantity(line.tax_rate)}%", money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 15, 85, columns, lines, header_fill=(220, 225, 235))
    totals = [("Net total", money(inv.net))]
    totals += [(f"VAT @ {quantity(r)}%", money(t)) for r, (_, t) in inv.tax_by_rate.items()]
    totals += [("Total due", money(inv.total))]
    for row, (label, value) in enumerate(totals):
        bold = "B" if label == "Total due" else ""
        put(pdf, 125, y + 5 + row * 6, label, size=10, style=bold)
        put(pdf, 160, y + 5 + row * 6, value, size=10, style=bold, w=35, align="R")
    y += 12 + 6 * len(totals)
    put(pdf, 15, y, "Payment terms: 30 days. Bank details:", size=9, style="B")
    sort_code = f"{rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    bank = [f"Sort code {sort_code}   IBAN {spaced_iban(inv.vendor_iban)}"]
    stack(pdf, 15, y + 5, bank, size=9)
    footer = f"{inv.vendor_name}. Registered in England and Wales No. {rng.randint(10**7, 10**8)}"
    put(pdf, 15, 285, footer, size=7, w=180, align="C", color=(100, 100, 100))
    return bytes(pdf.output())


def us_compact(inv: DemoInvoice, rng: random.Random) -> bytes:
    """US letter: mm/dd/yyyy, quantity first, "Sales Tax", "Balance Due", no IBAN or VAT."""
    pdf = new_pdf(inv, page=(215.9, 279.4))
    money = lambda value: f"${amount(value, 'en')}"  # noqa: E731
    put(pdf, 12, 12, inv.vendor_name.upper(), size=14, style="B")
    phone = f"({rng.randint(200, 999)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    stack(pdf, 12, 19, [*address_lines(inv.vendor_address), f"Phone {phone}"], size=8, step=3.8)
    put(pdf, 150, 12, "INVOICE", size=20, style="B", w=54, align="R", color=(40, 90, 160))
    info = [
        ("Invoice #:", inv.invoice_number),
        ("Date:", day(inv.invoice_date, "mdy/")),
        ("Terms:", f"Net {(inv.due_date - inv.invoice_date).days}"),
        ("Due Date:", day(inv.due_date, "mdy/")),
        *([("P.O. #:", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 150, 22 + row * 4.5, label, size=8, style="B")
        put(pdf, 172, 22 + row * 4.5, value, size=8, w=32, align="R")
    put(pdf, 12, 48, "BILL TO", size=8, style="B", color=(40, 90, 160))
    stack(pdf, 12, 52, [inv.buyer_name, *inv.buyer_address.split(", ")], size=8, step=3.8)
    put(pdf, 100, 48, "SHIP TO", size=8, style="B", color=(40, 90, 160))
    stack(pdf, 100, 52, [inv.buyer_name, "Receiving Dock 4"], size=8, step=3.8)
    columns = [("QTY", 14, "R"), ("ITEM #", 24, "L"), ("DESCRIPTION", 86, "L")]
    columns += [("UNIT PRICE", 34, "R"), ("LINE TOTAL", 34, "R")]
    rows = [
        [quantity(line.quantity), line.item_code, line.description, amount(line.unit_price, "en"),
         amount(line.amount, "en")]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 12, 72, columns, rows, size=8, height=5, header_fill=(40, 90, 160), border=0)
    pdf.line(12, y + 1, 204, y + 1)
    rate = next(iter(inv.tax_by_rate))  # US sales tax: one rate per invoice
    totals = [("Subtotal", money(inv.net)), (f"Sales Tax ({quantity(rate)}%)", money(inv.tax))]
    totals += [("Total", money(inv.total)), ("Balance Due", money(inv.total))]
    for row, (label, value) in enumerate(totals):
        put(pdf, 140, y + 4 + row * 5, label, size=9, style="B" if row == 3 else "")
        put(pdf, 172, y + 4 + row * 5, value, size=9, w=32, align="R")
    ein = f"EIN {rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"
    remit = [
        "Remit payment by ACH to:",
        f"ABA Routing {rng.randint(10**8, 10**9 - 1)}  Account {rng.randint(10**9, 10**10)}",
        ein,
    ]
    stack(pdf, 12, y + 4, remit, size=8, step=4)
    put(pdf, 12, 262, "Thank you for your business!", size=9, w=192, align="C", style="I")
    return bytes(pdf.output())


def wide_table(inv: DemoInvoice, rng: random.Random) -> bytes:
    """A4 landscape, ISO dates, a ten-column table with per-line VAT, EUR before the amount."""
    pdf = new_pdf(inv, orientation="L")
    style = rng.choice(["en", "de"])
    money = lambda value: amount(value, style)  # noqa: E731
    put(pdf, 15, 12, inv.vendor_name, size=15, style="B")
    line = " | ".join([*address_lines(inv.vendor_address), f"VAT {inv.vendor_vat_id}"])
    put(pdf, 15, 19, line, size=8, color=(80, 80, 80))
    put(pdf, 15, 30, "INVOICE", size=13, style="B")
    head = [
        ("Invoice number", inv.invoice_number),
        ("Invoice date", day(inv.invoice_date, "iso")),
        ("Due date", day(inv.due_date, "iso")),
        ("Purchase order", inv.po_number or "-"),
        ("Customer", inv.buyer_name),
    ]
    for column, (label, value) in enumerate(head):
        put(pdf, 15 + column * 52, 40, label, size=8, color=(90, 90, 90))
        put(pdf, 15 + column * 52, 45, value, size=10, style="B")
    columns = [("#", 10, "R"), ("Article", 28, "L"), ("Description", 80, "L"), ("Unit", 16, "L")]
    columns += [("Qty", 16, "R"), ("Unit price", 28, "R"), ("VAT %", 18, "R")]
    columns += [("VAT", 24, "R"), ("Net amount", 30, "R"), ("Curr.", 16, "L")]
    rows = []
    for number, item in enumerate(inv.lines, start=1):
        unit = "h" if item.quantity != item.quantity.to_integral_value() else "pcs"
        vat = (item.amount * item.tax_rate / 100).quantize(item.amount)
        rows.append(
            [str(number), item.item_code, item.description, unit, quantity(item.quantity, style),
             money(item.unit_price), quantity(item.tax_rate, style), money(vat),
             money(item.amount), inv.currency]
        )  # fmt: skip
    y = grid(pdf, 15, 58, columns, rows, size=8, height=6, header_fill=(210, 230, 220), border="B")
    totals = [("Total excl. VAT", money(inv.net))]
    totals += [
        (f"VAT {quantity(rate, style)}% on {money(base)}", money(tax))
        for rate, (base, tax) in inv.tax_by_rate.items()
    ]
    totals += [(f"Total incl. VAT ({inv.currency})", money(inv.total))]
    for row, (label, value) in enumerate(totals):
        put(pdf, 185, y + 5 + row * 6, label, size=9, style="B" if row == len(totals) - 1 else "")
        put(pdf, 250, y + 5 + row * 6, value, size=9, w=32, align="R")
    bank = f"Payment to {inv.vendor_name}, IBAN {spaced_iban(inv.vendor_iban)}"
    put(pdf, 15, y + 5, bank, size=8)
    put(pdf, 15, 195, "Page 1 of 1", size=7, w=267, align="R", color=(120, 120, 120))
    return bytes(pdf.output())


def receipt(inv: DemoInvoice, rng: random.Random) -> bytes:
    """A till-roll invoice 80 mm wide: centred header, each item on two lines, no bank."""
    height = 150 + 9 * len(inv.lines)
    pdf = new_pdf(inv, page=(80, height))
    font = "Courier"
    date_style = "mdy/" if inv.currency == "USD" else "dmy/"
    symbol = SYMBOLS.get(inv.currency, inv.currency + " ")
    put(pdf, 4, 6, inv.vendor_name, size=10, style="B", w=72, align="C", font=font)
    lines = [*address_lines(inv.vendor_address)]
    if inv.vendor_vat_id:
        lines.append(f"VAT No: {inv.vendor_vat_id}")
    stack(pdf, 4, 12, lines, size=7, step=3.4, w=72, align="C", font=font)
    y = 14 + 3.4 * len(lines)
    put(pdf, 4, y, "INVOICE / RECEIPT", size=9, style="B", w=72, align="C", font=font)
    clock = f"{rng.randint(8, 19):02d}:{rng.randint(0, 59):02d}"
    info = [
        f"Invoice No: {inv.invoice_number}",
        f"Date: {day(inv.invoice_date, date_style)}  {clock}",
        f"Due date: {day(inv.due_date, date_style)}",
        *([f"Order No: {inv.po_number}"] if inv.po_number else []),
    ]
    y = stack(pdf, 4, y + 6, info, size=7, step=3.4, font=font) + 1
    put(pdf, 4, y, "-" * 40, size=7, font=font)
    y += 4
    for item in inv.lines:
        put(pdf, 4, y, item.description, size=7, font=font)
        priced = f"  {quantity(item.quantity)} x {amount(item.unit_price, 'en')}"
        put(pdf, 4, y + 3.4, priced, size=7, font=font)
        put(pdf, 50, y + 3.4, amount(item.amount, "en"), size=7, w=26, align="R", font=font)
        y += 8
    put(pdf, 4, y, "-" * 40, size=7, font=font)
    totals = [("Subtotal", amount(inv.net, "en"))]
    totals += [(f"VAT {quantity(r)}%", amount(t, "en")) for r, (_, t) in inv.tax_by_rate.items()]
    totals += [(f"TOTAL {inv.currency}", f"{symbol}{amount(inv.total, 'en')}")]
    for row, (label, value) in enumerate(totals):
        bold = "B" if label.startswith("TOTAL") else ""
        put(pdf, 4, y + 4 + row * 4, label, size=8, style=bold, font=font)
        put(pdf, 40, y + 4 + row * 4, value, size=8, style=bold, w=36, align="R", font=font)
    y += 8 + 4 * len(totals)
    put(pdf, 4, y, "Paid by card ****" + str(rng.randint(1000, 9999)), size=7, font=font)
    put(pdf, 4, y + 6, "Thank you - please call again", size=7, w=72, align="C", font=font)
    return bytes(pdf.output())
