"""French-language corpus layouts: a classic "Facture" with Total HT / TVA / Total TTC and a
header of boxed fields with labels above their values.
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


def _money(value, currency: str) -> str:
    if currency == "CHF":
        return f"CHF {amount(value, 'ch')}"
    return f"{amount(value, 'fr')} {EURO if currency == 'EUR' else currency}"


def facture(inv: DemoInvoice, rng: random.Random) -> bytes:
    """French: "Facture n°", "Date : 12/03/2026", 1 234,56 €, SIRET and TVA in the footer."""
    pdf = new_pdf(inv)
    date_style = rng.choice(["dmy/", "fr"])
    money = lambda value: _money(value, inv.currency)  # noqa: E731
    put(pdf, 15, 15, inv.vendor_name, size=16, style="B", color=(20, 60, 120))
    stack(pdf, 15, 23, address_lines(inv.vendor_address), size=9, step=4.3)
    put(pdf, 120, 15, "FACTURE", size=22, style="B", w=75, align="R", color=(20, 60, 120))
    info = [
        f"Facture n° {inv.invoice_number}",
        f"Date : {day(inv.invoice_date, date_style)}",
        f"Échéance : {day(inv.due_date, date_style)}",
        *([f"Bon de commande : {inv.po_number}"] if inv.po_number else []),
    ]
    stack(pdf, 120, 28, info, size=9, step=5, w=75, align="R")
    put(pdf, 110, 55, "Facturé à", size=8, style="B", color=(110, 110, 110))
    stack(pdf, 110, 60, [inv.buyer_name, *inv.buyer_address.split(", ")], size=10)
    columns = [("Réf.", 24, "L"), ("Désignation", 72, "L"), ("Qté", 14, "R")]
    columns += [("PU HT", 26, "R"), ("TVA", 14, "R"), ("Montant HT", 30, "R")]
    rows = [
        [line.item_code, line.description, quantity(line.quantity, "fr"),
         money(line.unit_price), f"{quantity(line.tax_rate, 'fr')} %", money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 15, 92, columns, rows, size=9, height=6.5, header_fill=(20, 60, 120), border=0)
    pdf.line(15, y + 1, 195, y + 1)
    totals = [("Total HT", money(inv.net))]
    totals += [
        (f"TVA {quantity(rate, 'fr')} %", money(tax)) for rate, (_, tax) in inv.tax_by_rate.items()
    ]
    totals += [("Total TTC", money(inv.total)), ("Net à payer", money(inv.total))]
    for row, (label, value) in enumerate(totals):
        bold = "B" if label == "Net à payer" else ""
        put(pdf, 125, y + 5 + row * 5.5, label, size=10, style=bold)
        put(pdf, 155, y + 5 + row * 5.5, value, size=10, style=bold, w=40, align="R")
    y += 12 + 5.5 * len(totals)
    terms = [
        "Conditions de paiement : virement à 30 jours.",
        "Pénalités de retard : 3 fois le taux d'intérêt légal. Indemnité forfaitaire : 40 €.",
        f"IBAN : {spaced_iban(inv.vendor_iban)}   BIC : {rng.choice(['BNPAFRPP', 'AGRIFRPP'])}",
    ]
    stack(pdf, 15, y, terms, size=8, step=4.2)
    siret = f"{rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(100, 999)} 00017"
    footer = (
        f"{inv.vendor_name} au capital de {rng.choice(['10 000', '50 000', '7 500'])} € - "
        f"SIRET {siret} - TVA intracommunautaire : {printed_vat_id(inv.vendor_vat_id)}"
    )
    put(pdf, 15, 284, footer, size=7, w=180, align="C", color=(100, 100, 100))
    return bytes(pdf.output())


def labels_above(inv: DemoInvoice, rng: random.Random) -> bytes:
    """A row of boxed fields, each label above its value; "12 mars 2026"; a totals column."""
    pdf = new_pdf(inv)
    money = lambda value: _money(value, inv.currency)  # noqa: E731
    put(pdf, 15, 14, "Facture", size=24, style="B")
    put(pdf, 110, 14, inv.vendor_name, size=12, style="B", w=85, align="R")
    vendor = [*address_lines(inv.vendor_address), f"N° TVA : {printed_vat_id(inv.vendor_vat_id)}"]
    stack(pdf, 110, 20, vendor, size=8, step=4, w=85, align="R")
    put(pdf, 15, 32, "Client", size=8, color=(110, 110, 110))
    stack(pdf, 15, 37, [inv.buyer_name, *inv.buyer_address.split(", ")], size=9, step=4.3)
    fields = [
        ("Numéro de facture", inv.invoice_number),
        ("Date de facture", day(inv.invoice_date, "fr")),
        ("Date d'échéance", day(inv.due_date, "fr")),
        ("Commande n°", inv.po_number or "-"),
    ]
    for column, (label, value) in enumerate(fields):
        x = 15 + column * 45
        pdf.rect(x, 62, 43, 14)
        put(pdf, x + 2, 64, label, size=7, color=(110, 110, 110))
        put(pdf, x + 2, 70, value, size=10, style="B")
    columns = [("Description", 90, "L"), ("Quantité", 20, "R"), ("Prix unitaire", 30, "R")]
    columns += [("Total HT", 40, "R")]
    rows = [
        [line.description, quantity(line.quantity, "fr"), money(line.unit_price),
         money(line.amount)]
        for line in inv.lines
    ]  # fmt: skip
    y = grid(pdf, 15, 88, columns, rows, size=9, height=6.5, header_fill=(240, 235, 225))
    rates = ", ".join(f"{quantity(rate, 'fr')} %" for rate in inv.tax_by_rate)
    totals = [("Sous-total HT", money(inv.net)), (f"Montant TVA ({rates})", money(inv.tax))]
    totals += [("Montant total TTC", money(inv.total))]
    grid(pdf, 105, y + 6, [("", 50, "L"), ("", 40, "R")], totals, size=9, height=6.5)
    payment = [
        "Règlement par virement bancaire",
        f"Titulaire : {inv.vendor_name}",
        f"IBAN : {spaced_iban(inv.vendor_iban)}",
    ]
    stack(pdf, 15, y + 14, payment, size=8, step=4.2)
    return bytes(pdf.output())
