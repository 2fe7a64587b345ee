"""E-invoice XML: UBL 2.1 Invoice and CreditNote, and UN/CEFACT CII (EN 16931 syntaxes).

These are parsed, not guessed: every value found gets confidence 1.0. The parser is
defusedxml with DTDs forbidden, because invoices arrive from strangers by mail and an
entity declaration is either an attack (billion laughs, external entities) or a mistake.
"""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import fromstring

from extraction.types import (
    ExtractedField,
    ExtractionResult,
    LineItem,
    NotAnEInvoice,
    Provenance,
    SourceFile,
    UnreadableDocument,
)

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
ZUGFERD1 = "urn:ferd:CrossIndustryDocument:invoice:1p0"
# UNTDID 1001 document types that are credit notes (381 credit note, 396 factored credit note).
CREDIT_NOTE_TYPE_CODES = {"381", "396"}
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": CII,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
PARSED = Provenance(method="xml")
# Byte-order marks and whitespace may precede the prolog; anything else is not XML.
_LEADING = b"\xef\xbb\xbf \t\r\n"


def looks_like_xml(data: bytes) -> bool:
    return data.lstrip(_LEADING).startswith(b"<")


def parse_xml(data: bytes) -> Element:
    """Parse untrusted XML, turning every parser complaint into UnreadableDocument."""
    # Stray whitespace before the prolog is invalid XML but common from hand-rolled
    # exporters; a UTF-8 byte-order mark is dropped with it.
    data = data.lstrip(_LEADING)
    try:
        return fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise UnreadableDocument(
            "The XML contains a DOCTYPE/entity declaration, refused for safety"
        ) from exc
    except (ParseError, ValueError) as exc:
        raise UnreadableDocument(f"The XML is malformed: {exc}") from exc


class XmlInvoiceReader:
    name = "xml"

    def applies(self, source: SourceFile) -> bool:
        return looks_like_xml(source.data)

    def read(self, source: SourceFile) -> ExtractionResult:
        root = parse_xml(source.data)
        if root.tag == f"{{{UBL_INVOICE}}}Invoice":
            return read_ubl(root, "ubl", "Invoice")
        if root.tag == f"{{{UBL_CREDIT_NOTE}}}CreditNote":
            return read_ubl(root, "ubl-creditnote", "CreditNote")
        if root.tag == f"{{{CII}}}CrossIndustryInvoice":
            return read_cii(root)
        if root.tag == f"{{{ZUGFERD1}}}CrossIndustryDocument":
            from extraction.readers.zugferd1 import read_zugferd1  # it imports this module

            return read_zugferd1(root)
        raise NotAnEInvoice(
            f"The XML is not an e-invoice (UBL Invoice, UBL CreditNote or CII); "
            f"its root element is {_local_name(root.tag)!r}"
        )


