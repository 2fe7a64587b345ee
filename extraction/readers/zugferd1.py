"""ZUGFeRD 1.0: the pre-EN 16931 CrossIndustryDocument, still sent by older German systems.

Same ideas as CII D16B with older element names; parsed, not guessed (confidence 1.0).
What it has of the EN 16931 model is read as readers.xml_invoice reads CII: the type code
(BT-3), the document's allowances and charges (SpecifiedTradeAllowanceCharge, and the
logistics service charges, which are charges: BG-21), the VAT breakdown (BG-23), the
totals BT-106..BT-115, the invoice period (BG-14) and per line its id, VAT category and
period. It has no sub-lines and no preceding-invoice reference of the EN 16931 kind.
"""

from xml.etree.ElementTree import Element

from extraction.readers.xml_support import (
    amount,
    cii_allowance_charge,
    cii_date,
    cii_document_totals,
    cii_tax_subtotal,
    compact,
    find,
    find_text,
    first_text,
    is_credit_note,
    parsed_result,
    unit_price,
)
from extraction.types import AllowanceCharge, ExtractionResult, LineItem

ZUGFERD1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
NS = {
    "rsm": ZUGFERD1,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
}
RATE = "ApplicablePercent"  # CII D16B's RateApplicablePercent


def _text(element: Element | None, path: str) -> str | None:
    return find_text(element, path, NS)


def read_zugferd1(root: Element) -> ExtractionResult:
    header = root.find("rsm:HeaderExchangedDocument", NS)
    trade = root.find("rsm:SpecifiedSupplyChainTradeTransaction", NS)
    agreement = find(trade, "ram:ApplicableSupplyChainTradeAgreement", NS)
    settlement = find(trade, "ram:ApplicableSupplyChainTradeSettlement", NS)
    seller = find(agreement, "ram:SellerTradeParty", NS)
    totals = find(settlement, "ram:SpecifiedTradeSettlementMonetarySummation", NS)
    currency = _text(settlement, "ram:InvoiceCurrencyCode")
    vat_ids = [
        registration.text
        for registration in (
            seller.findall("ram:SpecifiedTaxRegistration/ram:ID", NS) if seller is not None else []
        )
        if registration.get("schemeID") == "VA"
    ]
    values = {
        "vendor_name": _text(seller, "ram:Name"),
        "vendor_vat_id": compact(vat_ids[0]) if vat_ids else None,
        "vendor_iban": compact(
            _text(
                settlement,
                "ram:SpecifiedTradeSettlementPaymentMeans/"
                "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
            )
        ),
        "invoice_number": _text(header, "ram:ID"),
        "invoice_date": cii_date(find(header, "ram:IssueDateTime/udt:DateTimeString", NS)),
        "due_date": cii_date(
            find(
                settlement,
                "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
                NS,
            )
        ),
        "currency": currency,
        "net_amount": amount(_text(totals, "ram:TaxBasisTotalAmount")),
        "tax_amount": amount(_text(totals, "ram:TaxTotalAmount")),
        "total_amount": amount(_text(totals, "ram:GrandTotalAmount")),
        "po_number": _text(agreement, "ram:BuyerOrderReferencedDocument/ram:ID"),
    }
    items = trade.findall("ram:IncludedSupplyChainTradeLineItem", NS) if trade is not None else []
    type_code = _text(header, "ram:TypeCode")
    fmt = "zugferd1-creditnote" if is_credit_note(type_code) else "zugferd1"
    result = parsed_result(fmt, values, [_line(item) for item in items], type_code, "380")
    if settlement is not None:
        result.allowances_charges = [
            cii_allowance_charge(item, NS, RATE)
            for item in settlement.findall("ram:SpecifiedTradeAllowanceCharge", NS)
        ] + [
            _logistics_charge(item)
            for item in settlement.findall("ram:SpecifiedLogisticsServiceCharge", NS)
        ]
        result.tax_breakdown = [
            cii_tax_subtotal(tax, NS, RATE)
            for tax in settlement.findall("ram:ApplicableTradeTax", NS)
        ]
    result.totals = cii_document_totals(totals, NS)
    result.period_start, result.period_end = _period(settlement)
    return result


def _logistics_charge(element: Element) -> AllowanceCharge:
    """A SpecifiedLogisticsServiceCharge (freight, packing): a document-level charge."""
    return AllowanceCharge(
        charge=True,
        amount=amount(_text(element, "ram:AppliedAmount")),
        reason=_text(element, "ram:Description") or "",
        tax_category=_text(element, "ram:AppliedTradeTax/ram:CategoryCode") or "",
        tax_rate=amount(_text(element, f"ram:AppliedTradeTax/ram:{RATE}")),
    )


def _period(settlement: Element | None):
    period = find(settlement, "ram:BillingSpecifiedPeriod", NS)
    return (
        cii_date(find(period, "ram:StartDateTime/udt:DateTimeString", NS)),
        cii_date(find(period, "ram:EndDateTime/udt:DateTimeString", NS)),
    )


def _line(item: Element) -> LineItem:
    price = find(item, "ram:SpecifiedSupplyChainTradeAgreement/ram:NetPriceProductTradePrice", NS)
    settlement = find(item, "ram:SpecifiedSupplyChainTradeSettlement", NS)
    quantity = amount(_text(item, "ram:SpecifiedSupplyChainTradeDelivery/ram:BilledQuantity"))
    net = amount(
        _text(settlement, "ram:SpecifiedTradeSettlementMonetarySummation/ram:LineTotalAmount")
    )
    period_start, period_end = _period(settlement)
    return LineItem(
        description=first_text(
            item,
            "ram:SpecifiedTradeProduct/ram:Name",
            "ram:SpecifiedTradeProduct/ram:Description",
            ns=NS,
        )
        or "",
        quantity=quantity,
        unit_price=unit_price(
            amount(_text(price, "ram:ChargeAmount")),
            amount(_text(price, "ram:BasisQuantity")),
            quantity,
            net,
        ),
        amount=net,
        item_code=_text(item, "ram:SpecifiedTradeProduct/ram:SellerAssignedID") or "",
        tax_rate=amount(_text(settlement, f"ram:ApplicableTradeTax/ram:{RATE}")),
        tax_category=_text(settlement, "ram:ApplicableTradeTax/ram:CategoryCode") or "",
        line_id=_text(item, "ram:AssociatedDocumentLineDocument/ram:LineID") or "",
        period_start=period_start,
        period_end=period_end,
    )
