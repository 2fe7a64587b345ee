"""A held-out set of invoice layouts, for an out-of-sample accuracy figure.

The template-free extractor was tuned while looking at the main corpus (tests/corpus), so
its score there is in-sample. These layouts were written afterwards, without changing the
extractor, from the kinds of invoices a real AP mailbox receives and the main corpus lacks:

    nl-bilingual   Dutch/English "Factuur / Invoice", BTW, dd-mm-yyyy, "€ 1.234,56"
    fattura        Italian "Fattura n. ... del ...", P.IVA and C.F., Imponibile / IVA /
                   Totale documento (a language the extractor does not claim)
    uk-utility     a UK business energy bill: account number, bill date, service period,
                   meter readings, charges as a list (no table), "Amount payable"
    header-table   English; the header is a two-row table, labels above their values
    zahlungsziel   German: Rechnungs-Nr., Leistungsdatum, "Zahlungsziel: 14 Tage" (no due
                   date printed), right-aligned "Summe netto / zzgl. 19 % MwSt. /
                   Rechnungsbetrag", a Skonto sentence
    au-gst         Australian "Tax Invoice": ABN, "3rd March 2026", Subtotal / GST 10% /
                   Total AUD with "$" amounts, BSB and account instead of an IBAN
    multi-page     English; the line table runs onto page 2 with carried-forward and
                   brought-forward subtotals; totals only on page 2

`heldout_items()` returns CorpusItems (tests/corpus) scored by tests/corpus/scoring.py;
the same seed gives the same items byte for byte. Conventions for the ground truth: the
Australian ABN counts as the vendor's VAT id (it is the GST registration, and what an AP
clerk would key); where only payment terms are printed ("14 Tage"), the due date is the
invoice date plus those days; the utility bill's charges are its lines.
"""

import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from core.demo_documents import EURO, DemoInvoice, DemoLine
from tests.corpus import CorpusItem, parties, per_layout_items
from tests.corpus.render import (
    MONTHS,
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

HELDOUT_SEED = 4711
PER_LAYOUT = 3
D = Decimal

EXTRA_COUNTRIES = {
    "IT": parties.Country(
        "IT", "EUR", ("S.r.l.", "S.p.A.", "S.n.c."),
        ("Via Roma {n}", "Corso Buenos Aires {n}", "Via Giuseppe Garibaldi {n}"),
        ("20124 Milano", "00184 Roma", "10121 Torino", "40121 Bologna"),
        (D(22), D(10), D(4)), "A9999999999XXXXXXXXXXXX",
    ),
    "AU": parties.Country(
        "AU", "AUD", ("Pty Ltd", "Pty. Ltd."),
        ("{n} George Street", "{n} Collins Street", "Level {n}, 120 Ann Street"),
        ("Sydney NSW 2000", "Melbourne VIC 3000", "Brisbane QLD 4000", "Perth WA 6000"),
        (D(10),), "",
    ),
}  # fmt: skip
EXTRA_NAMES = {
    "IT": ("Forniture Rossi", "Officine Bianchi", "Tipografia Colombo", "Logistica Ferrari"),
    "UTIL": ("Northern Power", "Britannia Energy", "Severn Gas & Electric", "Crown Utilities"),
    "AU": ("Harbour City Supplies", "Southern Cross Electrical", "Wattle Office Co",
           "Outback Freight"),
}  # fmt: skip
EXTRA_ITEMS = {
    "it": ("Carta per fotocopie A4", "Toner nero", "Consulenza tecnica (ore)",
           "Guanti di protezione tg. 9", "Bulloni esagonali M8 x 40", "Canone software mensile",
           "Intervento tecnico in sede", "Fascette 300 mm", "Spese di trasporto",
           "Sedia ergonomica", "Docking station USB-C", "Prodotti per pulizia"),
    "nl": ("Kopieerpapier A4 / Copy paper A4", "Tonercartridge zwart / Black toner",
           "Advieswerkzaamheden (uren) / Consulting (hours)",
           "Werkhandschoenen mt. 9 / Work gloves", "Zeskantbouten M8 x 40 / Hex bolts",
           "Softwarelicentie / Software licence", "Servicebezoek / Service visit",
           "Tie-wraps 300 mm", "Verzendkosten / Shipping", "Bureaustoel / Office chair"),
}  # fmt: skip
PARTS = ("Hex bolt", "Flat washer", "Lock nut", "Cable tie", "Fuse", "Relay", "Ball bearing",
         "Gasket", "Hose clamp", "O-ring", "Terminal block", "Cable gland")  # fmt: skip
SIZES = ("M6", "M8", "M10", "M12", "12 mm", "20 mm", "5 A", "10 A", "DN25", "DN40")


@dataclass(frozen=True)
class HeldoutLayout:
    name: str
    language: str
    countries: tuple[str, ...]
    draw: Callable[[DemoInvoice, random.Random], bytes]


def heldout_items(seed: int = HELDOUT_SEED, per_layout: int = PER_LAYOUT) -> list[CorpusItem]:
    """per_layout invoices for each held-out layout, in layout order; deterministic."""
    return per_layout_items(
        f"heldout-{seed}",
        HELDOUT_LAYOUTS,
        per_layout,
        lambda layout, rng: MAKERS[layout.name](layout, rng),
    )


# --- ground truth ---------------------------------------------------------------------


def _spec(country: str) -> parties.Country:
    return EXTRA_COUNTRIES.get(country) or parties.COUNTRIES[country]


def _iban(country: str, rng: random.Random) -> str:
    return parties.iban(country, rng, _spec(country).bban)


def _vat_id(country: str, rng: random.Random) -> str:
    if country == "IT":  # Partita IVA: 10 digits and a Luhn-style check digit
        body = [rng.randint(0, 9) for _ in range(10)]
        total = 0
        for position, digit in enumerate(body):
            if position % 2:
                digit *= 2
                digit -= 9 if digit > 9 else 0
            total += digit
        return "IT" + "".join(map(str, body)) + str((10 - total % 10) % 10)
    if country == "AU":  # ABN: 11 digits, weighted sum (first digit less one) mod 89 == 0
        weights = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
        while True:
            digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(10)]
            check = (digits[0] - 1) * weights[0]
            check += sum(d * w for d, w in zip(digits[1:], weights[1:], strict=True))
            if check % 89 == 0:
                return "".join(map(str, digits))
    return parties.vat_id(country, rng)


