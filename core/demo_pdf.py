"""Text-layer PDF invoices for the demo inbox and tests, in three visibly different layouts.

Deterministic byte for byte, like the XML in core/demo_documents.py.
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from fpdf import FPDF

from core.demo_documents import EURO, LAYOUTS, DemoInvoice, _address_lines


def pdf_invoice(
    inv: DemoInvoice, layout: str = "classic", attachment: tuple[str, bytes] | None = None
) -> bytes:
    """A PDF invoice with a text layer, in one of LAYOUTS; with `attachment` (name, XML) it
    carries its e-invoice inside, as Factur-X and ZUGFeRD PDFs do."""
    draw = {"classic": _classic, "german": _german, "modern": _modern}.get(layout)
    if draw is None:
        raise ValueError(f"Unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    pdf = FPDF(format="A4", unit="mm")
    # cp1252 puts € into the core fonts, so Helvetica can print euro amounts.
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_creation_date(datetime(2026, 1, 1, tzinfo=UTC))
    pdf.set_title(f"Invoice {inv.invoice_number}")
    pdf.set_author(inv.vendor_name)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    draw(pdf, inv)
    if attachment:
        name, xml = attachment
        pdf.embed_file(
            bytes=xml,
            basename=name,
            modification_date=datetime(2026, 1, 1, tzinfo=UTC),
            mime_type="text/xml",
            associated_file_relationship="Alternative",
        )
    return bytes(pdf.output())


def _classic(pdf: FPDF, inv: DemoInvoice) -> None:
    """English, labels left of values, dd/mm/yyyy (ISO for dollar invoices), 1,234.56."""
    day = date.isoformat if inv.currency == "USD" else (lambda d: d.strftime("%d/%m/%Y"))
    _put(pdf, 15, 15, inv.vendor_name, size=18, style="B")
    address = [*_address_lines(inv.vendor_address), f"VAT ID: {inv.vendor_vat_id}"]
    _stack(pdf, 15, 24, address, size=9, step=4.5)
    _put(pdf, 120, 15, "INVOICE", size=22, style="B", w=75, align="R")
    info = [
        ("Invoice No:", inv.invoice_number),
        ("Invoice Date:", day(inv.invoice_date)),
        ("Due Date:", day(inv.due_date)),
        *([("PO Number:", inv.po_number)] if inv.po_number else []),
        ("Currency:", inv.currency),
    ]
    for row, (label, value) in enumerate(info):
        _put(pdf, 120, 50 + row * 6, label, style="B")
        _put(pdf, 155, 50 + row * 6, value, w=40, align="R")
    _put(pdf, 15, 50, "Bill To:", style="B")
    _stack(pdf, 15, 56, [inv.buyer_name, *_address_lines(inv.buyer_address)])
    columns = [("Item Code", 28), ("Description", 70), ("Qty", 15), ("Unit Price", 27)]
    columns += [("VAT", 15), ("Amount", 25)]
    rows = [
        [
            line.item_code,
            line.description,
            _number(line.quantity),
            _en(line.unit_price),
            f"{_number(line.tax_rate)}%",
            _en(line.amount),
        ]
        for line in inv.lines
    ]
    y = _table(pdf, 95, columns, rows, fill=(225, 225, 225))
    totals = [("Subtotal", _en(inv.net))]
    totals += [(f"VAT {_number(rate)}%", _en(tax)) for rate, (_, tax) in inv.tax_by_rate.items()]
    totals += [("Total", f"{inv.currency} {_en(inv.total)}")]
    y = _totals(pdf, y + 6, totals)
    _put(pdf, 15, y + 10, "Payment details", style="B")
    _stack(
        pdf,
        15,
        y + 16,
        [
            f"Bank transfer to IBAN: {_iban(inv.vendor_iban)}",
            f"Please quote {inv.invoice_number} with your payment.",
        ],
        size=9,
    )
    footer = f"{inv.vendor_name} \u00b7 {', '.join(_address_lines(inv.vendor_address))}"
    _put(pdf, 15, 282, footer, size=7, w=180, align="C", color=(110, 110, 110))


def _german(pdf: FPDF, inv: DemoInvoice) -> None:
    """German DIN-style letter: sender line, address window, Rechnungsnummer, 1.234,56 €."""
    address = _address_lines(inv.vendor_address)
    de = lambda value: _de(value, inv.currency)  # noqa: E731
    _put(pdf, 110, 15, inv.vendor_name, size=16, style="B", w=85, align="R")
    _stack(pdf, 110, 23, address, size=9, step=4.5, w=85, align="R")
    sender = " \u00b7 ".join([inv.vendor_name, *address])
    _put(pdf, 20, 45, sender, size=7, style="U")
    _stack(pdf, 20, 52, [inv.buyer_name, *_address_lines(inv.buyer_address)])
    info = [
        ("Rechnungsnummer:", inv.invoice_number),
        ("Rechnungsdatum:", inv.invoice_date.strftime("%d.%m.%Y")),
        ("Zahlbar bis:", inv.due_date.strftime("%d.%m.%Y")),
        *([("Bestellnummer:", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        _put(pdf, 120, 52 + row * 5.5, label, size=9)
        _put(pdf, 155, 52 + row * 5.5, value, size=9, w=40, align="R")
    _put(pdf, 20, 88, "Rechnung", size=16, style="B")
    _put(pdf, 20, 97, "Sehr geehrte Damen und Herren, wir berechnen Ihnen wie folgt:", size=9)
    columns = [("Pos.", 11), ("Art.-Nr.", 24), ("Bezeichnung", 60), ("Menge", 16)]
    columns += [("Einzelpreis", 25), ("MwSt.", 14), ("Gesamt", 25)]
    rows = [
        [
            str(number),
            line.item_code,
            line.description,
            _number(line.quantity, comma=True),
            de(line.unit_price),
            f"{_number(line.tax_rate, comma=True)} %",
            de(line.amount),
        ]
        for number, line in enumerate(inv.lines, start=1)
    ]
    y = _table(pdf, 105, columns, rows, x=20, size=9, rule=True)
    totals = [("Nettobetrag", de(inv.net))]
    totals += [
        (f"zzgl. MwSt. {_number(rate, comma=True)} %", de(tax))
        for rate, (_, tax) in inv.tax_by_rate.items()
    ]
    totals += [("Rechnungsbetrag", de(inv.total))]
    y = _totals(pdf, y + 6, totals, size=9)
    due = inv.due_date.strftime("%d.%m.%Y")
    text = f"Bitte \u00fcberweisen Sie den Betrag bis zum {due} unter Angabe der Rechnungsnummer."
    _put(pdf, 20, y + 10, text, size=9)
    grey = (90, 90, 90)
    _stack(pdf, 20, 272, [inv.vendor_name, *address], size=7, step=3.5, color=grey)
    tax_ids = [f"USt-IdNr.: {inv.vendor_vat_id}", f"Sitz: {address[-1] if address else ''}"]
    _stack(pdf, 85, 272, tax_ids, size=7, step=3.5, color=grey)
    bank = ["Bankverbindung", f"IBAN: {_iban(inv.vendor_iban)}"]
    _stack(pdf, 135, 272, bank, size=7, step=3.5, color=grey)


def _modern(pdf: FPDF, inv: DemoInvoice) -> None:
    """A header band, labels above values, "March 12, 2026", a totals box bottom right."""
    symbol = {"EUR": "\u20ac", "USD": "$", "GBP": "\u00a3"}.get(inv.currency, inv.currency + " ")
    money = lambda value: f"{symbol}{_en(value)}"  # noqa: E731
    day = lambda value: value.strftime("%B ") + f"{value.day}, {value.year}"  # noqa: E731
    pdf.set_fill_color(33, 47, 61)
    pdf.rect(0, 0, 210, 40, style="F")
    white = (255, 255, 255)
    _put(pdf, 15, 12, inv.vendor_name, size=20, style="B", color=white)
    address = ", ".join(_address_lines(inv.vendor_address))
    _put(pdf, 15, 24, address, size=9, color=(200, 210, 220))
    _put(pdf, 120, 12, "INVOICE", size=24, style="B", w=75, align="R", color=white)
    header = [
        ("Invoice Number", inv.invoice_number),
        ("Invoice Date", day(inv.invoice_date)),
        ("Due Date", day(inv.due_date)),
        *([("PO Number", inv.po_number)] if inv.po_number else []),
    ]
    for column, (label, value) in enumerate(header):
        _put(pdf, 15 + column * 47, 50, label, size=8, color=(120, 120, 120))
        _put(pdf, 15 + column * 47, 55, value, size=11, style="B")
    _put(pdf, 15, 70, "Billed To", size=8, color=(120, 120, 120))
    _stack(pdf, 15, 75, [inv.buyer_name, *_address_lines(inv.buyer_address)])
    _put(pdf, 120, 70, "From", size=8, color=(120, 120, 120))
    _stack(pdf, 120, 75, [inv.vendor_name, f"VAT ID {inv.vendor_vat_id}"])
    columns = [("Item", 30), ("Description", 75), ("Qty", 15), ("Unit price", 30), ("Amount", 30)]
    rows = [
        [
            line.item_code,
            line.description,
            _number(line.quantity),
            money(line.unit_price),
            money(line.amount),
        ]
        for line in inv.lines
    ]
    y = _table(pdf, 100, columns, rows, fill=(235, 240, 245), rule=True)
    totals = [("Subtotal", money(inv.net))]
    totals += [
        (f"Tax ({_number(rate)}%)", money(tax)) for rate, (_, tax) in inv.tax_by_rate.items()
    ]
    box_top = max(y + 8, 220)
    pdf.set_fill_color(235, 240, 245)
    pdf.rect(115, box_top, 80, 8 + 6 * (len(totals) + 1), style="F")
    y = _totals(pdf, box_top + 4, totals)
    _put(pdf, 120, y + 1, "Amount due", size=12, style="B")
    _put(pdf, 150, y + 1, money(inv.total), size=12, style="B", w=40, align="R")
    _put(pdf, 15, box_top, "Payment details", size=8, color=(120, 120, 120))
    payment = [f"IBAN {_iban(inv.vendor_iban)}", f"Please pay by {day(inv.due_date)}."]
    _stack(pdf, 15, box_top + 5, payment, size=9)


def _put(pdf, x, y, text, size=10, style="", w=0, align="L", color=(0, 0, 0)) -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.set_text_color(*color)
    pdf.set_xy(x, y)
    pdf.cell(w, size * 0.45, text, align=align)


def _stack(pdf, x, y, lines, size=10, step=5.0, **kwargs) -> None:
    for row, text in enumerate(lines):
        _put(pdf, x, y + row * step, text, size=size, **kwargs)


def _table(pdf, y, columns, rows, x=15, size=9, fill=None, rule=False) -> float:
    """Header and rows; numeric columns (all but the first two text ones) align right."""
    height = size * 0.75
    text_columns = 3 if columns[0][0] == "Pos." else 2
    pdf.set_font("Helvetica", "B", size)
    pdf.set_xy(x, y)
    if fill:
        pdf.set_fill_color(*fill)
    for index, (title, width) in enumerate(columns):
        align = "L" if index < text_columns else "R"
        pdf.cell(width, height, title, align=align, fill=bool(fill), border="B" if rule else 0)
    pdf.set_font("Helvetica", "", size)
    for row in rows:
        y += height
        if y > 250:  # a long invoice continues on the next page
            pdf.add_page()
            y = 20
        pdf.set_xy(x, y)
        for index, (text, (_, width)) in enumerate(zip(row, columns, strict=True)):
            pdf.cell(width, height, text, align="L" if index < text_columns else "R")
    return y + height


def _totals(pdf, y, rows, size=10) -> float:
    for label, value in rows:
        style = "B" if label in ("Total", "Rechnungsbetrag") else ""
        _put(pdf, 120, y, label, size=size, style=style)
        _put(pdf, 150, y, value, size=size, style=style, w=40, align="R")
        y += 6
    return y


def _en(value: Decimal) -> str:
    places = max(2, -value.as_tuple().exponent)
    return f"{value:,.{places}f}"


def _de(value: Decimal, currency: str = "EUR") -> str:
    german = _en(value).replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{german} {EURO if currency == 'EUR' else currency}"


def _number(value: Decimal, comma: bool = False) -> str:
    whole = value == value.to_integral_value()
    text = str(value.quantize(Decimal(1))) if whole else str(value)
    return text.replace(".", ",") if comma else text


def _iban(iban: str) -> str:
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
