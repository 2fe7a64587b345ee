"""Line corrections teach the vendor's profile as header corrections do (issue 19): a row a
clerk removed from a vendor's lines (a subtotal, a "carried forward" row the line reader
took for an item) is left out of the vendor's next documents, but only where the
arithmetic confirms it (EN 16931 BR-CO-10), so a learned row never removes a real item
silently. The parties are invented."""

from decimal import Decimal

import pytest
from django_q.conf import Conf

from audit.models import AuditEvent
from core.models import Document
from extraction.intake import receive
from extraction.learning import (
    MAX_SKIPPED_ROWS,
    SKIPPED_ROWS,
    learn_skipped_rows,
    row_key,
    skip_learned_rows,
)
from extraction.line_corrections import LineChanges, correct_lines
from extraction.models import VendorProfile
from extraction.services import record_extraction
from extraction.types import (
    DocumentTotals,
    ExtractedField,
    ExtractionResult,
    LineItem,
    Provenance,
)
from tests.core.test_line_corrections import misread_invoice
from tests.factories import make_vendor

PAPER = LineItem("Printer paper A4, box", Decimal(10), Decimal("25.00"), Decimal("250.00"))
TONER = LineItem("Toner, black", Decimal(2), Decimal("40.00"), Decimal("80.00"))
SUBTOTAL = LineItem("Zwischensumme Seite 1", None, None, Decimal("330.00"))
HINTS = {SKIPPED_ROWS: {"rows": [row_key("Zwischensumme Seite 2")], "learned_from": 1}}


def read(lines, net="330.00", line_total=None) -> ExtractionResult:
    result = ExtractionResult(format="pdf-text", lines=list(lines))
    result.fields["net_amount"] = ExtractedField(Decimal(net), 0.95, Provenance("text", 1))
    result.totals = DocumentTotals(line_total=line_total)
    return result


def test_a_learned_row_is_left_out_where_the_lines_then_add_up():
    result = read([PAPER, TONER, SUBTOTAL])

    assert skip_learned_rows(result, HINTS) == 1  # "Seite 1" and "Seite 2" are one row

    assert result.lines == [PAPER, TONER]


@pytest.mark.parametrize(
    ("lines", "net"),
    [
        ([PAPER, TONER], "330.00"),  # nothing learned on the page
        ([PAPER, TONER, SUBTOTAL], "660.00"),  # the lines add up with the row: it counts
        ([PAPER, SUBTOTAL], "330.00"),  # without it they would not add up either
    ],
)
def test_a_learned_row_stays_where_the_arithmetic_does_not_confirm_it(lines, net):
    result = read(lines, net=net)

    assert skip_learned_rows(result, HINTS) == 0

    assert result.lines == lines


def test_the_stated_sum_of_line_net_amounts_goes_before_the_net_amount():
    """BT-106 where the document states it: the net amount (BT-109) may hold charges."""
    result = read([PAPER, TONER, SUBTOTAL], net="345.00", line_total=Decimal("330.00"))

    assert skip_learned_rows(result, HINTS) == 1


def test_rows_are_remembered_once_newest_last_and_bounded():
    hints = {}
    assert learn_skipped_rows(hints, ["Übertrag 1.234,00", "Übertrag 99,00"], invoice_id=7)
    assert not learn_skipped_rows(hints, ["ÜBERTRAG: 5,00"], invoice_id=8)  # known already
    assert hints[SKIPPED_ROWS] == {"rows": ["übertrag 9"], "learned_from": 7}

    learn_skipped_rows(hints, [f"Row {chr(65 + n)}" for n in range(MAX_SKIPPED_ROWS)], 9)
    assert len(hints[SKIPPED_ROWS]["rows"]) == MAX_SKIPPED_ROWS
    assert "übertrag 9" not in hints[SKIPPED_ROWS]["rows"]  # the oldest goes first


@pytest.mark.django_db
def test_a_removed_row_teaches_the_vendor_and_its_next_invoice_leaves_it_out(monkeypatch, clerk):
    monkeypatch.setattr(Conf, "SYNC", True)
    vendor = make_vendor()
    invoice = misread_invoice(vendor)  # one line, read as 1 x 25.00
    row = invoice.lines.create(position=2, description="Zwischensumme Seite 1", amount=250)

    correct_lines(invoice, clerk, LineChanges(removed=[row.pk]))

    event = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.lines_corrected")
    assert event.payload["learned"] == [SKIPPED_ROWS]
    profile = VendorProfile.objects.get(vendor=vendor)
    assert profile.hints[SKIPPED_ROWS]["rows"] == ["zwischensumme seite 9"]

    # The vendor's next document, read with the subtotal row among its lines.
    result = read([PAPER, TONER, SUBTOTAL])
    result.fields["vendor_name"] = ExtractedField(vendor.name, 0.95, Provenance("text", 1))
    result.fields["vendor_vat_id"] = ExtractedField(vendor.vat_id, 0.95, Provenance("text", 1))
    later = receive(
        b"%PDF-1.4 the next one", name="next.pdf", channel=Document.Channel.UPLOAD, actor="t"
    ).invoice
    record_extraction(later, result)

    assert list(later.lines.values_list("description", flat=True)) == [
        PAPER.description,
        TONER.description,
    ]
    extracted = AuditEvent.objects.filter(invoice_id=later.pk, action="invoice.extracted").get()
    assert "lines" in extracted.payload["inputs"]["learned_fields"]
