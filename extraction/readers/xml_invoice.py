"""E-invoice XML: UBL 2.1 Invoice and CreditNote, and UN/CEFACT CII D16B (the EN 16931
syntaxes, with Peppol BIS 3, XRechnung and Factur-X/ZUGFeRD 2 on top); ZUGFeRD 1.0 in
readers.zugferd1.

These are parsed, not guessed: every value found gets confidence 1.0. The whole EN 16931
model is read where the document states it: header fields, lines (BG-25) with their VAT
category, period and allowances/charges (BG-26..28), the document's allowances and
charges (BG-20/21), the VAT breakdown (BG-23), the totals BT-106..BT-115, the invoice
period (BG-14), the preceding invoice (BG-3) and the type code (BT-3, UNTDID 1001; its
direction from core.document_types). Reading XML safely, in any encoding, is
readers.xml_support.

Sub-lines, and which lines count in the sums (BR-CO-10, sum of line net amounts = BT-106):
- CII (XRechnung 3 extension "sub invoice lines", ZUGFeRD/Factur-X EXTENDED): every line
  is an IncludedSupplyChainTradeLineItem at the same level; AssociatedDocumentLineDocument
  gives its LineID, the ParentLineID it belongs to and a LineStatusReasonCode: DETAIL (a
  line that counts), GROUP (the sum of its sub-lines, shown but not counted) or
  INFORMATION (text only, not counted). The code list of ZUGFeRD 2 EXTENDED and XRechnung
  says so, and the totals of such invoices are built that way. A line that other lines
  name as their parent but that states no code is a group too: its children are what it
  is made of, so counting it as well would count them twice.
- UBL (XRechnung 3 extension, BG-DEX-01 "sub invoice line"): sub-lines are
  cac:SubInvoiceLine (cac:SubCreditNoteLine in a CreditNote) nested inside the line they
  detail, possibly nested further. BR-CO-10 sums the top-level cac:InvoiceLine only; the
  sub-lines are kept for the clerk (status DETAIL, parent_line_id set) and not counted.
`result.lines` holds every line in document order, parents before their children.
"""

from dataclasses import replace
from decimal import Decimal
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
    indicator,
    is_credit_note,
    iso_date,
    local_name,
    looks_like_xml,
    parse_xml,
    parsed_result,
    unit_price,
)
from extraction.readers.zugferd1 import ZUGFERD1, read_zugferd1
from extraction.types import (
    DETAIL,
    GROUP,
    INFORMATION,
    AllowanceCharge,
    DocumentTotals,
    ExtractionResult,
    LineItem,
    NotAnEInvoice,
    SourceFile,
    TaxSubtotal,
)

__all__ = ["XmlInvoiceReader", "looks_like_xml", "parse_xml", "read_cii", "read_ubl"]

UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CII = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "rsm": CII,
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}


def _text(element: Element | None, path: str) -> str | None:
    return find_text(element, path, NS)


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
            return read_zugferd1(root)
        raise NotAnEInvoice(
            f"The XML is not an e-invoice (UBL Invoice, UBL CreditNote or CII); "
            f"its root element is {local_name(root.tag)!r}"
        )


# --- UBL 2.1 -----------------------------------------------------------------------------------


