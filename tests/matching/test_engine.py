"""The matching engine, table-driven: each case is an invoice, its purchase orders and the
rules, with the exception codes expected and phrases their sentences must say. The engine
is pure: no database here."""

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal as D

import pytest

from core.identifiers import normalise_po_number
from matching.duplicates import DuplicateHit, duplicate_findings
from matching.engine import (
    AllowanceCharge,
    EarlierInvoice,
    InvoiceFacts,
    LineFacts,
    POLineFacts,
    PurchaseOrderFacts,
    ToleranceRule,
    Tolerances,
    VatBreakdown,
    match,
    po_by_amount,
    po_numbers,
)

GLOBAL = ToleranceRule(1, 1, "global")
RULES = Tolerances((GLOBAL,))


def line(position=1, code="P-100", desc="Printer paper A4, box", qty="10", price="25.00", **kw):
    amount = kw.pop("amount", None)
    quantity, unit = D(qty), D(price)
    return LineFacts(
        position=position,
        description=desc,
        quantity=quantity,
        unit_price=unit,
        amount=D(amount) if amount is not None else quantity * unit,
        item_code=code,
        tax_rate=kw.pop("tax", D(19)),
    )


def po_line(id=11, no=1, code="P-100", desc="Printer paper A4, box", ordered="10", price="25.00",
            received=None, billed="0", category="", po="4500001"):  # fmt: skip
    return POLineFacts(
        id=id,
        po_number=po,
        line_no=no,
        description=desc,
        ordered=D(ordered),
        unit_price=D(price),
        item_code=code,
        category=category,
        tax_rate=D(19),
        received=D(ordered if received is None else received),
        billed=D(billed),
    )


def order(*lines, number="4500001", vendor=1, status="open", currency="EUR", three_way=True):
    return PurchaseOrderFacts(
        number=number,
        vendor_id=vendor,
        vendor_name="Acme" if vendor == 1 else "Other GmbH",
        currency=currency,
        status=status,
        lines=lines or (po_line(po=number),),
        three_way=three_way,
    )


def invoice(*lines, net=None, tax=None, total=None, **kw):
    lines = lines if lines != (None,) else ()
    if not lines and "no_lines" not in kw:
        lines = (line(),)
    kw.pop("no_lines", None)
    net = D(net) if net is not None else sum((x.amount for x in lines), D(0)) or D("250.00")
    tax = D(tax) if tax is not None else (net * D("0.19")).quantize(D("0.01"))
    total = D(total) if total is not None else net + tax
    values = {
        "invoice_number": "INV-1",
        "invoice_date": date(2026, 10, 10),
        "currency": "EUR",
        "net_amount": net,
        "tax_amount": tax,
        "total_amount": total,
        "po_number": "4500001",
        "vendor_id": 1,
        "vendor_name": "Acme",
        "lines": tuple(lines),
    }
    values.update(kw)
    return InvoiceFacts(**values)


def e_invoice(*lines, allowance="10.00", charge="5.00", reason="Freight", **kw):
    """An e-invoice as EN 16931 states it: the order's 10 boxes at 25.00 (S 19%), an
    allowance and a charge on the document, the totals BT-106 to BT-115 and the breakdown."""
    lines = lines or (replace(line(), tax_category="S"),)
    items = []
    if allowance:
        items.append(AllowanceCharge(D(allowance), False, "S", D(19), "Discount"))
    if charge:
        items.append(AllowanceCharge(D(charge), True, "S", D(19), reason))
    line_total = sum((x.amount for x in lines if x.counted), D(0))
    net = line_total - D(allowance or 0) + D(charge or 0)
    tax = (net * D("0.19")).quantize(D("0.01"))
    values = {
        "format": "ubl", "type_code": "380", "line_total_amount": line_total,
        "allowance_total_amount": D(allowance or 0), "charge_total_amount": D(charge or 0),
        "amount_due": net + tax, "allowances_charges": tuple(items),
        "tax_breakdown": (VatBreakdown("S", D(19), net, tax),),
    }  # fmt: skip
    values.update(kw)
    return invoice(*lines, net=str(net), tax=str(tax), **values)


PROBLEM = {
    "code": "EINVOICE_UNUSABLE",
    "message": "The PDF carries an e-invoice (factur-x.xml) that could not be used: it is not "
    "well-formed XML. The fields were read from the printed page.",
    "details": {"attachment": "factur-x.xml", "reason": "not well-formed"},
}
GROUP = replace(line(9, code="KIT-1", desc="Maintenance kit", qty="1", price="250.00"),
                counted=False)  # fmt: skip