def _vendor_name(country: str, rng: random.Random, stems=None) -> str:
    stems = stems or EXTRA_NAMES.get(country) or parties.NAME_STEMS[country]
    return f"{rng.choice(stems)} {rng.choice(_spec(country).legal_forms)}"


def _address(country: str, rng: random.Random) -> str:
    spec = _spec(country)
    return f"{rng.choice(spec.streets).format(n=rng.randint(1, 240))}\n{rng.choice(spec.cities)}"


def _lines(rng, descriptions, rates, hours_marks=("(hours)", "(Std.)", "(ore)", "(uren)")):
    lines = []
    for description in descriptions:
        quantity_ = D(rng.choice([1, 2, 3, 5, 8, 10, 12, 25, 40, 100]))
        if any(mark in description for mark in hours_marks):
            quantity_ = D(rng.choice(["1.5", "2.25", "4", "7.5", "16"]))
        price = D(rng.choice([rng.randint(99, 9_999), rng.randint(10_000, 250_000)])) / 100
        code = f"{rng.choice(['A', 'P', 'SKU', 'ART'])}-{rng.randint(10, 99_999)}"
        lines.append(DemoLine(code, description, quantity_, price, rng.choice(rates)))
    return lines


def _number(rng: random.Random, year: int) -> str:
    return rng.choice(
        [
            f"INV-{year}-{rng.randint(1, 9999):04d}",
            f"{rng.randint(100000, 999999)}",
            f"{year}-{rng.randint(1, 99999):05d}",
            f"{rng.choice('ABCDEFGHJK')}{rng.randint(10, 99)}-{rng.randint(1000, 99999)}",
        ]
    )


def _po(rng: random.Random, year: int, share: float = 0.6) -> str:
    if rng.random() >= share:
        return ""
    return rng.choice(
        [f"PO-{rng.randint(1000, 99999)}", f"45000{rng.randint(10000, 99999)}",
         f"BE-{year}-{rng.randint(1, 999)}", f"{rng.randint(10000, 999999)}"]
    )  # fmt: skip


def _invoice(layout, rng, *, descriptions=None, count=None, mixed=0.35, number=None,
             due_days=(14, 30, 30, 45, 60), po_share=0.6, iban=True, lines=None,
             names=None, buyers=None):  # fmt: skip
    country = rng.choice(layout.countries)
    spec = _spec(country)
    invoice_date = date(2025, 1, 1) + timedelta(days=rng.randint(0, 729))
    if lines is None:
        pool = descriptions or parties.ITEMS[layout.language]
        chosen = rng.sample(pool, k=count or rng.choice([1, 2, 2, 3, 3, 4, 5, 6]))
        rates = spec.tax_rates if rng.random() < mixed else spec.tax_rates[:1]
        lines = _lines(rng, chosen, rates)
    buyer_name, buyer_address = rng.choice(buyers or parties.BUYERS)
    return DemoInvoice(
        vendor_name=_vendor_name(country, rng, names),
        vendor_vat_id=_vat_id(country, rng),
        vendor_iban=_iban(country, rng) if iban else "",
        vendor_address=_address(country, rng),
        buyer_name=buyer_name,
        invoice_number=number(rng, invoice_date) if number else _number(rng, invoice_date.year),
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=rng.choice(due_days)),
        currency=spec.currency,
        po_number=_po(rng, invoice_date.year, po_share),
        lines=lines,
        buyer_address=buyer_address,
    )