def read_ubl(root: Element, fmt: str, kind: str) -> ExtractionResult:
    supplier = root.find("cac:AccountingSupplierParty/cac:Party", NS)
    currency = _text(root, "cbc:DocumentCurrencyCode")
    totals = root.find("cac:LegalMonetaryTotal", NS)
    values = {
        "vendor_name": first_text(
            supplier,
            "cac:PartyLegalEntity/cbc:RegistrationName",
            "cac:PartyName/cbc:Name",
            ns=NS,
        ),
        "vendor_vat_id": _ubl_vat_id(supplier),
        "vendor_iban": compact(_text(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID")),
        "invoice_number": _text(root, "cbc:ID"),
        "invoice_date": iso_date(_text(root, "cbc:IssueDate")),
        # Invoices carry DueDate at the top; credit notes only inside PaymentMeans.
        "due_date": iso_date(
            first_text(root, "cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate", ns=NS)
        ),
        "currency": currency,
        "net_amount": amount(_text(totals, "cbc:TaxExclusiveAmount")),
        "tax_amount": _ubl_tax_amount(root, currency),
        "total_amount": amount(_text(totals, "cbc:TaxInclusiveAmount")),
        "po_number": _text(root, "cac:OrderReference/cbc:ID"),
    }
    # BT-3; a UBL Invoice may carry a credit note code too (Peppol allows both forms).
    type_code = _text(root, f"cbc:{kind}TypeCode")
    default_code = "381" if kind == "CreditNote" else "380"
    result = parsed_result(fmt, values, _ubl_lines(root, kind), type_code, default_code)
    result.allowances_charges = [
        _ubl_allowance_charge(item) for item in root.findall("cac:AllowanceCharge", NS)
    ]
    result.tax_breakdown = _ubl_tax_breakdown(root, currency)
    result.totals = DocumentTotals(
        line_total=amount(_text(totals, "cbc:LineExtensionAmount")),
        allowance_total=amount(_text(totals, "cbc:AllowanceTotalAmount")),
        charge_total=amount(_text(totals, "cbc:ChargeTotalAmount")),
        prepaid=amount(_text(totals, "cbc:PrepaidAmount")),
        rounding=amount(_text(totals, "cbc:PayableRoundingAmount")),
        amount_due=amount(_text(totals, "cbc:PayableAmount")),
        third_party_payments=_third_party_payments(root),
    )
    result.period_start = iso_date(_text(root, "cac:InvoicePeriod/cbc:StartDate"))
    result.period_end = iso_date(_text(root, "cac:InvoicePeriod/cbc:EndDate"))
    for reference in root.findall("cac:BillingReference/cac:InvoiceDocumentReference", NS):
        result.preceding_invoice_number = _text(reference, "cbc:ID") or ""
        result.preceding_invoice_date = iso_date(_text(reference, "cbc:IssueDate"))
        break  # BG-3 may repeat; the first is the one a credit note names
    return result


def _ubl_vat_id(supplier: Element | None) -> str | None:
    if supplier is None:
        return None
    for scheme in supplier.findall("cac:PartyTaxScheme", NS):
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            return compact(_text(scheme, "cbc:CompanyID"))
    return None


def _in_document_currency(element: Element | None, currency: str | None) -> bool:
    # A second TaxTotal may state the VAT in the tax currency (BT-111); we want BT-110.
    return element is not None and element.get("currencyID") in (None, currency)


def _ubl_tax_amount(root: Element, currency: str | None):
    amounts = root.findall("cac:TaxTotal/cbc:TaxAmount", NS)
    for stated in amounts:
        if _in_document_currency(stated, currency):
            return amount(stated.text)
    return amount(amounts[0].text) if amounts else None


def _ubl_tax_breakdown(root: Element, currency: str | None) -> list[TaxSubtotal]:
    rows = []
    for total in root.findall("cac:TaxTotal", NS):
        stated = total.find("cbc:TaxAmount", NS)
        if stated is not None and not _in_document_currency(stated, currency):
            continue
        for subtotal in total.findall("cac:TaxSubtotal", NS):
            category = subtotal.find("cac:TaxCategory", NS)
            rows.append(
                TaxSubtotal(
                    category=_text(category, "cbc:ID") or "",
                    rate=amount(_text(category, "cbc:Percent")),
                    taxable_amount=amount(_text(subtotal, "cbc:TaxableAmount")),
                    tax_amount=amount(_text(subtotal, "cbc:TaxAmount")),
                    exemption_reason=_text(category, "cbc:TaxExemptionReason") or "",
                    exemption_reason_code=_text(category, "cbc:TaxExemptionReasonCode") or "",
                )
            )
    return rows


def _ubl_allowance_charge(element: Element) -> AllowanceCharge:
    """cac:AllowanceCharge: BG-20/21 at the root, BG-27/28 in a line (no category there)."""
    return AllowanceCharge(
        charge=indicator(_text(element, "cbc:ChargeIndicator")),
        amount=amount(_text(element, "cbc:Amount")),
        base_amount=amount(_text(element, "cbc:BaseAmount")),
        # BT-94/BT-101: the percentage, stated as 20 for 20 %.
        percent=amount(_text(element, "cbc:MultiplierFactorNumeric")),
        reason=_text(element, "cbc:AllowanceChargeReason") or "",
        reason_code=_text(element, "cbc:AllowanceChargeReasonCode") or "",
        tax_category=_text(element, "cac:TaxCategory/cbc:ID") or "",
        tax_rate=amount(_text(element, "cac:TaxCategory/cbc:Percent")),
    )


def _ubl_lines(root: Element, kind: str) -> list[LineItem]:
    """The top-level lines and, after each, its sub-lines depth first (not counted)."""
    quantity_tag = "cbc:InvoicedQuantity" if kind == "Invoice" else "cbc:CreditedQuantity"
    lines = []
    pending = [(line, "") for line in reversed(root.findall(f"cac:{kind}Line", NS))]
    while pending:
        element, parent_id = pending.pop()
        line = _ubl_line(element, quantity_tag, parent_id)
        lines.append(line)
        sub_lines = element.findall(f"cac:Sub{kind}Line", NS)
        pending.extend((sub_line, line.line_id) for sub_line in reversed(sub_lines))
    return lines


def _ubl_line(line: Element, quantity_tag: str, parent_id: str) -> LineItem:
    quantity = amount(_text(line, quantity_tag))
    net = amount(_text(line, "cbc:LineExtensionAmount"))
    category = line.find("cac:Item/cac:ClassifiedTaxCategory", NS)
    return LineItem(
        description=first_text(line, "cac:Item/cbc:Name", "cac:Item/cbc:Description", ns=NS) or "",
        quantity=quantity,
        unit_price=unit_price(
            amount(_text(line, "cac:Price/cbc:PriceAmount")),
            amount(_text(line, "cac:Price/cbc:BaseQuantity")),
            quantity,
            net,
        ),
        amount=net,
        item_code=_text(line, "cac:Item/cac:SellersItemIdentification/cbc:ID") or "",
        tax_rate=amount(_text(category, "cbc:Percent")),
        tax_category=_text(category, "cbc:ID") or "",
        line_id=_text(line, "cbc:ID") or "",
        parent_line_id=parent_id,
        status=DETAIL if parent_id else "",
        counted=not parent_id,
        period_start=iso_date(_text(line, "cac:InvoicePeriod/cbc:StartDate")),
        period_end=iso_date(_text(line, "cac:InvoicePeriod/cbc:EndDate")),
        allowances_charges=tuple(
            _ubl_allowance_charge(item) for item in line.findall("cac:AllowanceCharge", NS)
        ),
    )


# --- CII D16B ----------------------------------------------------------------------------------


def _third_party_payments(root: Element) -> Decimal | None:
    """Σ BT-DEX-002 of the XRechnung extension's third party payments (BG-DEX-09, UBL
    `cac:PrepaidPayment/cbc:PaidAmount`: a payment to a third party the buyer makes with
    the invoice, a fee collected on its behalf, say); None when the invoice has none. An
    amount that is not a number counts as 0 here: BR-DEX-09 then shows the gap."""
    paid = [
        amount(_text(item, "cbc:PaidAmount")) for item in root.findall("cac:PrepaidPayment", NS)
    ]
    if not paid:
        return None
    return sum((value for value in paid if value is not None), Decimal(0))


def read_cii(root: Element) -> ExtractionResult:
    trade = root.find("rsm:SupplyChainTradeTransaction", NS)
    agreement = find(trade, "ram:ApplicableHeaderTradeAgreement", NS)
    settlement = find(trade, "ram:ApplicableHeaderTradeSettlement", NS)
    seller = find(agreement, "ram:SellerTradeParty", NS)
    totals = find(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation", NS)
    currency = _text(settlement, "ram:InvoiceCurrencyCode")
    values = {
        "vendor_name": _text(seller, "ram:Name"),
        "vendor_vat_id": _cii_vat_id(seller),
        "vendor_iban": compact(
            _text(
                settlement,
                "ram:SpecifiedTradeSettlementPaymentMeans/"
                "ram:PayeePartyCreditorFinancialAccount/ram:IBANID",
            )
        ),
        "invoice_number": _text(root, "rsm:ExchangedDocument/ram:ID"),
        "invoice_date": cii_date(
            find(root, "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS)
        ),
        "due_date": cii_date(
            find(
                settlement,
                "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString",
                NS,
            )
        ),
        "currency": currency,
        "net_amount": amount(_text(totals, "ram:TaxBasisTotalAmount")),
        "tax_amount": _cii_tax_amount(totals, currency),
        "total_amount": amount(_text(totals, "ram:GrandTotalAmount")),
        "po_number": _text(agreement, "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID"),
    }
    items = trade.findall("ram:IncludedSupplyChainTradeLineItem", NS) if trade is not None else []
    type_code = _text(root, "rsm:ExchangedDocument/ram:TypeCode")
    fmt = "cii-creditnote" if is_credit_note(type_code) else "cii"
    lines = _count_sub_lines([_cii_line(item) for item in items])
    result = parsed_result(fmt, values, lines, type_code, "380")
    if settlement is not None:
        result.allowances_charges = [
            cii_allowance_charge(item, NS, "RateApplicablePercent")
            for item in settlement.findall("ram:SpecifiedTradeAllowanceCharge", NS)
        ]
        result.tax_breakdown = [
            cii_tax_subtotal(tax, NS, "RateApplicablePercent")
            for tax in settlement.findall("ram:ApplicableTradeTax", NS)
        ]
    result.totals = cii_document_totals(totals, NS)
    result.period_start, result.period_end = _cii_period(settlement)
    reference = find(settlement, "ram:InvoiceReferencedDocument", NS)
    result.preceding_invoice_number = _text(reference, "ram:IssuerAssignedID") or ""
    result.preceding_invoice_date = cii_date(
        find(reference, "ram:FormattedIssueDateTime/qdt:DateTimeString", NS)
    )
    return result


def _cii_vat_id(seller: Element | None) -> str | None:
    if seller is None:
        return None
    # schemeID "VA" is the VAT id; "FC" is a national tax number, not what we match on.
    for registration in seller.findall("ram:SpecifiedTaxRegistration/ram:ID", NS):
        if registration.get("schemeID") == "VA":
            return compact(registration.text)
    return None


def _cii_tax_amount(totals: Element | None, currency: str | None):
    if totals is None:
        return None
    amounts = totals.findall("ram:TaxTotalAmount", NS)
    for stated in amounts:
        if _in_document_currency(stated, currency):
            return amount(stated.text)
    return amount(amounts[0].text) if amounts else None


def _cii_period(settlement: Element | None):
    """BG-14 in the header settlement, BG-26 in a line's."""
    period = find(settlement, "ram:BillingSpecifiedPeriod", NS)
    return (
        cii_date(find(period, "ram:StartDateTime/udt:DateTimeString", NS)),
        cii_date(find(period, "ram:EndDateTime/udt:DateTimeString", NS)),
    )


def _cii_line(item: Element) -> LineItem:
    document = find(item, "ram:AssociatedDocumentLineDocument", NS)
    price = find(item, "ram:SpecifiedLineTradeAgreement/ram:NetPriceProductTradePrice", NS)
    settlement = find(item, "ram:SpecifiedLineTradeSettlement", NS)
    quantity = amount(_text(item, "ram:SpecifiedLineTradeDelivery/ram:BilledQuantity"))
    net = amount(
        _text(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount")
    )
    period_start, period_end = _cii_period(settlement)
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
        tax_rate=amount(_text(settlement, "ram:ApplicableTradeTax/ram:RateApplicablePercent")),
        tax_category=_text(settlement, "ram:ApplicableTradeTax/ram:CategoryCode") or "",
        line_id=_text(document, "ram:LineID") or "",
        parent_line_id=_text(document, "ram:ParentLineID") or "",
        status=(_text(document, "ram:LineStatusReasonCode") or "").upper(),
        period_start=period_start,
        period_end=period_end,
        allowances_charges=tuple(
            cii_allowance_charge(charge, NS, "RateApplicablePercent")
            for charge in (
                settlement.findall("ram:SpecifiedTradeAllowanceCharge", NS)
                if settlement is not None
                else []
            )
        ),
    )


def _count_sub_lines(lines: list[LineItem]) -> list[LineItem]:
    """Which CII lines count (see the module's docstring): GROUP and INFORMATION lines do
    not, and a line without a code of its own that is the parent of a sub-line other than
    INFORMATION (a DETAIL or GROUP sub-line, or one without a code) is a GROUP. Where all
    its sub-lines are INFORMATION the parent is the line that counts (ZUGFeRD 2.x
    EXTENDED: a line without a code is a DETAIL line)."""
    parents = {
        line.parent_line_id for line in lines if line.parent_line_id and line.status != INFORMATION
    }
    counted = []
    for line in lines:
        status = line.status or (GROUP if line.line_id and line.line_id in parents else "")
        counted.append(replace(line, status=status, counted=status not in (GROUP, INFORMATION)))
    return counted