@dataclass
class Case:
    name: str
    invoice: InvoiceFacts
    pos: list
    codes: list[str]
    says: list[str] = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    rules: Tolerances = RULES


CATEGORY_RULE = ToleranceRule(7, 2, "category", category="IT", price_percent=D(5))
VENDOR_RULE = ToleranceRule(5, 3, "vendor", vendor_id=1, price_percent=D("0.1"),
                            quantity_percent=D(10), total_absolute=D(10))  # fmt: skip
VENDOR_CATEGORY = ToleranceRule(9, 1, "vendor+category", vendor_id=1, category="IT",
                                price_percent=D(20))  # fmt: skip
LAPTOP = {"code": "NB-14", "desc": "Laptop 14 inch", "qty": "1"}

CASES = [
    # Clean invoices
    Case("clean three-way", invoice(), [order()], []),
    Case("price within tolerance", invoice(line(price="25.10")), [order()], []),
    Case("partial receipt billed in part", invoice(line(qty="4")),
         [order(po_line(received="4"))], []),
    Case("second delivery billed after the first", invoice(line(qty="6")),
         [order(po_line(received="10", billed="4"))], []),
    Case("two-way needs no receipt", invoice(), [order(po_line(received="0"), three_way=False)],
         []),
    Case("non-PO invoice", invoice(po_number=""), [], ["NOT_CODED"]),
    Case("matched by description without item code",
         invoice(line(code="", desc="A4 printer paper box")), [order()], []),
    Case("matched by item code despite another description",
         invoice(line(desc="Kopierpapier A4 Karton")), [order()], []),
    Case("two lines billing one PO line within receipt",
         invoice(line(1, qty="4"), line(2, qty="6")), [order()], []),
    Case("freight on the order is a matched charge",
         invoice(line(), line(2, code="", desc="Freight", qty="1", price="15.00")),
         [order(po_line(), po_line(12, 2, code="", desc="Freight charge", ordered="1",
                                   price="15.00"))], []),
    Case("small unplanned freight accepted by rule",
         invoice(line(), line(2, code="", desc="Shipping", qty="1", price="0.80")),
         [order()], []),
    Case("several POs on one invoice",
         invoice(line(), line(2, code="T-9", desc="Toner black", qty="2", price="40.00"),
                 po_number="4500001, 4500002"),
         [order(), order(po_line(21, 1, code="T-9", desc="Toner black", ordered="2",
                                 price="40.00", po="4500002"), number="4500002")], []),
    Case("credit note against billed goods", invoice(line(qty="2"), document_type="credit_note"),
         [order(po_line(billed="10"))], []),
    Case("bank details the same but spaced", invoice(vendor_iban="DE89 3704 0044 0532 0130 00",
                                                     vendor_iban_on_file="DE89370400440532013000"),
         [order()], []),
    Case("header-only invoice clean", invoice(None, no_lines=True, net="250.00"), [order()], []),
    # Prices
    Case("price above tolerance", invoice(line(price="27.50")), [order()], ["PRICE_VARIANCE"],
         ["billed at 27.50 EUR a unit, 2.50 EUR (10.00%) above the 25.00 EUR of purchase order "
          "4500001 line 1; the global tolerance (v1) allows 0.12 EUR"]),
    Case("price below tolerance", invoice(line(price="20.00")), [order()], ["PRICE_VARIANCE"],
         ["5.00 EUR (20.00%) below"]),
    # Quantities
    Case("more than ordered", invoice(line(qty="12")), [order(po_line(received="12"))],
         ["QTY_VARIANCE"], ["bills 12 of purchase order 4500001 line 1", "but 10 were ordered"]),
    Case("earlier invoices already billed", invoice(line(qty="6")),
         [order(po_line(billed="6"))], ["OVER_BILLED"],
         ["10 of purchase order 4500001 line 1 (Printer paper A4, box) were ordered and 6 "
          "already billed", "bills 6 more, 2 beyond the order"]),
    Case("not yet received", invoice(), [order(po_line(received="4"))], ["NOT_RECEIVED"],
         ["4 of purchase order 4500001 line 1", "so 4 can be billed; this invoice bills 10",
          "matched again when one arrives"]),
    Case("second invoice beyond what arrived", invoice(line(qty="6")),
         [order(po_line(received="6", billed="4"))], ["NOT_RECEIVED"], ["so 2 can be billed"]),
    Case("nothing received at all", invoice(), [order(po_line(received="0"))], ["NOT_RECEIVED"]),
    Case("two-way beyond the order", invoice(line(qty="12")),
         [order(po_line(received="0"), three_way=False)], ["QTY_VARIANCE"]),
    Case("two lines on one PO line beyond receipt", invoice(line(1, qty="4"), line(2, qty="6")),
         [order(po_line(received="8"))], ["NOT_RECEIVED"], ["this invoice bills 10"]),
    Case("credit note credits more than billed", invoice(line(qty="5"),
                                                         document_type="credit_note"),
         [order(po_line(billed="2"))], ["OVER_BILLED"], ["credits 5", "only 2 were billed"]),
    Case("line not on the order", invoice(line(), line(2, code="X-1", desc="Desk lamp",
                                                   qty="1", price="30")),
         [order()], ["OVER_BILLED"], ["Line 2 (Desk lamp) for 30.00 EUR is on no line of "
                                      "purchase order 4500001"]),
    Case("unplanned freight above the rule",
         invoice(line(), line(2, code="", desc="Fracht und Verpackung", qty="1", price="45.00")),
         [order()], ["OVER_BILLED"], ["Freight or surcharges not on the purchase order",
                                      "come to 45.00 EUR", "accepts up to 1.00 EUR"]),
    # Purchase orders
    Case("PO not found", invoice(po_number="4599999"), [], ["PO_NOT_FOUND"],
         ["No purchase order 4599999 exists"]),
    Case("one of two POs not found", invoice(po_number="4500001 / 4599999"), [order()],
         ["PO_NOT_FOUND"], ["No purchase order 4599999"]),
    Case("PO of another vendor", invoice(), [order(vendor=2)], ["PO_NOT_FOUND"],
         ["belongs to Other GmbH"]),
    Case("PO closed", invoice(), [order(status="closed")], ["PO_CLOSED"],
         ["Purchase order 4500001 is closed"]),
    Case("currency differs", invoice(), [order(currency="USD")], ["CURRENCY_MISMATCH"],
         ["The invoice is in EUR but purchase order 4500001 is in USD"]),
    # Vendor, bank, duplicates
    Case("unknown vendor", invoice(vendor_id=None, vendor_name="Newco Ltd"), [order()],
         ["VENDOR_UNKNOWN"], ["'Newco Ltd' is not in the vendor master"]),
    Case("bank details changed", invoice(vendor_iban="GB33BUKB20201555555555",
                                         vendor_iban_on_file="DE89370400440532013000"),
         [order()], ["BANK_DETAILS_CHANGED"],
         ["asks for payment to IBAN GB33BUKB20201555555555", "holds DE89370400440532013000",
          "two approvers"]),
    Case("duplicate number", invoice(), [order()], ["DUPLICATE"],
         ["may be a copy of the earlier invoice #7 (INV 1", "same vendor and invoice number"],
         duplicates=duplicate_findings("INV-1", "EUR", D("297.50"),
                                       [DuplicateHit(7, "same_number", "INV 1")])),
    Case("duplicate amount and date", invoice(), [order()], ["DUPLICATE"],
         ["earlier invoice #8 (INV-0001, dated 8 Oct 2026, total 297.50 EUR)",
          "same vendor and total, invoice dates at most 7 days apart"],
         duplicates=duplicate_findings("INV-1", "EUR", D("297.50"), [
             DuplicateHit(8, "same_amount_close_dates", "INV-0001", date(2026, 10, 8),
                          D("297.50"))])),
    # Fields and arithmetic
    Case("total missing", replace(invoice(), total_amount=None), [order()], ["MISSING_FIELD"],
         ["The total amount could not be read"]),
    Case("low confidence", invoice(low_confidence={"invoice_date": 0.4}), [order()],
         ["LOW_CONFIDENCE"], ["invoice date (40%)"]),
    Case("net plus tax is not the total", invoice(total="300.00"), [order()], ["TAX_MISMATCH"],
         ["BR-CO-15: the total 300.00 EUR should be net 250.00 + VAT 47.50 = 297.50 EUR"]),
    Case("tax not at the lines' rates", invoice(tax="30.00", total="280.00"), [order()],
         ["TAX_MISMATCH"], ["BR-CO-14: the VAT total 30.00 EUR should be the VAT at the lines' "
                            "rates (19%) = 47.50 EUR"]),
    Case("lines do not add up to the net", invoice(net="260.00", tax="49.40"), [order()],
         ["TAX_MISMATCH", "TAX_MISMATCH"], ["BR-CO-13: the net 260.00 EUR should be the sum of "
                                            "the lines = 250.00 EUR", "the global tolerance (v1) "
                                            "applies to lines read from a document"]),
    Case("credit note without PO", invoice(po_number="", document_type="credit_note"), [],
         ["CREDIT_NOTE"], ["credit note for 297.50 EUR that names no purchase order"]),
    # EN 16931: allowances and charges on the document, sub-lines, type codes
    Case("e-invoice with an allowance and a charge on the document", e_invoice(), [order()], []),
    Case("e-invoice whose net ignores its allowance and charge",
         replace(e_invoice(), net_amount=D("250.00"), total_amount=D("296.55"),
                 amount_due=D("296.55")), [order()],
         ["TAX_MISMATCH"], ["BR-CO-13: the net 250.00 EUR should be lines 250.00 - allowances "
                            "10.00 + charges 5.00 = 245.00 EUR."]),
    Case("a charge on the document that the order does not plan",
         e_invoice(allowance=None, charge="45.00"), [order()], ["OVER_BILLED"],
         ["(charges on the document (Freight)) come to 45.00 EUR"]),
    Case("a charge on the document that the order plans",
         e_invoice(allowance=None, charge="15.00"),
         [order(po_line(), po_line(12, 2, code="", desc="Freight", ordered="1", price="15.00"))],
         []),
    Case("a group line is neither matched nor summed",
         e_invoice(GROUP, replace(line(), tax_category="S")), [order()], []),
    Case("unknown type code", invoice(type_code="999"), [order()], ["DOCUMENT_TYPE"],
         ["type code 999 is not one of UNTDID 1001's"]),
    Case("proforma invoice", invoice(type_code="325"), [order()], ["DOCUMENT_TYPE"],
         ["This is a proforma invoice (type code 325): it claims no payment"]),
    Case("credit note of type 83 without PO",
         invoice(po_number="", document_type="credit_note", type_code="83"), [],
         ["CREDIT_NOTE"]),
    Case("self-billed invoice", invoice(type_code="389"), [order()], []),
    Case("corrected invoice, the original unknown",
         invoice(type_code="384", preceding_invoice_number="INV-0",
                 preceding_invoice_date=date(2026, 9, 30)), [order()], ["CORRECTED_INVOICE"],
         ["replaces invoice INV-0 of 30 Sept 2026, which is not in the system"]),
    Case("corrected invoice, the original paid",
         invoice(type_code="384", preceding_invoice_number="INV-0",
                 preceding_invoices=(EarlierInvoice(5, "INV-0", date(2026, 9, 30), "paid"),)),
         [order()], ["CORRECTED_INVOICE"],
         ["replaces invoice INV-0, invoice #5 (paid) here; it was already posted to the ERP"]),
    Case("corrected invoice naming no original", invoice(type_code="384"), [order()],
         ["CORRECTED_INVOICE"], ["does not say which invoice it corrects (BT-25)"]),
    Case("e-invoice attached to the PDF unusable", invoice(reading_problems=(PROBLEM,)),
         [order()], ["EINVOICE_UNUSABLE"], ["could not be used: it is not well-formed XML"]),
    # Tolerance precedence
    Case("vendor rule beats the global one", invoice(line(price="25.05")), [order()],
         ["PRICE_VARIANCE"], ["0.05 EUR (0.20%) above", "the vendor's tolerance (v3) allows"],
         rules=Tolerances((GLOBAL, VENDOR_RULE))),
    Case("vendor quantity tolerance", invoice(line(qty="11")), [order(po_line(received="11"))],
         [], rules=Tolerances((GLOBAL, VENDOR_RULE))),
    Case("category rule beats the vendor's", invoice(line(**LAPTOP, price="1040.00")),
         [order(po_line(code="NB-14", desc="Laptop 14 inch", ordered="1", price="1000.00",
                        category="IT"))], [],
         rules=Tolerances((GLOBAL, VENDOR_RULE, CATEGORY_RULE))),
    Case("category rule still has a limit", invoice(line(**LAPTOP, price="1080.00")),
         [order(po_line(code="NB-14", desc="Laptop 14 inch", ordered="1", price="1000.00",
                        category="IT"))], ["PRICE_VARIANCE"],
         ["the tolerance for category IT (v2) allows 50.00 EUR"],
         rules=Tolerances((GLOBAL, VENDOR_RULE, CATEGORY_RULE))),
    Case("the vendor's category rule beats all", invoice(line(**LAPTOP, price="1150.00")),
         [order(po_line(code="NB-14", desc="Laptop 14 inch", ordered="1", price="1000.00",
                        category="IT"))], [],
         rules=Tolerances((GLOBAL, VENDOR_RULE, CATEGORY_RULE, VENDOR_CATEGORY))),
    # Header only
    Case("header-only price variance", invoice(None, no_lines=True, net="280.00"), [order()],
         ["PRICE_VARIANCE"], ["Invoice net 280.00 EUR is 30.00 EUR above what is open"]),
    Case("header-only not received", invoice(None, no_lines=True, net="250.00"),
         [order(po_line(received="4"))], ["NOT_RECEIVED"], ["Goods worth 100.00 EUR"]),
    Case("header-only over billed", invoice(None, no_lines=True, net="250.00"),
         [order(po_line(billed="6"))], ["OVER_BILLED"],
         ["is 150.00 EUR above what is open", "of which 150.00 EUR was already billed"]),
    # Several at once
    Case("duplicate that also over-bills at a higher price", invoice(line(price="26.00")),
         [order(po_line(billed="10"))], ["DUPLICATE", "PRICE_VARIANCE", "OVER_BILLED"],
         duplicates=duplicate_findings("INV-1", "EUR", D("297.50"),
                                       [DuplicateHit(3, "same_number", "INV-1")])),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_matching(case):
    result = match(case.invoice, case.pos, duplicates=case.duplicates, tolerances=case.rules)

    assert sorted(result.codes) == sorted(case.codes)
    said = " | ".join(finding.message for finding in result.findings)
    for phrase in case.says:
        assert phrase in said
    for finding in result.findings:
        assert finding.message.endswith((".", ")"))  # a sentence, not a code


def test_there_are_at_least_forty_cases_and_every_code_is_covered():
    assert len(CASES) >= 40
    covered = {code for case in CASES for code in case.codes}
    assert covered >= {
        "PO_NOT_FOUND", "PRICE_VARIANCE", "QTY_VARIANCE", "NOT_RECEIVED", "OVER_BILLED",
        "PO_CLOSED", "DUPLICATE", "BANK_DETAILS_CHANGED", "VENDOR_UNKNOWN", "CURRENCY_MISMATCH",
        "TAX_MISMATCH", "MISSING_FIELD", "LOW_CONFIDENCE", "DOCUMENT_TYPE", "CORRECTED_INVOICE",
        "EINVOICE_UNUSABLE", "CREDIT_NOTE",
    }  # fmt: skip


def test_variances_carry_expected_actual_variance_and_the_tolerance_applied():
    result = match(invoice(line(price="27.50")), [order()], duplicates=[], tolerances=RULES)

    (finding,) = result.findings
    assert finding.details["expected"] == "25.00"
    assert finding.details["actual"] == "27.50"
    assert finding.details["variance"] == "2.50"
    assert finding.details["tolerance"] == "0.125"
    assert finding.details["tolerance_rule"]["id"] == 1
    assert finding.details["tolerance_rule"]["version"] == 1


def test_the_result_names_lines_orders_and_the_rules_used():
    result = match(
        invoice(line(**LAPTOP, price="1000.00")),
        [order(po_line(code="NB-14", desc="Laptop", ordered="1", price="1000.00", category="IT"))],
        duplicates=[],
        tolerances=Tolerances((GLOBAL, VENDOR_RULE, CATEGORY_RULE)),
    )

    assert result.clean
    assert result.purchase_orders == ["4500001"]
    assert [m.as_json() for m in result.line_matches] == [
        {"position": 1, "po_number": "4500001", "po_line_id": 11, "line_no": 1, "how": "item code"}
    ]
    assert [(rule.id, rule.version) for rule in result.tolerances] == [(7, 2)]


def test_an_invoice_without_po_is_matched_to_the_one_open_order_of_that_amount():
    wanted = order(po_line(ordered="10", price="25.00"), number="4500001")
    other = order(po_line(12, ordered="3", price="25.00"), number="4500002")
    bill = invoice(po_number="")

    assert po_by_amount(bill, [wanted, other], RULES) is wanted
    assert (
        po_by_amount(bill, [wanted, replace(other, number="x", lines=wanted.lines)], RULES) is None
    )
    assert po_by_amount(bill, [other], RULES) is None
    result = match(bill, [wanted], duplicates=[], tolerances=RULES, found_by="vendor and amount")
    assert result.clean
    assert result.purchase_orders == ["4500001"]


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("4500001", "4500001"),
        ("PO 4500-001", "4500001"),
        ("po#4500001", "4500001"),
        ("P.O. No. 4500001", "4500001"),
        ("Bestellnummer: 4500001", "4500001"),
        ("Commande n° 4500001", "4500001"),
        ("  ", ""),
        ("N/A", ""),
    ],
)
def test_po_numbers_are_normalised(raw, normal):
    assert normalise_po_number(raw) == normal


