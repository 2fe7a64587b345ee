"""Matching with the database: candidates loaded in a bounded number of queries, billed
quantities from earlier invoices, tolerances as versioned data, waiting for goods; the EN
16931 model (allowances, charges, breakdown, sub-lines, type codes) loaded and checked."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import pipeline
from core.demo_documents import DemoLine, ubl_xml
from core.models import (
    Document,
    GoodsReceipt,
    GoodsReceiptLine,
    Invoice,
    InvoiceAllowanceCharge,
    InvoiceLine,
    InvoiceTaxSubtotal,
    Status,
)
from extraction.intake import receive
from matching.models import MatchRun, ToleranceRule
from matching.services import FACTS_PREFETCH, invoice_facts, low_confidence_fields, match_invoice
from tests.factories import demo_invoice, make_purchase_order, make_vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return make_vendor()


def _extracted(vendor, name="inv.xml", **overrides) -> Invoice:
    data = ubl_xml(demo_invoice(vendor, **overrides))
    invoice = receive(data, name=name, channel=Document.Channel.UPLOAD, actor="test").invoice
    from extraction.services import extract_invoice

    extract_invoice(invoice)
    invoice.refresh_from_db()
    assert invoice.status == Status.EXTRACTED
    return invoice


def _lines(count: int):
    return [(f"P-{n}", f"Item number {n}", "10", "25.00", "19") for n in range(1, count + 1)]


def _billing(count: int):
    """Invoice lines billing all of the order _lines(count) makes."""
    return [
        DemoLine(f"P-{n}", f"Item number {n}", Decimal(10), Decimal(25), Decimal(19))
        for n in range(1, count + 1)
    ]


def _paper(price: str) -> DemoLine:
    """The factories' order line (10 boxes of paper at 25.00), billed at `price`."""
    return DemoLine("P-100", "Printer paper A4, box", Decimal(10), Decimal(price), Decimal(19))


def _queries_to_match(invoice) -> int:
    with CaptureQueriesContext(connection) as queries:
        match_invoice(invoice)
    return len(queries)


def test_matching_costs_the_same_queries_for_a_small_and_a_large_order(acme):
    make_purchase_order(acme, "4500001", lines=_lines(2))
    make_purchase_order(acme, "4500002", lines=_lines(40))
    for n in range(20):  # an order book with other orders and their invoices
        make_purchase_order(acme, f"46{n:05}", lines=_lines(3))
    small = _extracted(
        acme,
        "a.xml",
        po_number="4500001",
        invoice_number="A-1",
        lines=_billing(2),
    )
    large = _extracted(
        acme,
        "b.xml",
        po_number="4500002",
        invoice_number="B-1",
        lines=_billing(40),
    )

    small_queries = _queries_to_match(small)
    large_queries = _queries_to_match(large)

    assert Invoice.objects.get(pk=small.pk).status == Status.MATCHED
    assert large_queries == small_queries
    # Loading (invoice with lines, tolerances, orders, lines with received and billed,
    # duplicates) plus recording (run, line links, transition, audit event): bounded.
    assert small_queries <= 30, small_queries
    assert Invoice.objects.get(pk=large.pk).status == Status.MATCHED


def test_earlier_invoices_count_as_billed_and_a_credit_note_gives_it_back(acme):
    make_purchase_order(acme)
    first = _extracted(acme, "first.xml", invoice_number="A-1")
    match_invoice(first)
    assert Invoice.objects.get(pk=first.pk).status == Status.MATCHED
    assert first.lines.get().po_line is not None

    second = _extracted(acme, "second.xml", invoice_number="A-2", invoice_date=date(2026, 9, 1))
    match_invoice(second)
    second.refresh_from_db()
    assert list(second.open_exceptions().values_list("code", flat=True)) == ["OVER_BILLED"]
    assert "10 already billed" in second.exceptions.get().message


def test_the_tolerance_used_and_its_version_are_stored_with_the_match(acme):
    make_purchase_order(acme)
    rule = ToleranceRule.objects.create(price_percent=Decimal(1))
    rule.price_percent = Decimal(12)
    rule.save()
    assert rule.version == 2
    assert rule.history.count() == 2
    invoice = _extracted(acme, lines=[_paper(price="27.50")])

    match_invoice(invoice)

    run = MatchRun.objects.get(invoice=invoice)
    rule.refresh_from_db()
    assert run.clean
    assert run.tolerances == [rule.facts().as_json()]
    assert run.tolerances[0]["version"] == 2
    assert run.line_matches[0]["how"] == "item code"
    assert Invoice.objects.get(pk=invoice.pk).status == Status.MATCHED


