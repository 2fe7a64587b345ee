"""Issue 17: what an e-invoice states of the EN 16931 model is stored on the invoice and
its lines (type code, totals, periods, preceding invoice, allowances and charges, VAT
breakdown, sub-lines), replaced when it is read again, bounded like the header fields; a
reading problem is kept for matching to raise, and a clerk's correction settles it."""

import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals import triage
from audit.models import AuditEvent
from core import exports
from core.models import Document, Invoice, InvoiceAllowanceCharge, InvoiceTaxSubtotal, Status
from extraction.corrections import correct_fields
from extraction.intake import receive
from extraction.services import record_extraction
from extraction.types import (
    DETAIL,
    GROUP,
    INFORMATION,
    AllowanceCharge,
    DocumentTotals,
    ExtractedField,
    ExtractionResult,
    LineItem,
    Provenance,
    TaxSubtotal,
)

pytestmark = pytest.mark.django_db

D = Decimal


def corrected_invoice_result(**overrides) -> ExtractionResult:
    """A corrected invoice (384) as an XML reader gives it, with all of the model, whose
    sums hold: lines 1080 + 800 + 100 + 100 = 2080.00 (BT-106; the GROUP line and the
    INFORMATION line are not counted), less a 39.60 allowance plus a 25.00 charge = net
    2065.40, + VAT 373.43 = 2438.83, less 500.00 paid plus 0.17 rounding = 1939.00 due."""
    header = {
        "vendor_name": "Acme Office Supplies GmbH",
        "vendor_vat_id": "DE123456789",
        "vendor_iban": "DE89370400440532013000",
        "invoice_number": "INV-2026-0901",
        "invoice_date": date(2026, 11, 2),
        "due_date": date(2026, 12, 2),
        "currency": "EUR",
        "net_amount": D("2065.40"),
        "tax_amount": D("373.43"),
        "total_amount": D("2438.83"),
        "po_number": "4500001",
    }
    values = {
        "format": "cii",
        "fields": {
            name: ExtractedField(value, 1.0, Provenance("xml")) for name, value in header.items()
        },
        "document_type": "invoice",
        "type_code": "384",
        "lines": [
            LineItem(
                "Consulting, October",
                D(10),
                D("120.00"),
                D("1080.00"),
                item_code="SRV-1",
                tax_rate=D(19),
                tax_category="S",
                line_id="1",
                period_start=date(2026, 10, 1),
                period_end=date(2026, 10, 31),
                allowances_charges=(
                    AllowanceCharge(
                        False, D("120.00"), D("1200.00"), D(10), "Loyalty discount", "95"
                    ),
                ),
            ),
            LineItem(
                "Workstation bundle",
                D(1),
                D("900.00"),
                D("900.00"),
                tax_rate=D(19),
                tax_category="S",
                line_id="2",
                status=GROUP,
                counted=False,
            ),
            LineItem(
                "Laptop 14 inch",
                D(1),
                D("800.00"),
                D("800.00"),
                item_code="HW-14",
                tax_rate=D(19),
                tax_category="S",
                line_id="2.1",
                parent_line_id="2",
                status=DETAIL,
            ),
            LineItem(
                "Docking station",
                D(1),
                D("100.00"),
                D("100.00"),
                item_code="HW-DS",
                tax_rate=D(19),
                tax_category="S",
                line_id="2.2",
                parent_line_id="2",
                status=DETAIL,
            ),
            LineItem(
                "Training course, 1 day",
                D(1),
                D("100.00"),
                D("100.00"),
                tax_rate=D(0),
                tax_category="E",
                line_id="3",
            ),
            LineItem("Delivered with note LS-4711", line_id="4", status=INFORMATION, counted=False),
        ],
        "allowances_charges": [
            AllowanceCharge(
                False, D("39.60"), D("1980.00"), D(2), "Early order discount", "64", "S", D(19)
            ),
            AllowanceCharge(
                True,
                D("25.00"),
                reason="Freight",
                reason_code="FC",
                tax_category="S",
                tax_rate=D(19),
            ),
        ],
        "tax_breakdown": [
            TaxSubtotal("S", D(19), D("1965.40"), D("373.43")),
            TaxSubtotal(
                "E",
                D(0),
                D("100.00"),
                D("0.00"),
                "Exempt under Article 132 (1)(i) of Directive 2006/112/EC",
                "VATEX-EU-132-1I",
            ),
        ],
        "totals": DocumentTotals(
            D("2080.00"), D("39.60"), D("25.00"), D("500.00"), D("0.17"), D("1939.00")
        ),
        "period_start": date(2026, 10, 1),
        "period_end": date(2026, 10, 31),
        "preceding_invoice_number": "INV-2026-0815",
        "preceding_invoice_date": date(2026, 10, 2),
    }
    values.update(overrides)
    return ExtractionResult(**values)


