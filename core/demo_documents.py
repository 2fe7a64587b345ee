"""Invoice documents for the demo inbox and tests: UBL, CII and PDFs in three layouts.

Output is deterministic byte for byte (fixed PDF creation date, no random ids), so running
the demo twice produces the same files and intake's duplicate check recognises them.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

from fpdf import FPDF

CENT = Decimal("0.01")
EURO = "\u20ac"
LAYOUTS = ("classic", "german", "modern")


@dataclass(frozen=True)
class DemoLine:
    item_code: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal  # percent

    @property
    def amount(self) -> Decimal:
        return _cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class DemoInvoice:
    vendor_name: str
    vendor_vat_id: str
    vendor_iban: str
    vendor_address: str  # lines separated by newlines or ", "
    buyer_name: str
    invoice_number: str
    invoice_date: date
    due_date: date
    currency: str
    po_number: str  # "" when the invoice quotes no order
    lines: list[DemoLine] = field(default_factory=list)
    buyer_address: str = "12 Harbour Road, Bristol BS1 4DJ"

    @property
    def net(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def tax_by_rate(self) -> dict[Decimal, tuple[Decimal, Decimal]]:
        """{rate: (taxable base, tax)}; VAT is rounded once per rate, as EN 16931 does."""
        bases: dict[Decimal, Decimal] = {}
        for line in self.lines:
            bases[line.tax_rate] = bases.get(line.tax_rate, Decimal("0.00")) + line.amount
        return {rate: (base, _cents(base * rate / 100)) for rate, base in sorted(bases.items())}

    @property
    def tax(self) -> Decimal:
        return sum((tax for _, tax in self.tax_by_rate.values()), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    @property
    def country(self) -> str:
        return self.vendor_vat_id[:2].upper()


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _address_lines(address: str) -> list[str]:
    return [part.strip() for part in address.replace(", ", "\n").splitlines() if part.strip()]


# --- e-invoice XML ---------------------------------------------------------------------


def _el(tag: str, *children: str, text=None, **attributes) -> str:
    attrs = "".join(f' {name}="{escape(str(value))}"' for name, value in attributes.items())
    body = escape(str(text)) if text is not None else "\n" + "\n".join(children) + "\n"
    return f"<{tag}{attrs}>{body}</{tag}>"


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def ubl_xml(inv: DemoInvoice) -> bytes:
    """A UBL 2.1 invoice in the EN 16931 / Peppol BIS 3 shape."""
    cur = {"currencyID": inv.currency}
    street, *city = _address_lines(inv.vendor_address) or [""]
    tax_subtotals = [
        _el(
            "cac:TaxSubtotal",
            _el("cbc:TaxableAmount", text=_money(base), **cur),
            _el("cbc:TaxAmount", text=_money(tax), **cur),
            _ubl_tax_category("cac:TaxCategory", rate),
        )
        for rate, (base, tax) in inv.tax_by_rate.items()
    ]
    lines = [
        _el(
            "cac:InvoiceLine",
            _el("cbc:ID", text=number),
            _el("cbc:InvoicedQuantity", text=line.quantity, unitCode="C62"),
            _el("cbc:LineExtensionAmount", text=_money(line.amount), **cur),
            _el(
                "cac:Item",
                _el("cbc:Name", text=line.description),
                _el("cac:SellersItemIdentification", _el("cbc:ID", text=line.item_code)),
                _ubl_tax_category("cac:ClassifiedTaxCategory", line.tax_rate),
            ),
            _el("cac:Price", _el("cbc:PriceAmount", text=line.unit_price, **cur)),
        )
        for number, line in enumerate(inv.lines, start=1)
    ]
    order = [_el("cac:OrderReference", _el("cbc:ID", text=inv.po_number))] if inv.po_number else []
    document = _el(
        "Invoice",
        _el("cbc:CustomizationID", text="urn:cen.eu:en16931:2017"),
        _el("cbc:ID", text=inv.invoice_number),
        _el("cbc:IssueDate", text=inv.invoice_date.isoformat()),
        _el("cbc:DueDate", text=inv.due_date.isoformat()),
        _el("cbc:InvoiceTypeCode", text="380"),
        _el("cbc:DocumentCurrencyCode", text=inv.currency),
        *order,
        _el(
            "cac:AccountingSupplierParty",
            _el(
                "cac:Party",
                _el(
                    "cac:PostalAddress",
                    _el("cbc:StreetName", text=street),
                    _el("cbc:CityName", text=", ".join(city)),
                    _el("cac:Country", _el("cbc:IdentificationCode", text=inv.country)),
                ),
                _el(
                    "cac:PartyTaxScheme",
                    _el("cbc:CompanyID", text=inv.vendor_vat_id),
                    _el("cac:TaxScheme", _el("cbc:ID", text="VAT")),
                ),
                _el("cac:PartyLegalEntity", _el("cbc:RegistrationName", text=inv.vendor_name)),
            ),
        ),
        _el(
            "cac:AccountingCustomerParty",
            _el(
                "cac:Party",
                _el("cac:PartyLegalEntity", _el("cbc:RegistrationName", text=inv.buyer_name)),
            ),
        ),
        _el(
            "cac:PaymentMeans",
            _el("cbc:PaymentMeansCode", text="58"),
            _el("cac:PayeeFinancialAccount", _el("cbc:ID", text=inv.vendor_iban)),
        ),
        _el("cac:TaxTotal", _el("cbc:TaxAmount", text=_money(inv.tax), **cur), *tax_subtotals),
        _el(
            "cac:LegalMonetaryTotal",
            _el("cbc:LineExtensionAmount", text=_money(inv.net), **cur),
            _el("cbc:TaxExclusiveAmount", text=_money(inv.net), **cur),
            _el("cbc:TaxInclusiveAmount", text=_money(inv.total), **cur),
            _el("cbc:PayableAmount", text=_money(inv.total), **cur),
        ),
        *lines,
        xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        **{
            "xmlns:cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
            "xmlns:cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
        },
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document + "\n").encode()


def _ubl_tax_category(tag: str, rate: Decimal) -> str:
    return _el(
        tag,
        _el("cbc:ID", text="S"),
        _el("cbc:Percent", text=rate),
        _el("cac:TaxScheme", _el("cbc:ID", text="VAT")),
    )


def cii_xml(inv: DemoInvoice) -> bytes:
    """A UN/CEFACT Cross Industry Invoice (the XML inside Factur-X / ZUGFeRD, XRechnung)."""
    street, *city = _address_lines(inv.vendor_address) or [""]
    items = [
        _el(
            "ram:IncludedSupplyChainTradeLineItem",
            _el("ram:AssociatedDocumentLineDocument", _el("ram:LineID", text=number)),
            _el(
                "ram:SpecifiedTradeProduct",
                _el("ram:SellerAssignedID", text=line.item_code),
                _el("ram:Name", text=line.description),
            ),
            _el(
                "ram:SpecifiedLineTradeAgreement",
                _el(
                    "ram:NetPriceProductTradePrice",
                    _el("ram:ChargeAmount", text=line.unit_price),
                ),
            ),
            _el(
                "ram:SpecifiedLineTradeDelivery",
                _el("ram:BilledQuantity", text=line.quantity, unitCode="C62"),
            ),
            _el(
                "ram:SpecifiedLineTradeSettlement",
                _cii_tax(line.tax_rate),
                _el(
                    "ram:SpecifiedTradeSettlementLineMonetarySummation",
                    _el("ram:LineTotalAmount", text=_money(line.amount)),
                ),
            ),
        )
        for number, line in enumerate(inv.lines, start=1)
    ]
    order = (
        [_el("ram:BuyerOrderReferencedDocument", _el("ram:IssuerAssignedID", text=inv.po_number))]
        if inv.po_number
        else []
    )
    header_taxes = [
        _cii_tax(rate, calculated=tax, basis=base) for rate, (base, tax) in inv.tax_by_rate.items()
    ]
    document = _el(
        "rsm:CrossIndustryInvoice",
        _el(
            "rsm:ExchangedDocumentContext",
            _el(
                "ram:GuidelineSpecifiedDocumentContextParameter",
                _el("ram:ID", text="urn:cen.eu:en16931:2017"),
            ),
        ),
        _el(
            "rsm:ExchangedDocument",
            _el("ram:ID", text=inv.invoice_number),
            _el("ram:TypeCode", text="380"),
            _el("ram:IssueDateTime", _cii_date(inv.invoice_date)),
        ),
        _el(
            "rsm:SupplyChainTradeTransaction",
            *items,
            _el(
                "ram:ApplicableHeaderTradeAgreement",
                _el(
                    "ram:SellerTradeParty",
                    _el("ram:Name", text=inv.vendor_name),
                    _el(
                        "ram:PostalTradeAddress",
                        _el("ram:LineOne", text=street),
                        _el("ram:CityName", text=", ".join(city)),
                        _el("ram:CountryID", text=inv.country),
                    ),
                    _el(
                        "ram:SpecifiedTaxRegistration",
                        _el("ram:ID", text=inv.vendor_vat_id, schemeID="VA"),
                    ),
                ),
                _el("ram:BuyerTradeParty", _el("ram:Name", text=inv.buyer_name)),
                *order,
            ),
            _el("ram:ApplicableHeaderTradeDelivery"),
            _el(
                "ram:ApplicableHeaderTradeSettlement",
                _el("ram:InvoiceCurrencyCode", text=inv.currency),
                _el(
                    "ram:SpecifiedTradeSettlementPaymentMeans",
                    _el("ram:TypeCode", text="58"),
                    _el(
                        "ram:PayeePartyCreditorFinancialAccount",
                        _el("ram:IBANID", text=inv.vendor_iban),
                    ),
                ),
                *header_taxes,
                _el(
                    "ram:SpecifiedTradePaymentTerms",
                    _el("ram:DueDateDateTime", _cii_date(inv.due_date)),
                ),
                _el(
                    "ram:SpecifiedTradeSettlementHeaderMonetarySummation",
                    _el("ram:LineTotalAmount", text=_money(inv.net)),
                    _el("ram:TaxBasisTotalAmount", text=_money(inv.net)),
                    _el("ram:TaxTotalAmount", text=_money(inv.tax), currencyID=inv.currency),
                    _el("ram:GrandTotalAmount", text=_money(inv.total)),
                    _el("ram:DuePayableAmount", text=_money(inv.total)),
                ),
            ),
        ),
        **{
            "xmlns:rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
            "xmlns:ram": "urn:un:unece:uncefact:data:standard:"
            "ReusableAggregateBusinessInformationEntity:100",
            "xmlns:udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
        },
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document + "\n").encode()


def _cii_date(value: date) -> str:
    return _el("udt:DateTimeString", text=value.strftime("%Y%m%d"), format="102")


def _cii_tax(rate: Decimal, calculated=None, basis=None) -> str:
    amounts = []
    if calculated is not None:
        amounts = [_el("ram:CalculatedAmount", text=_money(calculated))]
    basis_amount = [_el("ram:BasisAmount", text=_money(basis))] if basis is not None else []
    return _el(
        "ram:ApplicableTradeTax",
        *amounts,
        _el("ram:TypeCode", text="VAT"),
        *basis_amount,
        _el("ram:CategoryCode", text="S"),
        _el("ram:RateApplicablePercent", text=rate),
    )


# --- PDF -------------------------------------------------------------------------------


def pdf_invoice(inv: DemoInvoice, layout: str = "classic") -> bytes:
    """A PDF invoice with a text layer, in one of LAYOUTS."""
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
