"""German-language corpus layouts: vendor block on the right, a bordered table with totals
in a box, a logo with a bank footer, and a Swiss invoice with a payment slip.
"""

import random

from core.demo_documents import EURO, DemoInvoice
from tests.corpus.render import (
    address_lines,
    amount,
    day,
    grid,
    new_pdf,
    printed_vat_id,
    put,
    quantity,
    spaced_iban,
    stack,
)


def _euro(value, currency: str, style: str = "de") -> str:
    sign = EURO if currency == "EUR" else currency
    return f"{amount(value, style)} {sign}"


def right_vendor(inv: DemoInvoice, rng: random.Random) -> bytes:
    """Vendor block right-aligned, "Rechnung Nr." as the title, Netto / USt. / Brutto."""
    pdf = new_pdf(inv)
    money = lambda value: _euro(value, inv.currency)  # noqa: E731
    vendor = [*address_lines(inv.vendor_address), f"Tel. +49 {rng.randint(30, 999)} 1234-0"]
    vendor += [f"USt-IdNr. {inv.vendor_vat_id}"]
    put(pdf, 100, 14, inv.vendor_name, size=13, style="B", w=95, align="R")
    stack(pdf, 100, 21, vendor, size=8, step=4, w=95, align="R")
    put(pdf, 20, 48, "Rechnungsempfänger", size=7, color=(110, 110, 110))
    stack(pdf, 20, 53, [inv.buyer_name, *inv.buyer_address.split(", ")], size=10)
    put(pdf, 20, 82, f"Rechnung Nr. {inv.invoice_number}", size=14, style="B")
    info = [
        ("Datum:", day(inv.invoice_date, "dmy.")),
        ("Leistungsdatum:", day(inv.invoice_date.replace(day=1), "dmy.")),
        ("Kundennr.:", str(rng.randint(10000, 99999))),
        *([("Ihre Bestellung:", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 130, 52 + row * 5, label, size=9)
        put(pdf, 160, 52 + row * 5, value, size=9, w=35, align="R")
    columns = [("Pos", 12, "L"), ("Bezeichnung", 74, "L"), ("Menge", 18, "R")]
    columns += [("Einheit", 16, "L"), ("Preis", 27, "R"), ("Betrag", 28, "R")]
    rows = [
        [str(n), line.description, quantity(line.quantity, "de"), "Stk.",
         amount(line.unit_price, "de"), amount(line.amount, "de")]
        for n, line in enumerate(inv.lines, start=1)
    ]  # fmt: skip
    y = grid(pdf, 20, 95, columns, rows, size=9, height=6, border="B")
    totals = [("Netto", money(inv.net))]
    totals += [
        (f"USt. {quantity(rate, 'de')} %", money(tax)) for rate, (_, tax) in inv.tax_by_rate.items()
    ]
    totals += [("Brutto", money(inv.total))]
    for row, (label, value) in enumerate(totals):
        bold = "B" if label == "Brutto" else ""
        put(pdf, 125, y + 4 + row * 5.5, label, size=10, style=bold)
        put(pdf, 155, y + 4 + row * 5.5, value, size=10, style=bold, w=40, align="R")
    y += 10 + 5.5 * len(totals)
    terms = f"Zahlbar ohne Abzug bis zum {day(inv.due_date, 'dmy.')}."
    stack(pdf, 20, y, [terms, f"IBAN: {spaced_iban(inv.vendor_iban)}"], size=9)
    return bytes(pdf.output())


def bordered_box(inv: DemoInvoice, rng: random.Random) -> bytes:
    """Full grid table, "12. März 2026", Rechnungs-Nr. / Bestell-Nr., totals in a drawn box."""
    pdf = new_pdf(inv)
    money = lambda value: amount(value, "de")  # noqa: E731
    put(pdf, 20, 15, inv.vendor_name, size=15, style="B")
    stack(pdf, 20, 22, address_lines(inv.vendor_address), size=9, step=4.2)
    put(pdf, 20, 45, "RECHNUNG", size=20, style="B", color=(150, 30, 30))
    put(pdf, 120, 45, "An:", size=8, color=(110, 110, 110))
    stack(pdf, 120, 50, [inv.buyer_name, *inv.buyer_address.split(", ")], size=9, step=4.2)
    info = [
        ("Rechnungs-Nr.", inv.invoice_number),
        ("Rechnungsdatum", day(inv.invoice_date, "de")),
        ("Fälligkeitsdatum", day(inv.due_date, "de")),
        ("Bestell-Nr.", inv.po_number or "keine"),
    ]
    grid(pdf, 20, 70, [("", 40, "L"), ("", 45, "L")], info[:2], size=9, height=6)
    grid(pdf, 110, 70, [("", 40, "L"), ("", 45, "L")], info[2:], size=9, height=6)
    columns = [("Art.-Nr.", 26, "L"), ("Artikel", 62, "L"), ("Anzahl", 18, "R")]
    columns += [("E-Preis", 25, "R"), ("MwSt.", 14, "R"), ("Summe", 25, "R")]
    rows = [
        [line.item_code, line.description, quantity(line.quantity, "de"),
         money(line.unit_price), f"{quantity(line.tax_rate, 'de')}%", money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 20, 92, columns, rows, size=9, height=7, header_fill=(235, 235, 235))
    totals = [("Summe netto", money(inv.net))]
    totals += [
        (f"MwSt. {quantity(rate, 'de')}% auf {money(base)}", money(tax))
        for rate, (base, tax) in inv.tax_by_rate.items()
    ]
    totals += [(f"Gesamtbetrag {inv.currency}", money(inv.total))]
    box_top = y + 8
    pdf.set_draw_color(150, 30, 30)
    pdf.set_line_width(0.6)
    pdf.rect(100, box_top, 90, 6 + 6 * len(totals))
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)
    for row, (label, value) in enumerate(totals):
        bold = "B" if row == len(totals) - 1 else ""
        put(pdf, 104, box_top + 4 + row * 6, label, size=9, style=bold)
        put(pdf, 150, box_top + 4 + row * 6, value, size=9, style=bold, w=36, align="R")
    footer = [
        f"{inv.vendor_name} | USt-IdNr.: {printed_vat_id(inv.vendor_vat_id)}",
        f"IBAN {spaced_iban(inv.vendor_iban)} | BIC {_bic(rng)}",
    ]
    stack(pdf, 20, 278, footer, size=7, step=3.5, w=170, align="C", color=(90, 90, 90))
    return bytes(pdf.output())


def logo_footer(inv: DemoInvoice, rng: random.Random) -> bytes:
    """A drawn logo with initials, the vendor only in small type, a three-column footer."""
    pdf = new_pdf(inv)
    pdf.set_fill_color(rng.randint(0, 120), rng.randint(60, 160), rng.randint(100, 200))
    pdf.rect(20, 12, 22, 22, style="F")
    initials = "".join(word[0] for word in inv.vendor_name.split()[:2]).upper()
    put(pdf, 20, 20, initials, size=18, style="B", w=22, align="C", color=(255, 255, 255))
    put(pdf, 46, 17, inv.vendor_name, size=11, style="B")
    put(pdf, 46, 23, "Qualität seit 1987", size=8, style="I", color=(100, 100, 100))
    sender = f"{inv.vendor_name} - {' - '.join(address_lines(inv.vendor_address))}"
    put(pdf, 20, 46, sender, size=6, color=(100, 100, 100))
    stack(pdf, 20, 51, [inv.buyer_name, *inv.buyer_address.split(", ")], size=10)
    info = [
        ("Rechnungsnummer", inv.invoice_number),
        ("Datum", day(inv.invoice_date, "dmy.")),
        ("Lieferdatum", day(inv.invoice_date.replace(day=1), "dmy.")),
        ("Kunden-Nr.", f"K{rng.randint(1000, 9999)}"),
        *([("Ihre Bestellnummer", inv.po_number)] if inv.po_number else []),
        ("Fällig am", day(inv.due_date, "dmy.")),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 125, 46 + row * 5, label, size=9, color=(80, 80, 80))
        put(pdf, 160, 46 + row * 5, value, size=9, w=35, align="R")
    put(pdf, 20, 88, "Rechnung", size=15, style="B")
    columns = [("Menge", 18, "R"), ("Beschreibung", 84, "L"), ("Einzelpreis", 26, "R")]
    columns += [("USt.", 14, "R"), ("Gesamtpreis", 28, "R")]
    rows = [
        [quantity(line.quantity, "de"), line.description, _euro(line.unit_price, inv.currency),
         f"{quantity(line.tax_rate, 'de')} %", _euro(line.amount, inv.currency)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 20, 97, columns, rows, size=9, height=6, border=0, header_fill=(240, 240, 240))
    pdf.line(20, y + 1, 190, y + 1)
    totals = [("Zwischensumme", _euro(inv.net, inv.currency))]
    totals += [
        (f"zzgl. {quantity(rate, 'de')} % USt.", _euro(tax, inv.currency))
        for rate, (_, tax) in inv.tax_by_rate.items()
    ]
    totals += [("Endbetrag", _euro(inv.total, inv.currency))]
    for row, (label, value) in enumerate(totals):
        bold = "B" if label == "Endbetrag" else ""
        put(pdf, 120, y + 5 + row * 5.5, label, size=10, style=bold)
        put(pdf, 155, y + 5 + row * 5.5, value, size=10, style=bold, w=35, align="R")
    pdf.line(20, 270, 190, 270)
    grey = (90, 90, 90)
    court = (
        f"Amtsgericht {rng.choice(['Köln', 'München', 'Hamburg'])} HRB {rng.randint(1000, 99999)}"
    )
    company = [inv.vendor_name, *address_lines(inv.vendor_address), court]
    stack(pdf, 20, 273, company, size=7, step=3.3, color=grey)
    tax = ["Geschäftsführer: M. Schmidt", f"USt-IdNr.: {inv.vendor_vat_id}"]
    stack(pdf, 80, 273, tax, size=7, step=3.3, color=grey)
    bank = [f"{rng.choice(['Sparkasse', 'Volksbank', 'Commerzbank'])}", f"IBAN {inv.vendor_iban}"]
    bank += [f"BIC {_bic(rng)}"]
    stack(pdf, 135, 273, bank, size=7, step=3.3, color=grey)
    return bytes(pdf.output())


def swiss(inv: DemoInvoice, rng: random.Random) -> bytes:
    """Swiss German: CHF 1'234.50, MWST with the base, a payment slip at the foot."""
    pdf = new_pdf(inv)
    money = lambda value: amount(value, "ch")  # noqa: E731
    put(pdf, 20, 15, inv.vendor_name, size=14, style="B")
    details = [*address_lines(inv.vendor_address), f"MWST-Nr. {printed_vat_id(inv.vendor_vat_id)}"]
    stack(pdf, 20, 22, details, size=9, step=4.2)
    stack(pdf, 120, 45, [inv.buyer_name, *inv.buyer_address.split(", ")], size=10)
    put(pdf, 20, 75, "Rechnung", size=16, style="B")
    info = [
        ("Rechnungsnummer", inv.invoice_number),
        ("Rechnungsdatum", day(inv.invoice_date, "dmy.")),
        ("Zahlbar bis", day(inv.due_date, "dmy.")),
        *([("Bestellnummer", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 20, 86 + row * 5, label, size=9)
        put(pdf, 60, 86 + row * 5, value, size=9)
    columns = [("Artikel", 24, "L"), ("Bezeichnung", 70, "L"), ("Menge", 16, "R")]
    columns += [("Preis CHF", 26, "R"), ("MWST", 14, "R"), ("Total CHF", 26, "R")]
    rows = [
        [line.item_code, line.description, quantity(line.quantity), money(line.unit_price),
         f"{quantity(line.tax_rate)}%", money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 20, 110, columns, rows, size=9, height=6, border="B")
    totals = [("Total exkl. MWST", money(inv.net))]
    totals += [
        (f"MWST {quantity(rate)}% von {money(base)}", money(tax))
        for rate, (base, tax) in inv.tax_by_rate.items()
    ]
    totals += [("Total CHF inkl. MWST", money(inv.total))]
    for row, (label, value) in enumerate(totals):
        bold = "B" if row == len(totals) - 1 else ""
        put(pdf, 100, y + 4 + row * 5.5, label, size=9, style=bold)
        put(pdf, 160, y + 4 + row * 5.5, value, size=9, style=bold, w=36, align="R")
    # The payment part of a QR-bill: its own receipt block, with the amount again.
    pdf.set_dash_pattern(dash=1, gap=1)
    pdf.line(0, 192, 210, 192)
    pdf.set_dash_pattern()
    put(pdf, 5, 197, "Empfangsschein", size=11, style="B")
    slip = ["Konto / Zahlbar an", spaced_iban(inv.vendor_iban), inv.vendor_name]
    stack(pdf, 5, 205, slip, size=8, step=3.8)
    stack(pdf, 5, 230, ["Währung   Betrag", f"CHF   {money(inv.total)}"], size=8, step=3.8)
    pdf.rect(67, 205, 46, 46)
    put(pdf, 67, 226, "QR", size=20, style="B", w=46, align="C", color=(200, 200, 200))
    put(pdf, 118, 197, "Zahlteil", size=11, style="B")
    stack(pdf, 118, 205, slip, size=8, step=3.8)
    return bytes(pdf.output())


def _bic(rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(rng.choice(letters) for _ in range(4)) + "DE" + rng.choice(["FF", "MM", "2X"])