@pytest.mark.parametrize(
    ("raw", "numbers"),
    [
        ("4500001, 4500002", ["4500001", "4500002"]),
        ("PO 4500001 / PO 4500002", ["4500001", "4500002"]),
        ("4500001 and 4500002", ["4500001", "4500002"]),
        ("4500001; 4500001", ["4500001"]),
        ("", []),
    ],
)
def test_an_invoice_may_name_several_purchase_orders(raw, numbers):
    assert po_numbers(raw) == numbers


def test_a_failed_business_rule_names_the_rule_and_its_numbers():
    wrong = replace(
        e_invoice(), net_amount=D("250.00"), total_amount=D("296.55"), amount_due=D("296.55")
    )

    result = match(wrong, [order()], duplicates=[], tolerances=RULES)

    (finding,) = result.findings
    assert finding.code == "TAX_MISMATCH"
    assert finding.details["rule"] == "BR-CO-13"
    assert finding.details["expected"] == "245.00"
    assert finding.details["actual"] == "250.00"
    assert finding.details["variance"] == "5.00"
    assert finding.details["tolerance"] == "0"
    assert finding.details["terms"] == {"lines": "250.00", "allowances": "10.00", "charges": "5.00"}


def test_each_failed_rule_is_its_own_finding():
    wrong = replace(e_invoice(), line_total_amount=D("260.00"), amount_due=D("1.00"))

    result = match(wrong, [order()], duplicates=[], tolerances=RULES)

    rules = [f.details["rule"] for f in result.findings if f.code == "TAX_MISMATCH"]
    assert rules == ["BR-CO-10", "BR-CO-13", "BR-CO-16"]