def _make_default(layout, rng):
    return _invoice(layout, rng)


def _make_nl(layout, rng):
    return _invoice(layout, rng, descriptions=EXTRA_ITEMS["nl"])


def _make_fattura(layout, rng):
    def number(rng, when):
        return rng.choice(
            [f"{rng.randint(1, 999)}/{when.year}", f"{rng.randint(1, 999)}/A",
             f"FT{when.year % 100}-{rng.randint(1, 9999):04d}"]
        )  # fmt: skip

    return _invoice(layout, rng, descriptions=EXTRA_ITEMS["it"], number=number, po_share=0.5)


def _make_utility(layout, rng):
    """Charges of one quarter: standing charge, day (and night) units, Climate Change Levy."""
    days = rng.choice([28, 30, 31, 90, 91, 92])
    day_units = D(rng.randint(800, 40_000))
    lines = [DemoLine("", "Standing charge", D(days), D(rng.randint(3000, 9000)) / 10000, D(0))]
    lines.append(DemoLine("", "Day units", day_units, D(rng.randint(1900, 3200)) / 10000, D(0)))
    kwh = day_units
    if rng.random() < 0.6:
        night = D(rng.randint(300, 15_000))
        lines.append(DemoLine("", "Night units", night, D(rng.randint(1100, 1900)) / 10000, D(0)))
        kwh += night
    lines.append(DemoLine("", "Climate Change Levy", kwh, D("0.00775"), D(0)))
    rate = rng.choice([D(20), D(20), D(5)])
    lines = [DemoLine(line.item_code, line.description, line.quantity, line.unit_price, rate)
             for line in lines]  # fmt: skip
    return _invoice(
        layout,
        rng,
        lines=lines,
        due_days=(14, 14, 21),
        po_share=0.0,
        names=EXTRA_NAMES["UTIL"],
        buyers=parties.BUYERS[:1],  # a supply point in Great Britain
    )


def _make_zahlungsziel(layout, rng):
    return _invoice(layout, rng, due_days=(14, 14, 30, 30, 10))


def _make_au(layout, rng):
    def number(rng, when):
        return rng.choice([f"INV-{rng.randint(1, 99999):05d}", f"{rng.randint(10000, 99999)}"])

    return _invoice(layout, rng, number=number, iban=False, mixed=0.0, due_days=(7, 14, 30))


def _make_multi_page(layout, rng):
    combos = [f"{part} {size}" for part in PARTS for size in SIZES]
    return _invoice(layout, rng, descriptions=combos, count=rng.randint(34, 44), mixed=0.0)


# --- drawing --------------------------------------------------------------------------


def _buyer(inv: DemoInvoice) -> list[str]:
    return [inv.buyer_name, *inv.buyer_address.split(", ")]


def _totals_rows(pdf, rows, x_label, x_value, y, step, size=10, w=35, bold_last=True):
    for row, (label, value) in enumerate(rows):
        bold = "B" if bold_last and row == len(rows) - 1 else ""
        put(pdf, x_label, y + row * step, label, size=size, style=bold)
        put(pdf, x_value, y + row * step, value, size=size, style=bold, w=w, align="R")
    return y + len(rows) * step


