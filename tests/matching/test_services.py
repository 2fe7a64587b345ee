"""Matching with the database: candidates loaded in a bounded number of queries, billed
quantities from earlier invoices, tolerances as versioned data, waiting for goods."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import pipeline
from core.demo_documents import DemoLine, ubl_xml
from core.models import Document, GoodsReceipt, GoodsReceiptLine, Invoice, Status
from extraction.intake import receive
from matching.models import MatchRun, ToleranceRule
from matching.services import low_confidence_fields, match_invoice
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
