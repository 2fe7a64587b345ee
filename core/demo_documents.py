"""Invoice documents for the demo inbox and tests: the invoice data, UBL and CII (PDFs in
three layouts are in core/demo_pdf.py).

Output is deterministic byte for byte (fixed PDF creation date, no random ids), so running
the demo twice produces the same files and intake's duplicate check recognises them.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

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


def zugferd1_xml(inv: DemoInvoice) -> bytes:
    """A ZUGFeRD 1.0 CrossIndustryDocument (the pre-EN 16931 German format)."""
    items = [
        _el(
            "ram:IncludedSupplyChainTradeLineItem",
            _el("ram:AssociatedDocumentLineDocument", _el("ram:LineID", text=number)),
            _el(
                "ram:SpecifiedSupplyChainTradeAgreement",
                _el("ram:NetPriceProductTradePrice", _el("ram:ChargeAmount", text=line.unit_price)),
            ),
            _el(
                "ram:SpecifiedSupplyChainTradeDelivery",
                _el("ram:BilledQuantity", text=line.quantity, unitCode="C62"),
            ),
            _el(
                "ram:SpecifiedSupplyChainTradeSettlement",
                _el(
                    "ram:ApplicableTradeTax",
                    _el("ram:TypeCode", text="VAT"),
                    _el("ram:ApplicablePercent", text=line.tax_rate),
                ),
                _el(
                    "ram:SpecifiedTradeSettlementMonetarySummation",
                    _el("ram:LineTotalAmount", text=_money(line.amount)),
                ),
            ),
            _el(
                "ram:SpecifiedTradeProduct",
                _el("ram:SellerAssignedID", text=line.item_code),
                _el("ram:Name", text=line.description),
            ),
        )
        for number, line in enumerate(inv.lines, start=1)
    ]
    order = [_el("ram:BuyerOrderReferencedDocument", _el("ram:ID", text=inv.po_number))]
    document = _el(
        "rsm:CrossIndustryDocument",
        _el(
            "rsm:HeaderExchangedDocument",
            _el("ram:ID", text=inv.invoice_number),
            _el("ram:TypeCode", text="380"),
            _el("ram:IssueDateTime", _cii_date(inv.invoice_date)),
        ),
        _el(
            "rsm:SpecifiedSupplyChainTradeTransaction",
            _el(
                "ram:ApplicableSupplyChainTradeAgreement",
                _el(
                    "ram:SellerTradeParty",
                    _el("ram:Name", text=inv.vendor_name),
                    _el(
                        "ram:SpecifiedTaxRegistration",
                        _el("ram:ID", text=inv.vendor_vat_id, schemeID="VA"),
                    ),
                ),
                _el("ram:BuyerTradeParty", _el("ram:Name", text=inv.buyer_name)),
                *(order if inv.po_number else []),
            ),
            _el(
                "ram:ApplicableSupplyChainTradeSettlement",
                _el("ram:InvoiceCurrencyCode", text=inv.currency),
                _el(
                    "ram:SpecifiedTradeSettlementPaymentMeans",
                    _el("ram:TypeCode", text="31"),
                    _el(
                        "ram:PayeePartyCreditorFinancialAccount",
                        _el("ram:IBANID", text=inv.vendor_iban),
                    ),
                ),
                _el(
                    "ram:SpecifiedTradePaymentTerms",
                    _el("ram:DueDateDateTime", _cii_date(inv.due_date)),
                ),
                _el(
                    "ram:SpecifiedTradeSettlementMonetarySummation",
                    _el("ram:LineTotalAmount", text=_money(inv.net), currencyID=inv.currency),
                    _el("ram:TaxBasisTotalAmount", text=_money(inv.net), currencyID=inv.currency),
                    _el("ram:TaxTotalAmount", text=_money(inv.tax), currencyID=inv.currency),
                    _el("ram:GrandTotalAmount", text=_money(inv.total), currencyID=inv.currency),
                ),
            ),
            *items,
        ),
        **{
            "xmlns:rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
            "xmlns:ram": "urn:un:unece:uncefact:data:standard:"
            "ReusableAggregateBusinessInformationEntity:12",
            "xmlns:udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
        },
    )
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document).encode()