def nl_bilingual(inv: DemoInvoice, rng: random.Random) -> bytes:
    """Dutch/English labels on every field, dd-mm-yyyy, "€ 1.234,56", KvK and BTW numbers."""
    pdf = new_pdf(inv)
    money = lambda value: f"{EURO} {amount(value, 'de')}"  # noqa: E731
    dmy = lambda value: f"{value:%d-%m-%Y}"  # noqa: E731
    put(pdf, 15, 14, inv.vendor_name, size=15, style="B", color=(230, 100, 0))
    vendor = [*address_lines(inv.vendor_address), f"KvK {rng.randint(10**7, 10**8 - 1)}"]
    vendor += [f"BTW-nr / VAT no.: {inv.vendor_vat_id}"]
    stack(pdf, 15, 22, vendor, size=8, step=4)
    put(pdf, 120, 14, "FACTUUR / INVOICE", size=16, style="B", w=75, align="R")
    stack(pdf, 15, 50, _buyer(inv), size=10)
    info = [
        ("Factuurnummer / Invoice number", inv.invoice_number),
        ("Factuurdatum / Invoice date", dmy(inv.invoice_date)),
        ("Vervaldatum / Due date", dmy(inv.due_date)),
        ("Klantnummer / Customer no.", f"C{rng.randint(10000, 99999)}"),
        *([("Uw referentie / Your reference", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 105, 48 + row * 5, f"{label}:", size=8)
        put(pdf, 160, 48 + row * 5, value, size=8, w=35, align="R")
    columns = [("Omschrijving / Description", 86, "L"), ("Aantal / Qty", 20, "R")]
    columns += [("Prijs / Price", 28, "R"), ("BTW %", 16, "R"), ("Bedrag / Amount", 30, "R")]
    rows = [
        [line.description, quantity(line.quantity, "de"), money(line.unit_price),
         f"{quantity(line.tax_rate, 'de')}%", money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 15, 86, columns, rows, size=8, height=6, header_fill=(250, 225, 200), border="B")
    totals = [("Subtotaal / Subtotal", money(inv.net))]
    totals += [
        (f"BTW / VAT {quantity(rate, 'de')}% over {money(base)}", money(tax))
        for rate, (base, tax) in inv.tax_by_rate.items()
    ]
    totals += [("Totaal / Total", money(inv.total))]
    y = _totals_rows(pdf, totals, 100, 160, y + 5, 5.5, size=9)
    terms = [
        f"Gelieve te betalen voor {dmy(inv.due_date)} op IBAN {spaced_iban(inv.vendor_iban)}",
        f"Please pay by {dmy(inv.due_date)} to IBAN {spaced_iban(inv.vendor_iban)}, "
        f"quoting {inv.invoice_number}.",
    ]
    stack(pdf, 15, y + 8, terms, size=8, step=4.2)
    return bytes(pdf.output())


def fattura(inv: DemoInvoice, rng: random.Random) -> bytes:
    """Italian: "Fattura n. 12/2026 del 03/03/2026", P.IVA and C.F., a VAT summary table."""
    pdf = new_pdf(inv)
    money = lambda value: amount(value, "de")  # noqa: E731
    dmy = lambda value: day(value, "dmy/")  # noqa: E731
    partita = inv.vendor_vat_id[2:]
    put(pdf, 15, 14, inv.vendor_name, size=14, style="B")
    vendor = address_lines(inv.vendor_address)
    vendor += [f"P.IVA {inv.vendor_vat_id} - C.F. {partita}"]
    vendor += [f"Tel. 0{rng.randint(2, 99)} {rng.randint(100000, 9999999)}"]
    stack(pdf, 15, 21, vendor, size=8, step=4)
    put(pdf, 115, 40, "Spett.le", size=8, color=(100, 100, 100))
    stack(pdf, 115, 45, _buyer(inv), size=10)
    title = f"Fattura n. {inv.invoice_number} del {dmy(inv.invoice_date)}"
    put(pdf, 15, 72, title, size=13, style="B")
    info = [
        ("Tipo documento", "TD01 Fattura"),
        ("Pagamento", f"Bonifico bancario {(inv.due_date - inv.invoice_date).days} gg d.f."),
        ("Data scadenza", dmy(inv.due_date)),
        *([("Rif. ordine n.", inv.po_number)] if inv.po_number else []),
        ("Codice destinatario", "".join(rng.choice(string.ascii_uppercase) for _ in range(7))),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 15, 81 + row * 4.5, label, size=8, color=(80, 80, 80))
        put(pdf, 55, 81 + row * 4.5, value, size=8)
    columns = [("Codice", 24, "L"), ("Descrizione", 68, "L"), ("Q.tà", 14, "R")]
    columns += [("Prezzo unit.", 26, "R"), ("IVA %", 14, "R"), ("Importo", 34, "R")]
    rows = [
        [line.item_code, line.description, quantity(line.quantity, "de"),
         money(line.unit_price), quantity(line.tax_rate, "de"), money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 15, 110, columns, rows, size=8, height=6, header_fill=(225, 235, 225))
    put(pdf, 15, y + 5, "Riepilogo IVA", size=8, style="B")
    summary = [
        [f"{quantity(rate, 'de')}%", money(base), money(tax)]
        for rate, (base, tax) in inv.tax_by_rate.items()
    ]
    summary_columns = [("Aliquota", 20, "R"), ("Imponibile", 30, "R"), ("Imposta", 30, "R")]
    grid(pdf, 15, y + 10, summary_columns, summary, size=8, height=5.5)
    totals = [("Imponibile", money(inv.net)), ("Totale IVA", money(inv.tax))]
    totals += [(f"Totale documento {EURO}", money(inv.total))]
    totals += [(f"Netto a pagare {EURO}", money(inv.total))]
    y = _totals_rows(pdf, totals, 120, 160, y + 10, 5.5, size=9)
    bank = [f"Banca: {rng.choice(['Intesa Sanpaolo', 'UniCredit', 'BPER Banca'])}"]
    bank += [f"IBAN: {spaced_iban(inv.vendor_iban)}"]
    stack(pdf, 15, y + 12, bank, size=8, step=4.2)
    return bytes(pdf.output())


def uk_utility(inv: DemoInvoice, rng: random.Random) -> bytes:
    """A business energy bill: account summary box, service period, charges as a list."""
    pdf = new_pdf(inv)
    money = lambda value: f"\u00a3{amount(value, 'en')}"  # noqa: E731
    long = lambda value: day(value, "en")  # noqa: E731
    days = int(inv.lines[0].quantity)
    period_end = inv.invoice_date - timedelta(days=rng.randint(2, 6))
    period_start = period_end - timedelta(days=days - 1)
    account = f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(100, 999)}"
    put(pdf, 15, 14, inv.vendor_name, size=16, style="B", color=(0, 110, 80))
    put(pdf, 15, 22, "Business Energy", size=9, color=(0, 110, 80))
    stack(pdf, 15, 40, _buyer(inv), size=10)
    pdf.set_fill_color(230, 243, 238)
    pdf.rect(115, 12, 80, 54, style="F")
    summary = [
        ("Account number", account),
        ("Bill number", inv.invoice_number),
        ("Bill date", long(inv.invoice_date)),
        ("Supply address", inv.buyer_address.split(", ")[0]),
        ("Meter serial", f"{rng.randint(10, 99)}K{rng.randint(1000000, 9999999)}"),
        ("MPAN", f"{rng.randint(10, 29)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} "
                 f"{rng.randint(100, 999)}"),
    ]  # fmt: skip
    for row, (label, value) in enumerate(summary):
        put(pdf, 118, 15 + row * 5, label, size=8)
        put(pdf, 150, 15 + row * 5, value, size=8, w=43, align="R")
    put(pdf, 118, 48, "Amount payable", size=11, style="B")
    put(pdf, 150, 48, money(inv.total), size=11, style="B", w=43, align="R")
    put(pdf, 118, 56, f"Payment due {long(inv.due_date)}", size=8)
    put(pdf, 15, 75, "Your bill explained", size=13, style="B")
    period = f"Charges for the period {long(period_start)} to {long(period_end)} ({days} days)"
    put(pdf, 15, 83, period, size=9)
    previous = D(rng.randint(20_000, 900_000)) / 100
    account_rows = [
        ("Balance from previous bill", money(previous)),
        ("Payment received - thank you", f"{money(previous)} CR"),
        ("Balance brought forward", money(D("0.00"))),
    ]
    y = _totals_rows(pdf, account_rows, 15, 150, 91, 5, size=9, w=45, bold_last=False)
    reading = rng.randint(10_000, 90_000)
    units = int(sum(line.quantity for line in inv.lines[1:-1]))
    put(pdf, 15, y + 3, "Meter readings", size=9, style="B")
    readings = [
        f"Previous reading {period_start:%d/%m/%Y}: {reading} (E)",
        f"Present reading {period_end:%d/%m/%Y}: {reading + units} (A)",
    ]
    y = stack(pdf, 15, y + 8, readings, size=8, step=4)
    put(pdf, 15, y + 3, "Electricity charges", size=9, style="B")
    y += 9
    for line in inv.lines:
        if line.description == "Standing charge":
            detail = f"{int(line.quantity)} days @ {line.unit_price * 100:.2f}p per day"
        else:
            detail = f"{int(line.quantity):,} kWh @ {line.unit_price * 100:.3f}p per kWh"
        put(pdf, 15, y, line.description, size=9)
        put(pdf, 70, y, detail, size=9)
        put(pdf, 150, y, money(line.amount), size=9, w=45, align="R")
        y += 5
    pdf.line(120, y + 1, 195, y + 1)
    rate = next(iter(inv.tax_by_rate))
    charges = [
        ("Total charges (excluding VAT)", money(inv.net)),
        (f"VAT at {quantity(rate)}% on {money(inv.net)}", money(inv.tax)),
        ("Total charges this period", money(inv.total)),
    ]
    y = _totals_rows(pdf, charges, 15, 150, y + 4, 5.5, size=9, w=45)
    notes = [
        f"We will collect {money(inv.total)} by Direct Debit on or after {long(inv.due_date)}.",
        f"Bank: sort code {rng.randint(10, 99)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}  "
        f"IBAN {spaced_iban(inv.vendor_iban)}",
        f"{inv.vendor_name}, {', '.join(address_lines(inv.vendor_address))}. "
        f"VAT registration number {inv.vendor_vat_id}.",
    ]
    stack(pdf, 15, y + 8, notes, size=8, step=4.2)
    return bytes(pdf.output())


def header_table(inv: DemoInvoice, rng: random.Random) -> bytes:
    """The header fields as a bordered table: one row of labels, their values in the row below."""
    pdf = new_pdf(inv)
    style = rng.choice(["dmy.", "dmy/", "d-mon-y"])
    money = lambda value: amount(value, "en")  # noqa: E731
    put(pdf, 15, 14, inv.vendor_name, size=15, style="B")
    stack(pdf, 15, 22, address_lines(inv.vendor_address), size=8, step=4)
    put(pdf, 130, 14, "INVOICE", size=20, style="B", w=65, align="R", color=(60, 60, 140))
    put(pdf, 15, 40, "Invoice address", size=7, color=(110, 110, 110))
    stack(pdf, 15, 45, _buyer(inv), size=9, step=4.3)
    put(pdf, 115, 40, "Delivery address", size=7, color=(110, 110, 110))
    stack(pdf, 115, 45, [inv.buyer_name, "Goods In, Gate 2"], size=9, step=4.3)
    columns = [("Invoice No.", 30, "C"), ("Invoice Date", 28, "C"), ("Customer No.", 28, "C")]
    columns += [("Your Order No.", 34, "C"), ("Due Date", 28, "C"), ("Currency", 32, "C")]
    values = [
        inv.invoice_number, day(inv.invoice_date, style), f"{rng.randint(10000, 99999)}",
        inv.po_number or "-", day(inv.due_date, style), inv.currency,
    ]  # fmt: skip
    grid(pdf, 15, 68, columns, [values], size=8, height=7, header_fill=(225, 225, 240))
    columns = [("Item", 24, "L"), ("Description", 70, "L"), ("Qty", 14, "R")]
    columns += [("Unit Price", 26, "R"), ("VAT %", 16, "R"), ("Amount", 30, "R")]
    rows = [
        [line.item_code, line.description, quantity(line.quantity), money(line.unit_price),
         quantity(line.tax_rate), money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 15, 92, columns, rows, size=8, height=6, border="LR")
    pdf.line(15, y, 195, y)
    rows = [("Goods value", money(inv.net))]
    rows += [(f"VAT {quantity(rate)}%", money(tax)) for rate, (_, tax) in inv.tax_by_rate.items()]
    rows += [(f"Invoice total {inv.currency}", money(inv.total))]
    grid(pdf, 125, y + 6, [("", 40, "L"), ("", 30, "R")], rows, size=9, height=6)
    footer = [
        f"{inv.vendor_name} | VAT {inv.vendor_vat_id} | IBAN {spaced_iban(inv.vendor_iban)}",
        "Goods remain our property until paid in full.",
    ]
    stack(pdf, 15, 276, footer, size=7, step=3.5, w=180, align="C", color=(90, 90, 90))
    return bytes(pdf.output())


def zahlungsziel(inv: DemoInvoice, rng: random.Random) -> bytes:
    """German: Rechnungs-Nr., Leistungsdatum, payment terms in days only, right-aligned totals."""
    pdf = new_pdf(inv)
    money = lambda value: f"{amount(value, 'de')} {EURO}"  # noqa: E731
    dmy = lambda value: day(value, "dmy.")  # noqa: E731
    terms = (inv.due_date - inv.invoice_date).days
    sender = f"{inv.vendor_name} · {' · '.join(address_lines(inv.vendor_address))}"
    put(pdf, 20, 45, sender, size=6, color=(100, 100, 100))
    stack(pdf, 20, 50, _buyer(inv), size=10)
    put(pdf, 120, 15, inv.vendor_name, size=12, style="B", w=75, align="R")
    info = [
        ("Rechnungs-Nr.:", inv.invoice_number),
        ("Rechnungsdatum:", dmy(inv.invoice_date)),
        ("Leistungsdatum:", dmy(inv.invoice_date - timedelta(days=rng.randint(1, 20)))),
        ("Kunden-Nr.:", f"{rng.randint(10000, 99999)}"),
        *([("Auftrags-Nr.:", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 130, 48 + row * 5, label, size=9)
        put(pdf, 160, 48 + row * 5, value, size=9, w=35, align="R")
    put(pdf, 20, 88, "Rechnung", size=14, style="B")
    put(pdf, 20, 96, "Wir berechnen Ihnen wie folgt:", size=9)
    columns = [("Pos.", 12, "R"), ("Artikel / Leistung", 82, "L"), ("Menge", 18, "R")]
    columns += [("Einzelpreis", 30, "R"), ("Gesamt", 33, "R")]
    rows = [
        [str(n), line.description, quantity(line.quantity, "de"), money(line.unit_price),
         money(line.amount)]
        for n, line in enumerate(inv.lines, start=1)
    ]  # fmt: skip
    y = grid(pdf, 20, 103, columns, rows, size=9, height=6, border="TB")
    totals = [("Summe netto", money(inv.net))]
    totals += [
        (f"zzgl. {quantity(rate, 'de')} % MwSt.", money(tax))
        for rate, (_, tax) in inv.tax_by_rate.items()
    ]
    totals += [("Rechnungsbetrag", money(inv.total))]
    for row, (label, value) in enumerate(totals):  # labels right-aligned against the values
        bold = "B" if row == len(totals) - 1 else ""
        put(pdf, 95, y + 5 + row * 5.5, label, size=10, style=bold, w=60, align="R")
        put(pdf, 160, y + 5 + row * 5.5, value, size=10, style=bold, w=35, align="R")
    y += 12 + 5.5 * len(totals)
    skonto = rng.choice([2, 3])
    text = [
        f"Zahlungsziel: {terms} Tage netto.",
        f"Bei Zahlung innerhalb von 7 Tagen gewähren wir {skonto} % Skonto.",
        "Leistungszeitraum entspricht dem Leistungsdatum, sofern nicht anders angegeben.",
    ]
    stack(pdf, 20, y, text, size=9, step=4.5)
    pdf.line(20, 272, 190, 272)
    footer = [
        f"{inv.vendor_name} · Geschäftsführung: A. Krüger · HRB {rng.randint(1000, 99999)}",
        f"USt-IdNr. {inv.vendor_vat_id} · IBAN {spaced_iban(inv.vendor_iban)}",
    ]
    stack(pdf, 20, 275, footer, size=7, step=3.5, w=170, align="C", color=(90, 90, 90))
    return bytes(pdf.output())


def _ordinal(value: date) -> str:
    n = value.day
    suffix = "th" if 11 <= n <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} {MONTHS['en'][value.month - 1]} {value.year}"


def au_gst(inv: DemoInvoice, rng: random.Random) -> bytes:
    """Australian tax invoice: ABN, "3rd March 2026", "$" amounts, GST 10%, Total AUD, BSB."""
    pdf = new_pdf(inv)
    money = lambda value: f"${amount(value, 'en')}"  # noqa: E731
    abn = inv.vendor_vat_id
    put(pdf, 15, 14, "TAX INVOICE", size=18, style="B", color=(0, 90, 60))
    put(pdf, 110, 14, inv.vendor_name, size=12, style="B", w=85, align="R")
    vendor = [*address_lines(inv.vendor_address), f"ABN {abn[:2]} {abn[2:5]} {abn[5:8]} {abn[8:]}"]
    vendor += [f"Ph (0{rng.randint(2, 8)}) {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"]
    stack(pdf, 110, 21, vendor, size=8, step=4, w=85, align="R")
    put(pdf, 15, 45, "Bill To", size=8, style="B")
    stack(pdf, 15, 50, _buyer(inv), size=9, step=4.3)
    info = [
        ("Invoice No.", inv.invoice_number),
        ("Issue Date", _ordinal(inv.invoice_date)),
        ("Due Date", _ordinal(inv.due_date)),
        *([("Purchase Order", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 120, 48 + row * 5, label, size=9, style="B")
        put(pdf, 150, 48 + row * 5, value, size=9, w=45, align="R")
    columns = [("Description", 90, "L"), ("Qty", 16, "R"), ("Rate", 28, "R")]
    columns += [("GST", 20, "R"), ("Amount", 26, "R")]
    rows = [
        [line.description, quantity(line.quantity), money(line.unit_price), money(
            (line.amount * line.tax_rate / 100).quantize(D("0.01"))), money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 15, 80, columns, rows, size=9, height=6.5, header_fill=(215, 235, 225), border=0)
    pdf.line(15, y + 1, 195, y + 1)
    totals = [("Subtotal", money(inv.net)), ("GST 10%", money(inv.tax))]
    totals += [("Total AUD", money(inv.total))]
    y = _totals_rows(pdf, totals, 130, 160, y + 5, 6)
    pay = [
        "How to pay: Direct deposit",
        f"Account name: {inv.vendor_name}",
        f"BSB: {rng.randint(10, 99):03d}-{rng.randint(100, 999)}   "
        f"Account: {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
        f"Reference: {inv.invoice_number}",
    ]
    stack(pdf, 15, y + 8, pay, size=8, step=4.2)
    put(pdf, 15, 282, "All amounts are in Australian dollars.", size=7, color=(100, 100, 100))
    return bytes(pdf.output())


def multi_page(inv: DemoInvoice, rng: random.Random) -> bytes:
    """A long parts invoice: lines run onto page 2, carried/brought forward, totals on page 2."""
    pdf = new_pdf(inv)
    symbol = "\u00a3" if inv.currency == "GBP" else EURO
    money = lambda value: amount(value, "en")  # noqa: E731
    style = rng.choice(["en", "dmy/"])
    columns = [("Line", 12, "R"), ("Part No.", 26, "L"), ("Description", 66, "L")]
    columns += [("Qty", 16, "R"), ("Unit Price", 28, "R"), (f"Total {symbol}", 32, "R")]

    def rows(lines, offset):
        return [
            [str(offset + n), line.item_code, line.description, quantity(line.quantity),
             money(line.unit_price), money(line.amount)]
            for n, line in enumerate(lines, start=1)
        ]  # fmt: skip

    def page_foot(page):
        text = f"{inv.vendor_name} | VAT {inv.vendor_vat_id} | Page {page} of 2"
        put(pdf, 15, 285, text, size=7, w=180, align="C", color=(100, 100, 100))

    put(pdf, 15, 14, inv.vendor_name, size=15, style="B")
    vendor = [*address_lines(inv.vendor_address), f"VAT No. {inv.vendor_vat_id}"]
    stack(pdf, 15, 22, vendor, size=8, step=4)
    put(pdf, 130, 14, "INVOICE", size=18, style="B", w=65, align="R")
    info = [
        ("Invoice number", inv.invoice_number),
        ("Invoice date", day(inv.invoice_date, style)),
        ("Due date", day(inv.due_date, style)),
        *([("Order number", inv.po_number)] if inv.po_number else []),
    ]
    for row, (label, value) in enumerate(info):
        put(pdf, 125, 24 + row * 5, label, size=9)
        put(pdf, 160, 24 + row * 5, value, size=9, w=35, align="R")
    stack(pdf, 15, 48, _buyer(inv), size=9, step=4.3)
    first = (262 - 76) // 6 - 1  # as many lines as fit above the foot of page 1
    head, tail = inv.lines[:first], inv.lines[first:]
    y = grid(pdf, 15, 76, columns, rows(head, 0), size=8, height=6, header_fill=(230, 230, 230))
    carried = sum((line.amount for line in head), D("0.00"))
    put(pdf, 100, y + 2, "Carried forward", size=9, style="B")
    put(pdf, 155, y + 2, money(carried), size=9, style="B", w=40, align="R")
    put(pdf, 15, y + 2, "Continued on page 2", size=8, style="I")
    page_foot(1)
    pdf.add_page()
    put(pdf, 15, 14, inv.vendor_name, size=11, style="B")
    put(pdf, 110, 14, f"Invoice {inv.invoice_number} (continued)", size=9, w=85, align="R")
    put(pdf, 100, 26, "Brought forward", size=9, style="B")
    put(pdf, 155, 26, money(carried), size=9, style="B", w=40, align="R")
    y = grid(pdf, 15, 34, columns, rows(tail, len(head)), size=8, height=6,
             header_fill=(230, 230, 230))  # fmt: skip
    totals = [("Net total", money(inv.net))]
    totals += [(f"VAT @ {quantity(r)}%", money(t)) for r, (_, t) in inv.tax_by_rate.items()]
    totals += [(f"Total due ({inv.currency})", f"{symbol}{money(inv.total)}")]
    y = _totals_rows(pdf, totals, 120, 155, y + 5, 6, w=40)
    bank = f"Please pay to IBAN {spaced_iban(inv.vendor_iban)} quoting the invoice number."
    put(pdf, 15, y + 6, bank, size=8)
    page_foot(2)
    return bytes(pdf.output())


HELDOUT_LAYOUTS = (
    HeldoutLayout("nl-bilingual", "nl-en", ("NL", "BE"), nl_bilingual),
    HeldoutLayout("fattura", "it", ("IT",), fattura),
    HeldoutLayout("uk-utility", "en", ("GB",), uk_utility),
    HeldoutLayout("header-table", "en", ("IE", "NL", "BE", "GB"), header_table),
    HeldoutLayout("zahlungsziel", "de", ("DE", "AT"), zahlungsziel),
    HeldoutLayout("au-gst", "en", ("AU",), au_gst),
    HeldoutLayout("multi-page", "en", ("GB", "IE"), multi_page),
)
MAKERS = {
    "nl-bilingual": _make_nl,
    "fattura": _make_fattura,
    "uk-utility": _make_utility,
    "header-table": _make_default,
    "zahlungsziel": _make_zahlungsziel,
    "au-gst": _make_au,
    "multi-page": _make_multi_page,
}