def test_a_vendor_rule_beats_the_global_one_in_the_database_too(acme):
    make_purchase_order(acme)
    ToleranceRule.objects.create(price_percent=Decimal(20))
    ToleranceRule.objects.create(vendor=acme, price_percent=Decimal("0.1"))
    invoice = _extracted(acme, lines=[_paper(price="27.50")])

    match_invoice(invoice)

    problem = Invoice.objects.get(pk=invoice.pk).exceptions.get()
    assert problem.code == "PRICE_VARIANCE"
    assert "the vendor's tolerance (v1)" in problem.message


def test_an_invoice_without_po_number_finds_the_vendors_open_order_by_amount(acme):
    make_purchase_order(acme, "4500001")
    make_purchase_order(acme, "4500002", lines=[("X", "Other", "1", "99.00", "19")])
    invoice = _extracted(acme, po_number="")

    match_invoice(invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.MATCHED
    assert invoice.purchase_order.number == "4500001"
    assert MatchRun.objects.get(invoice=invoice).found_by == "vendor and amount"


def test_an_invoice_without_po_and_no_fitting_order_is_a_non_po_invoice(acme):
    make_purchase_order(acme, "4500001", lines=[("X", "Other", "1", "99.00", "19")])
    invoice = _extracted(acme, po_number="")

    match_invoice(invoice)

    invoice.refresh_from_db()
    assert invoice.purchase_order is None
    # Without an order to take the coding from, a clerk codes its lines first (core.coding).
    assert invoice.status == Status.NEEDS_REVIEW
    assert list(invoice.open_exceptions().values_list("code", flat=True)) == ["NOT_CODED"]
    assert invoice.open_exceptions().get().details == {"positions": [1]}


def test_a_coded_non_po_invoice_matches(acme):
    invoice = _extracted(acme, po_number="")
    invoice.lines.update(gl_account="6300", cost_center="CC-100")

    match_invoice(invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.MATCHED
    assert invoice.purchase_order is None


def test_an_invoice_waiting_for_goods_goes_on_when_the_receipt_arrives(
    acme, django_capture_on_commit_callbacks
):
    po = make_purchase_order(acme, received=False)
    invoice = _extracted(acme)
    match_invoice(invoice)
    invoice.refresh_from_db()
    assert list(invoice.open_exceptions().values_list("code", flat=True)) == ["NOT_RECEIVED"]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        receipt = GoodsReceipt.objects.create(
            number="GR-1", purchase_order=po, received_on=date(2026, 10, 12)
        )
        GoodsReceiptLine.objects.create(
            receipt=receipt, po_line=po.lines.get(), quantity=Decimal(10)
        )
    assert callbacks  # the re-match runs once the receipt is committed

    invoice.refresh_from_db()
    assert invoice.status == Status.EXTRACTED  # queued for matching again
    invoice = pipeline.advance(invoice.pk)
    assert invoice.status == Status.POSTED
    assert not invoice.open_exceptions().exists()


def test_a_receipt_does_not_release_an_invoice_held_for_something_else(
    acme, django_capture_on_commit_callbacks
):
    po = make_purchase_order(acme, received=False)
    invoice = _extracted(acme, lines=[_paper(price="30.00")])
    match_invoice(invoice)

    with django_capture_on_commit_callbacks(execute=True):
        receipt = GoodsReceipt.objects.create(
            number="GR-1", purchase_order=po, received_on=date(2026, 10, 12)
        )
        GoodsReceiptLine.objects.create(
            receipt=receipt, po_line=po.lines.get(), quantity=Decimal(10)
        )

    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    assert "PRICE_VARIANCE" in invoice.open_exceptions().values_list("code", flat=True)


def test_a_two_way_vendor_needs_no_receipt(acme):
    acme.match_mode = "two_way"
    acme.save()
    make_purchase_order(acme, received=False)
    invoice = _extracted(acme)

    match_invoice(invoice)

    assert Invoice.objects.get(pk=invoice.pk).status == Status.MATCHED


def test_bank_details_that_differ_from_the_vendor_master_hold_the_invoice(acme):
    make_purchase_order(acme)
    invoice = _extracted(acme, vendor_iban="GB33BUKB20201555555555")

    match_invoice(invoice)

    problem = Invoice.objects.get(pk=invoice.pk).exceptions.get()
    assert problem.code == "BANK_DETAILS_CHANGED"
    assert problem.details["approvers_required"] == 2


def test_there_is_one_tolerance_rule_per_scope(acme):
    from django.db import IntegrityError, transaction

    ToleranceRule.objects.create()
    ToleranceRule.objects.create(vendor=acme)
    ToleranceRule.objects.create(category="IT")
    ToleranceRule.objects.create(vendor=acme, category="IT")
    for duplicate in ({}, {"vendor": acme}, {"category": "IT"}, {"vendor": acme, "category": "IT"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ToleranceRule.objects.create(**duplicate)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("linked", "po_vendor", "unsure"),
    [
        (True, "own", {"invoice_date": 0.4}),  # the master vouches for name and order
        (True, "other", {"invoice_date": 0.4, "po_number": 0.4}),  # another vendor's PO
        (False, "own", {"invoice_date": 0.4, "vendor_name": 0.4, "po_number": 0.4}),
    ],
)
def test_what_the_master_data_vouches_for_is_not_unsure(acme, linked, po_vendor, unsure):
    other = make_vendor(name="Other Supplies Ltd", vat_id="GB123456789", external_id="V-9")
    make_purchase_order(acme if po_vendor == "own" else other, number="4500777")
    document = Document.objects.create(sha256="c" * 64, original_name="x.pdf", size=1)
    invoice = Invoice.objects.create(
        document=document,
        vendor=acme if linked else None,
        vendor_name="Acme Office Supplies",
        po_number="4500777",
        invoice_date=date(2026, 10, 10),
        confidence={"vendor_name": 0.4, "po_number": 0.4, "invoice_date": 0.4},
    )

    assert low_confidence_fields(invoice) == unsure


# --- the EN 16931 model: allowances, charges, breakdown, sub-lines, type codes -------------


def _e_invoice(vendor, number="KFS-2026/0900", allowances=1, **fields) -> Invoice:
    """An extracted e-invoice stored as the readers store one: the order's 10 boxes at 25.00
    (S 19%) under a GROUP line that is not counted, a line allowance inside the line's
    amount, and on the document allowances of 10.00 in all and a charge of 5.00 (freight)."""
    values = {
        "status": Status.EXTRACTED, "format": "ubl", "type_code": "380",
        "invoice_number": number, "invoice_date": date(2026, 10, 10), "currency": "EUR",
        "po_number": "4500001", "vendor": vendor, "vendor_name": vendor.name,
        "line_total_amount": Decimal("250.00"), "allowance_total_amount": Decimal("10.00"),
        "charge_total_amount": Decimal("5.00"), "net_amount": Decimal("245.00"),
        "tax_amount": Decimal("46.55"), "total_amount": Decimal("291.55"),
        "amount_due": Decimal("291.55"),
    }  # fmt: skip
    values.update(fields)
    key = hashlib.sha256(f"{vendor.pk}:{number}".encode()).hexdigest()
    document = Document.objects.create(sha256=key, original_name="e.xml", size=1)
    invoice = Invoice.objects.create(document=document, **values)
    s19 = {"tax_rate": Decimal(19), "tax_category": "S"}
    InvoiceLine.objects.create(
        invoice=invoice,
        position=1,
        description="Office kit",
        amount=Decimal("250.00"),
        line_id="1",
        line_status="GROUP",
        counted=False,
        **s19,
    )
    detail = InvoiceLine.objects.create(
        invoice=invoice,
        position=2,
        item_code="P-100",
        description="Printer paper A4, box",
        quantity=Decimal(10),
        unit_price=Decimal("25.00"),
        amount=Decimal("250.00"),
        line_id="1.1",
        parent_line_id="1",
        line_status="DETAIL",
        **s19,
    )
    InvoiceAllowanceCharge.objects.create(
        invoice=invoice, line=detail, position=1, charge=False, amount=Decimal("2.00")
    )
    on_document = [(False, Decimal("10.00") / allowances, "Discount")] * allowances
    on_document.append((True, Decimal("5.00"), "Freight"))
    for position, (charge, amount, reason) in enumerate(on_document, start=1):
        InvoiceAllowanceCharge.objects.create(
            invoice=invoice, position=position, charge=charge, amount=amount, reason=reason, **s19
        )
    InvoiceTaxSubtotal.objects.create(
        invoice=invoice,
        category="S",
        rate=Decimal(19),
        taxable_amount=Decimal("245.00"),
        tax_amount=Decimal("46.55"),
    )
    return invoice


def _open_codes(invoice) -> list[str]:
    return sorted(
        Invoice.objects.get(pk=invoice.pk).open_exceptions().values_list("code", flat=True)
    )


def test_an_e_invoice_with_allowances_charges_and_sub_lines_matches(acme):
    make_purchase_order(acme)
    invoice = _e_invoice(acme)

    match_invoice(invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.MATCHED
    # Only the counted detail line bills the order; the group line is linked to nothing.
    assert dict(invoice.lines.values_list("line_status", "po_line__line_no")) == {
        "GROUP": None,
        "DETAIL": 1,
    }


def test_a_broken_business_rule_holds_the_invoice_naming_the_rule(acme):
    make_purchase_order(acme)
    invoice = _e_invoice(acme, net_amount=Decimal("250.00"), total_amount=Decimal("296.55"),
                         amount_due=Decimal("296.55"))  # fmt: skip

    match_invoice(invoice)

    problem = Invoice.objects.get(pk=invoice.pk).exceptions.get()
    assert problem.code == "TAX_MISMATCH"
    assert problem.details["rule"] == "BR-CO-13"
    assert (problem.details["expected"], problem.details["actual"]) == ("245.00", "250.00")
    assert problem.message.startswith("BR-CO-13: the net 250.00 EUR should be lines 250.00")


def test_the_facts_cost_the_same_queries_however_many_allowances(acme):
    few, many = _e_invoice(acme, "A-1"), _e_invoice(acme, "A-2", allowances=8)

    def queries(invoice):
        with CaptureQueriesContext(connection) as captured:
            loaded = Invoice.objects.select_related("vendor").prefetch_related(*FACTS_PREFETCH)
            facts = invoice_facts(loaded.get(pk=invoice.pk))
        return len(captured), facts

    few_queries, _ = queries(few)
    many_queries, many_facts = queries(many)

    assert few_queries == many_queries
    assert len(many_facts.allowances_charges) == 9  # the line's own allowance is not one
    assert [line.counted for line in many_facts.lines] == [False, True]
    assert many_facts.tax_breakdown[0].taxable_amount == Decimal("245.00")


@pytest.mark.parametrize(("code", "says"), [("999", "type code 999"), ("325", "proforma")])
def test_an_unknown_type_code_or_a_proforma_is_not_paid(acme, code, says):
    make_purchase_order(acme)
    invoice = _e_invoice(acme, type_code=code)

    match_invoice(invoice)

    problem = Invoice.objects.get(pk=invoice.pk).exceptions.get()
    assert problem.code == "DOCUMENT_TYPE"
    assert says in problem.message
    assert problem.details["type_code"] == code


def test_a_credit_note_of_any_credit_type_code_is_a_credit_note(acme):
    invoice = _e_invoice(acme, type_code="83", document_type="credit_note", po_number="")

    match_invoice(invoice)

    assert _open_codes(invoice) == ["CREDIT_NOTE"]


def test_a_corrected_invoice_names_the_original_found_for_the_vendor(acme):
    make_purchase_order(acme)
    other = make_vendor(name="Other Supplies Ltd", vat_id="GB123456789", external_id="V-9")
    original = _e_invoice(acme, "KFS-2026/0815", status=Status.PAID, invoice_date=date(2026, 9, 1))
    _e_invoice(other, "KFS-2026/0815", status=Status.POSTED)  # another vendor's: not it
    corrected = _e_invoice(acme, type_code="384", preceding_invoice_number="kfs 2026 0815",
                           preceding_invoice_date=date(2026, 9, 1))  # fmt: skip

    match_invoice(corrected)

    problem = Invoice.objects.get(pk=corrected.pk).exceptions.get()
    assert problem.code == "CORRECTED_INVOICE"
    assert problem.details["invoice_ids"] == [original.pk]
    assert problem.details["already_posted"] is True
    assert f"invoice #{original.pk} (paid) here" in problem.message


def test_a_corrected_invoice_whose_original_is_not_in_the_system_says_so(acme):
    make_purchase_order(acme)
    corrected = _e_invoice(acme, type_code="384", preceding_invoice_number="KFS-2026/0001")

    match_invoice(corrected)

    problem = Invoice.objects.get(pk=corrected.pk).exceptions.get()
    assert problem.code == "CORRECTED_INVOICE"
    assert problem.details["invoice_ids"] == []
    assert "which is not in the system" in problem.message


def test_reading_problems_are_raised_with_their_own_code(acme):
    make_purchase_order(acme)
    reason = "The PDF's e-invoice (factur-x.xml) could not be used: it is not well-formed."
    invoice = _e_invoice(acme, reading_problems=[
        {"code": "EINVOICE_UNUSABLE", "message": reason, "details": {"file": "factur-x.xml"}}
    ])  # fmt: skip

    match_invoice(invoice)

    problem = Invoice.objects.get(pk=invoice.pk).exceptions.get()
    assert (problem.code, problem.message) == ("EINVOICE_UNUSABLE", reason)
    assert problem.details == {"file": "factur-x.xml"}