def test_read_lines_get_the_tolerance_an_e_invoice_does_not():
    """A cent and more per read line is tolerated on a printed document (the header-total
    tolerance, 1.00 here); an e-invoice's sums are held to the rounding the rules allow."""
    printed = invoice(net="250.50", tax="47.50")
    stated = replace(printed, format="pdf+cii")

    assert match(printed, [order()], duplicates=[], tolerances=RULES).clean
    result = match(stated, [order()], duplicates=[], tolerances=RULES)
    assert [f.details["rule"] for f in result.findings] == ["BR-CO-13"]


def test_only_counted_lines_are_matched_to_the_order():
    result = match(e_invoice(GROUP, replace(line(), tax_category="S")), [order()],
                   duplicates=[], tolerances=RULES)  # fmt: skip

    assert [m.position for m in result.line_matches] == [1]


def test_a_corrected_invoice_names_the_original_it_found():
    earlier = EarlierInvoice(5, "INV 0", date(2026, 9, 30), "matched")
    corrected = invoice(
        type_code="384",
        preceding_invoice_number="INV-0",
        preceding_invoice_date=date(2026, 9, 30),
        preceding_invoices=(earlier,),
    )

    (finding,) = match(corrected, [order()], duplicates=[], tolerances=RULES).findings

    assert finding.code == "CORRECTED_INVOICE"
    assert finding.details["invoice_ids"] == [5]
    assert finding.details["preceding_invoice_number"] == "INV-0"
    assert finding.details["preceding_invoice_date"] == "2026-09-30"
    assert finding.details["already_posted"] is False
    assert "reject the original" in finding.message


def test_an_invoice_with_a_prepayment_says_what_is_due_instead_of_the_total():
    """Found by review: the ERP was told the total of an invoice that states 500.00 paid
    before; a person now checks the prepayment is booked against it."""
    paid = invoice(
        prepaid_amount=D("100.00"), amount_due=D("197.50"), format="ubl"
    )  # net 250.00 + tax 47.50 = 297.50

    result = match(paid, [order()], duplicates=[], tolerances=RULES)

    (finding,) = [f for f in result.findings if f.code == "PREPAID"]
    assert "100.00 EUR already paid (BT-113): the amount due is 197.50 EUR" in finding.message
    assert finding.details == {
        "prepaid_amount": "100.00",
        "amount_due": "197.50",
        "total": "297.50",
    }
    assert "PREPAID" not in match(invoice(), [order()], duplicates=[], tolerances=RULES).codes
