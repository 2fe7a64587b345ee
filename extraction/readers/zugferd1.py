"""ZUGFeRD 1.0: the pre-EN 16931 CrossIndustryDocument, still sent by older German systems.

Same ideas as CII D16B with older element names; parsed, not guessed (confidence 1.0).
"""

from functools import partial
from xml.etree.ElementTree import Element

from extraction.readers import xml_invoice
from extraction.readers.xml_invoice import (
    CREDIT_NOTE_TYPE_CODES,
    ZUGFERD1,
    _amount,
    _cii_date,
    _compact,
    _result,
    _unit_price,
)
from extraction.types import ExtractionResult, LineItem

NS = {
    "rsm": ZUGFERD1,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
}


_find = partial(xml_invoice._find, ns=NS)
_text = partial(xml_invoice._text, ns=NS)
_first_text = partial(xml_invoice._first_text, ns=NS)


def read_zugferd1(root: Element) -> ExtractionResult:
    header = root.find("rsm:HeaderExchangedDocument", NS)
    trade = root.find("rsm:SpecifiedSupplyChainTradeTransaction", NS)
    agreement = _find(trade, "ram:ApplicableSupplyChainTradeAgreement")
    settlement = _find(trade, "ram:ApplicableSupplyChainTradeSettlement")
    seller = _find(agreement, "ram:SellerTradeParty")
    totals = _find(settlement, "ram:SpecifiedTradeSettlementMonetarySummation")
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
        "vendor_vat_id": _compact(vat_ids[0]) if vat_ids else None,
        "vendor_iban": _compact(
            _text(
                settlement,
                "ram:SpecifiedTradeSettlementPaymentMeans/"
                "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
            )
        ),
        "invoice_number": _text(header, "ram:ID"),
        "invoice_date": _cii_date(_find(header, "ram:IssueDateTime/udt:DateTimeString")),
        "due_date": _cii_date(
            _find(
                settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
            )
        ),
        "currency": currency,
        "net_amount": _amount(_text(totals, "ram:TaxBasisTotalAmount")),
        "tax_amount": _amount(_text(totals, "ram:TaxTotalAmount")),
        "total_amount": _amount(_text(totals, "ram:GrandTotalAmount")),
        "po_number": _text(agreement, "ram:BuyerOrderReferencedDocument/ram:ID"),
    }
    items = trade.findall("ram:IncludedSupplyChainTradeLineItem", NS) if trade is not None else []
    credit = _text(header, "ram:TypeCode") in CREDIT_NOTE_TYPE_CODES
    result = _result(
        "zugferd1-creditnote" if credit else "zugferd1", values, [_line(i) for i in items]
    )
    result.document_type = "credit_note" if credit else "invoice"
    return result


def _line(item: Element) -> LineItem:
    price = _find(item, "ram:SpecifiedSupplyChainTradeAgreement/ram:NetPriceProductTradePrice")
    settlement = _find(item, "ram:SpecifiedSupplyChainTradeSettlement")
    quantity = _amount(_text(item, "ram:SpecifiedSupplyChainTradeDelivery/ram:BilledQuantity"))
    amount = _amount(
        _text(settlement, "ram:SpecifiedTradeSettlementMonetarySummation/ram:LineTotalAmount")
    )
    return LineItem(
        description=_first_text(
            item, "ram:SpecifiedTradeProduct/ram:Name", "ram:SpecifiedTradeProduct/ram:Description"
        )
        or "",
        quantity=quantity,
        unit_price=_unit_price(
            _amount(_text(price, "ram:ChargeAmount")),
            _amount(_text(price, "ram:BasisQuantity")),
            quantity,
            amount,
        ),
        amount=amount,
        item_code=_text(item, "ram:SpecifiedTradeProduct/ram:SellerAssignedID") or "",
        tax_rate=_amount(_text(settlement, "ram:ApplicableTradeTax/ram:ApplicablePercent")),
    )