def received(name="corrected.xml") -> Invoice:
    return receive(
        f"<{name}/>".encode(), name=name, channel=Document.Channel.UPLOAD, actor="test"
    ).invoice


def recorded(result: ExtractionResult, invoice: Invoice | None = None) -> Invoice:
    invoice = invoice or received()
    record_extraction(invoice, result)
    invoice.refresh_from_db()
    assert invoice.status == Status.EXTRACTED
    return invoice


def _extracted_inputs(invoice: Invoice) -> dict:
    event = AuditEvent.objects.filter(invoice_id=invoice.pk, action="invoice.extracted").last()
    return event.payload["inputs"]


def test_the_whole_model_is_stored_on_the_invoice_and_its_lines():
    invoice = recorded(corrected_invoice_result())

    assert (invoice.type_code, invoice.document_type) == ("384", "invoice")
    assert (invoice.line_total_amount, invoice.allowance_total_amount) == (D("2080.00"), D("39.60"))
    assert (invoice.charge_total_amount, invoice.prepaid_amount) == (D("25.00"), D("500.00"))
    assert (invoice.rounding_amount, invoice.amount_due) == (D("0.17"), D("1939.00"))
    assert (invoice.period_start, invoice.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert invoice.preceding_invoice_number == "INV-2026-0815"
    assert invoice.preceding_invoice_date == date(2026, 10, 2)
    assert invoice.reading_problems == []

    lines = list(invoice.lines.order_by("position"))
    assert [
        (line.line_id, line.parent_line_id, line.line_status, line.counted) for line in lines
    ] == [
        ("1", "", "", True),
        ("2", "", GROUP, False),
        ("2.1", "2", DETAIL, True),
        ("2.2", "2", DETAIL, True),
        ("3", "", "", True),
        ("4", "", INFORMATION, False),
    ]
    assert [line.tax_category for line in lines] == ["S", "S", "S", "S", "E", ""]
    assert (lines[0].period_start, lines[0].period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert lines[5].amount is None

    on_document = InvoiceAllowanceCharge.objects.filter(invoice=invoice, line=None)
    assert [
        (row.position, row.charge, row.amount, row.reason, row.tax_category) for row in on_document
    ] == [
        (1, False, D("39.60"), "Early order discount", "S"),
        (2, True, D("25.00"), "Freight", "S"),
    ]
    (on_line,) = lines[0].allowances_charges.all()
    assert (on_line.invoice_id, on_line.position, on_line.charge) == (invoice.pk, 1, False)
    assert (on_line.amount, on_line.base_amount, on_line.percent) == (
        D("120.00"),
        D("1200.00"),
        D(10),
    )
    assert (on_line.reason, on_line.reason_code) == ("Loyalty discount", "95")

    assert [
        (row.category, row.rate, row.taxable_amount, row.tax_amount, row.exemption_reason_code)
        for row in invoice.tax_breakdown.all()
    ] == [
        ("S", D(19), D("1965.40"), D("373.43"), ""),
        ("E", D(0), D("100.00"), D("0.00"), "VATEX-EU-132-1I"),
    ]


def test_the_extracted_event_names_the_type_code_and_counts_what_was_stored():
    invoice = recorded(corrected_invoice_result())

    inputs = _extracted_inputs(invoice)
    assert inputs["type_code"] == "384"
    assert (inputs["allowances"], inputs["charges"]) == (1, 1)
    assert inputs["line_allowances_charges"] == 1
    assert inputs["tax_breakdown_rows"] == 2
    assert inputs["lines_not_counted"] == 2
    assert inputs["problems"] == []


def test_reading_again_replaces_lines_allowances_charges_and_breakdown():
    invoice = recorded(corrected_invoice_result())
    Invoice.objects.filter(pk=invoice.pk).update(status=Status.RECEIVED)  # as reprocess does

    again = recorded(
        corrected_invoice_result(
            lines=[LineItem("One line", D(1), D("2080.00"), D("2080.00"), tax_category="S")],
            allowances_charges=[AllowanceCharge(True, D("5.00"), reason="Packing")],
            tax_breakdown=[TaxSubtotal("S", D(19), D("2085.00"), D("396.15"))],
            totals=DocumentTotals(line_total=D("2080.00")),
            period_start=None,
            period_end=None,
            preceding_invoice_number="",
            preceding_invoice_date=None,
            type_code="380",
        ),
        invoice,
    )

    assert [line.description for line in again.lines.all()] == ["One line"]
    assert [(row.charge, row.reason) for row in again.allowances_charges.all()] == [
        (True, "Packing")
    ]
    assert [row.taxable_amount for row in again.tax_breakdown.all()] == [D("2085.00")]
    assert InvoiceAllowanceCharge.objects.count() == 1
    assert InvoiceTaxSubtotal.objects.count() == 1
    assert (again.type_code, again.prepaid_amount, again.amount_due) == ("380", None, None)
    assert (again.period_start, again.preceding_invoice_number) == (None, "")


def test_hostile_values_are_trimmed_or_dropped_not_a_failed_save():
    huge = D("1e17")
    result = corrected_invoice_result(
        type_code="3" * 40,
        totals=DocumentTotals(D("2080.00"), amount_due=huge, rounding=D("NaN")),
        preceding_invoice_number="P" * 200,
        lines=[
            LineItem(
                "x" * 900,
                huge,
                D("1e15"),
                D("10.00"),
                tax_rate=D(5000),
                tax_category="LONGCAT",
                line_id="9" * 100,
                parent_line_id="8" * 100,
                status="S" * 40,
                allowances_charges=(AllowanceCharge(False, huge, reason="absurd"),),
            ),
        ],
        allowances_charges=[
            AllowanceCharge(
                False, D("1.00"), percent=D(123456), reason="r" * 1000, reason_code="CODE-TOO-LONG"
            ),
            AllowanceCharge(True, huge, reason="absurd"),
        ],
        tax_breakdown=[TaxSubtotal("S" * 10, D(-99999), huge, D("1.00"), "e" * 900, "v" * 90)],
    )

    invoice = recorded(result)

    assert invoice.type_code == "33333333"
    assert (invoice.amount_due, invoice.rounding_amount) == (None, None)
    assert invoice.preceding_invoice_number == "P" * 64
    (line,) = invoice.lines.all()
    assert (len(line.description), line.quantity, line.unit_price) == (500, None, None)
    assert (line.amount, line.tax_rate, line.tax_category) == (D("10.00"), None, "LONG")
    assert (len(line.line_id), len(line.parent_line_id), len(line.line_status)) == (64, 64, 16)
    assert not line.allowances_charges.exists()  # an amount no invoice has: not stored
    (allowance,) = invoice.allowances_charges.all()
    assert (allowance.percent, len(allowance.reason), allowance.reason_code) == (
        None,
        300,
        "CODE-TOO",
    )
    (row,) = invoice.tax_breakdown.all()
    assert (row.category, row.rate, row.taxable_amount, row.tax_amount) == (
        "SSSS",
        None,
        None,
        D("1.00"),
    )
    assert (len(row.exemption_reason), len(row.exemption_reason_code)) == (300, 32)


UNUSABLE = {
    "code": "EINVOICE_UNUSABLE",
    "message": "The PDF carries an e-invoice (factur-x.xml) that could not be read: it is "
    "not well-formed XML. The fields were read from the printed page instead.",
    "details": {"attachment": "factur-x.xml", "reason": "not well-formed"},
}


def test_a_reading_problem_is_stored_for_matching_to_raise():
    invoice = recorded(corrected_invoice_result(format="pdf-text", problems=[UNUSABLE]))

    assert invoice.reading_problems == [UNUSABLE]
    assert _extracted_inputs(invoice)["problems"] == ["EINVOICE_UNUSABLE"]


def _unusable_in_review():
    invoice = recorded(corrected_invoice_result(format="pdf-text", problems=[UNUSABLE]))
    invoice.send_to_review([UNUSABLE], actor="system:matching", reason="E-invoice unusable")
    return invoice


def test_a_correction_does_not_settle_the_reading_problem(clerk):
    """Changing one field is no proof that every field was checked (found by review): the
    problem stays, and matching again raises it again."""
    invoice = _unusable_in_review()

    changed = correct_fields(invoice, clerk, {"due_date": date(2026, 12, 3)})

    assert changed == ["due_date"]
    invoice.refresh_from_db()
    assert invoice.reading_problems == [UNUSABLE]
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.fields_corrected")
    assert event.payload["reason"] == "Corrected due date"


def test_a_clerk_confirms_the_fields_against_the_e_invoice_saying_what_was_compared(clerk):
    invoice = _unusable_in_review()

    with pytest.raises(ValidationError, match="Say what you compared"):
        triage.confirm_reading(invoice, clerk, "  ")
    went_on = triage.confirm_reading(invoice, clerk, "Opened factur-x.xml: all fields agree")

    assert went_on
    invoice.refresh_from_db()
    assert invoice.reading_problems == []
    assert invoice.status == Status.PENDING_APPROVAL
    finding = invoice.exceptions.get(code="EINVOICE_UNUSABLE")
    assert finding.resolved_by == clerk
    assert finding.details["confirmed"]["comment"] == "Opened factur-x.xml: all fields agree"
    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.reading_confirmed")
    assert event.payload["settled"] == ["EINVOICE_UNUSABLE"]
    with pytest.raises(ValidationError, match="Only an invoice in review"):
        triage.confirm_reading(invoice, clerk, "again")


def test_there_is_nothing_to_confirm_without_an_open_reading_problem(clerk):
    invoice = recorded(corrected_invoice_result())
    invoice.send_to_review([], actor="system:matching", reason="A look")

    with pytest.raises(ValidationError, match="no open EINVOICE_UNUSABLE"):
        triage.confirm_reading(invoice, clerk, "compared")


def test_the_audit_pack_keeps_the_model_as_it_was_read(compliance):
    invoice = recorded(corrected_invoice_result())

    _, data = exports.audit_pack(invoice, user=compliance)

    extraction = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("extraction.json"))
    assert extraction["type_code"] == "384"
    assert extraction["totals"]["amount_due"] == "1939.00"
    assert [
        (item["line__position"], item["reason"]) for item in extraction["allowances_charges"]
    ] == [
        (None, "Early order discount"),
        (None, "Freight"),
        (1, "Loyalty discount"),
    ]
    assert [row["category"] for row in extraction["tax_breakdown"]] == ["S", "E"]
    assert [line["counted"] for line in extraction["lines"]] == [
        True,
        False,
        True,
        True,
        True,
        False,
    ]


def test_the_invoice_screen_offers_the_confirmation_and_carries_it_out(client, clerk):
    invoice = _unusable_in_review()
    client.force_login(clerk)

    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    assert 'value="confirm_reading"' in page
    client.post(
        reverse("invoice_act", args=[invoice.pk]),
        {"action": "confirm_reading", "comment": "Compared with factur-x.xml"},
    )

    invoice.refresh_from_db()
    assert invoice.status == Status.PENDING_APPROVAL
    assert not invoice.open_exceptions().exists()