def read_ubl(root: Element, fmt: str, kind: str) -> ExtractionResult:
    supplier = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    currency = _text(root, "cbc:DocumentCurrencyCode")
    totals = root.find("cac:LegalMonetaryTotal", NS)
    values = {
        "vendor_name": _first_text(
            supplier,
            "cac:PartyLegalEntity/cbc:RegistrationName",
            "cac:PartyName/cbc:Name",
        ),
        "vendor_vat_id": _ubl_vat_id(supplier),
        "vendor_iban": _compact(_text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")),
        "invoice_number": _text(root, "cbc:ID"),
        "invoice_date": _iso_date(_text(root, "cbc:IssueDate")),
        # Invoices carry DueDate at the top; credit notes only inside PaymentMeans.
        "due_date": _iso_date(
            _first_text(root, "cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate")
        ),
        "currency": currency,
        "net_amount": _amount(_text(totals, "cbc:TaxExclusiveAmount")),
        "tax_amount": _ubl_tax_amount(root, currency),
        "total_amount": _amount(_text(totals, "cbc:TaxInclusiveAmount")),
        "po_number": _text(root, "cac:OrderReference/cbc:ID"),
    }
    quantity_tag = "cbc:InvoicedQuantity" if kind == "Invoice" else "cbc:CreditedQuantity"
    lines = [_ubl_line(line, quantity_tag) for line in root.findall(f"cac:{kind}Line", NS)]
    result = _result(fmt, values, lines)
    # A UBL Invoice with type code 381 is a credit note too (Peppol allows both forms).
    credit = kind == "CreditNote" or _text(root, "cbc:InvoiceTypeCode") in CREDIT_NOTE_TYPE_CODES
    result.document_type = "credit_note" if credit else "invoice"
    return result


def _ubl_vat_id(supplier: Element | None) -> str | None:
    if supplier is None:
        return None
    for scheme in supplier.findall("cac:PartyTaxScheme", NS):
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            return _compact(_text(scheme, "cbc:CompanyID"))
    return None


def _ubl_tax_amount(root: Element, currency: str | None) -> Decimal | None:
    # A second TaxTotal may state the VAT in the tax currency (BT-111); we want BT-110.
    amounts = root.findall("cac:TaxTotal/cbc:TaxAmount", NS)
    for amount in amounts:
        if amount.get("currencyID") in (None, currency):
            return _amount(amount.text)
    return _amount(amounts[0].text) if amounts else None


def _ubl_line(line: Element, quantity_tag: str) -> LineItem:
    quantity = _amount(_text(line, quantity_tag))
    amount = _amount(_text(line, "cbc:LineExtensionAmount"))
    return LineItem(
        description=_first_text(line, "cac:Item/cbc:Name", "cac:Item/cbc:Description") or "",
        quantity=quantity,
        unit_price=_unit_price(
            _amount(_text(line, "cac:Price/cbc:PriceAmount")),
            _amount(_text(line, "cac:Price/cbc:BaseQuantity")),
            quantity,
            amount,
        ),
        amount=amount,
        item_code=_text(line, "cac:Item/cac:SellersItemIdentification/cbc:ID") or "",
        tax_rate=_amount(_text(line, "cac:Item/cac:ClassifiedTaxCategory/cbc:Percent")),
    )


def read_cii(root: Element) -> ExtractionResult:
    trade = root.find("rsm:SupplyChainTradeTransaction", NS)
    agreement = _find(trade, "ram:ApplicableHeaderTradeAgreement")
    settlement = _find(trade, "ram:ApplicableHeaderTradeSettlement")
    seller = _find(agreement, "ram:SellerTradeParty")
    totals = _find(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    currency = _text(settlement, "ram:InvoiceCurrencyCode")
    values = {
        "vendor_name": _text(seller, "ram:Name"),
        "vendor_vat_id": _cii_vat_id(seller),
        "vendor_iban": _compact(
            _text(
                settlement,
                "ram:SpecifiedTradeSettlementPaymentMeans/"
                "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
            )
        ),
        "invoice_number": _text(root, "rsm:ExchangedDocument/ram:ID"),
        "invoice_date": _cii_date(
            _find(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString")
        ),
        "due_date": _cii_date(
            _find(
                settlement,
                "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
            )
        ),
        "currency": currency,
        "net_amount": _amount(_text(totals, "ram:TaxBasisTotalAmount")),
        "tax_amount": _cii_tax_amount(totals, currency),
        "total_amount": _amount(_text(totals, "ram:GrandTotalAmount")),
        "po_number": _text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
    }
    items = trade.findall("ram:IncludedSupplyChainTradeLineItem", NS) if trade is not None else []
    credit = _text(root, "rsm:ExchangedDocument/ram:TypeCode") in CREDIT_NOTE_TYPE_CODES
    result = _result("cii-creditnote" if credit else "cii", values, [_cii_line(i) for i in items])
    result.document_type = "credit_note" if credit else "invoice"
    return result


def _cii_vat_id(seller: Element | None) -> str | None:
    if seller is None:
        return None
    # schemeID "VA" is the VAT id; "FC" is a national tax number, not what we match on.
    for registration in seller.findall("ram:SpecifiedTaxRegistration/ram:ID", NS):
        if registration.get("schemeID") == "VA":
            return _compact(registration.text)
    return None


def _cii_tax_amount(totals: Element | None, currency: str | None) -> Decimal | None:
    if totals is None:
        return None
    amounts = totals.findall("ram:TaxTotalAmount", NS)
    for amount in amounts:
        if amount.get("currencyID") in (None, currency):
            return _amount(amount.text)
    return _amount(amounts[0].text) if amounts else None


def _cii_line(item: Element) -> LineItem:
    price = _find(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice")
    settlement = _find(item, "ram:SpecifiedLineTradeSettlement")
    quantity = _amount(_text(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"))
    amount = _amount(
        _text(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
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
        tax_rate=_amount(_text(settlement, "ram:ApplicableTradeTax/ram:RateApplicablePercent")),
    )


def _cii_date(element: Element | None) -> date | None:
    if element is None or not element.text:
        return None
    text = element.text.strip()
    # Format 102 (YYYYMMDD) is the only one EN 16931 allows, but be lenient about ISO.
    for pattern in ("%Y%m%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _result(fmt: str, values: dict, lines: list[LineItem]) -> ExtractionResult:
    fields = {
        name: ExtractedField(value=value, confidence=1.0, provenance=PARSED)
        for name, value in values.items()
        if value not in (None, "")
    }
    return ExtractionResult(format=fmt, fields=fields, lines=lines)


def _unit_price(
    price: Decimal | None,
    base_quantity: Decimal | None,
    quantity: Decimal | None = None,
    amount: Decimal | None = None,
) -> Decimal | None:
    """The price per unit; a price may be stated per base quantity (e.g. per 100 pieces).

    Some senders fill the base quantity with nonsense (the official CII example 2 repeats
    the price there), so when the line amount proves the undivided price right, keep it.
    """
    if price is None or not base_quantity or base_quantity == 1:
        return price
    per_unit = price / base_quantity
    if quantity is not None and amount is not None:
        divided_fits = abs(quantity * per_unit - amount) <= Decimal("0.01")
        if not divided_fits and abs(quantity * price - amount) <= Decimal("0.01"):
            return price
    exact = per_unit.quantize(Decimal("0.0001"))
    return exact if exact == per_unit else per_unit.quantize(Decimal("0.000001"))


def _find(element: Element | None, path: str, ns=NS) -> Element | None:
    return element.find(path, ns) if element is not None else None


def _text(element: Element | None, path: str, ns=NS) -> str | None:
    found = _find(element, path, ns)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _first_text(element: Element | None, *paths: str, ns=NS) -> str | None:
    for path in paths:
        text = _text(element, path, ns)
        if text:
            return text
    return None


def _compact(text: str | None) -> str | None:
    return "".join(text.split()).upper() if text else None


def _iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
