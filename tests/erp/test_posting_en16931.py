"""Issue 17: the ERP posting carries the EN 16931 model (schema 3), the ERP books only the
lines the invoice's sums count, and what it books is checked the way EN 16931 adds an
invoice up: counted lines to BT-106, less allowances plus charges to the net (BR-CO-13),
net plus tax to the total, total less paid plus rounding to the amount due (BR-CO-16)."""

import csv
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from core.erp import posting
from core.erp.connectors import PostingReceipt, to_csv
from core.erp.odoo import OdooConnector
from core.models import Invoice, OutboxMessage, Status
from tests.erp.standins import OdooStandIn
from tests.extraction.test_en16931_storage import corrected_invoice_result, recorded
from tests.factories import make_vendor

pytestmark = pytest.mark.django_db

D = Decimal


class RecordingConnector:
    """Keeps what it is asked to book (a stand-in for any ERP connector)."""

    name = "recording"

    def __init__(self):
        self.sent = []

    def post_invoice(self, payload, *, idempotency_key):
        self.sent.append(payload)
        return PostingReceipt(f"ERP-{len(self.sent)}")

    def find_posting(self, key):
        return None


def _approved(**overrides) -> Invoice:
    """The corrected invoice of the storage tests, read, from a vendor the ERP knows, and
    approved (its posting not written yet)."""
    make_vendor()
    invoice = recorded(corrected_invoice_result(**overrides))
    assert invoice.vendor is not None
    Invoice.objects.filter(pk=invoice.pk).update(status=Status.APPROVED)
    invoice.refresh_from_db()
    return invoice


def _json_payload(invoice: Invoice) -> dict:
    return json.loads(json.dumps(posting.invoice_payload(invoice), cls=DjangoJSONEncoder))


def test_the_payload_carries_the_model_and_books_only_counted_lines():
    payload = _json_payload(_approved())

    assert payload["schema"] == "ledgerline.invoice/3"
    assert (payload["type_code"], payload["document_type"]) == ("384", "invoice")
    assert payload["preceding_invoice"] == {"number": "INV-2026-0815", "date": "2026-10-02"}
    assert (payload["period_start"], payload["period_end"]) == ("2026-10-01", "2026-10-31")
    assert [payload[name] for name in ("line_total_amount", "allowance_total_amount",
                                       "charge_total_amount", "prepaid_amount",
                                       "rounding_amount", "amount_due")] == [
        "2080.00", "39.60", "25.00", "500.00", "0.17", "1939.00"
    ]  # fmt: skip
    assert [line["description"] for line in payload["lines"]] == [
        "Consulting, October",
        "Laptop 14 inch",
        "Docking station",
        "Training course, 1 day",
    ]
    assert [
        (line["line_id"], line["status"], line["counted"]) for line in payload["sub_lines"]
    ] == [
        ("2", "GROUP", False),
        ("4", "INFORMATION", False),
    ]
    laptop = payload["lines"][1]
    assert (laptop["line_id"], laptop["parent_line_id"], laptop["status"]) == ("2.1", "2", "DETAIL")
    consulting = payload["lines"][0]
    assert (consulting["tax_category"], consulting["period_start"]) == ("S", "2026-10-01")
    assert consulting["allowances_charges"] == [
        {
            "charge": False,
            "amount": "120.00",
            "base_amount": "1200.00",
            "percent": "10.000",
            "reason": "Loyalty discount",
            "reason_code": "95",
            "tax_category": "",
            "tax_rate": None,
        }
    ]
    assert [(item["charge"], item["amount"], item["reason"])
            for item in payload["allowances_charges"]] == [
        (False, "39.60", "Early order discount"),
        (True, "25.00", "Freight"),
    ]  # fmt: skip
    assert [(row["category"], row["taxable_amount"], row["tax_amount"],
             row["exemption_reason_code"]) for row in payload["tax_breakdown"]] == [
        ("S", "1965.40", "373.43", ""),
        ("E", "100.00", "0.00", "VATEX-EU-132-1I"),
    ]  # fmt: skip
    assert posting.posting_problems(payload) == []


def test_an_invoice_with_allowances_charges_and_sub_lines_is_posted():
    invoice = _approved()
    with transaction.atomic():
        message = posting.write_posting(invoice)
    erp = RecordingConnector()

    assert posting.deliver(message.pk, erp) is True

    (sent,) = erp.sent
    assert "Workstation bundle" not in [line["description"] for line in sent["lines"]]
    invoice.refresh_from_db()
    assert invoice.status == Status.POSTED


def test_odoo_books_lines_allowances_and_charges_that_add_up_to_the_net():
    payload = _json_payload(_approved())

    with OdooStandIn() as odoo:
        OdooConnector(odoo.url, "ledgerline", "ap-bot", "secret", timeout=2).post_invoice(
            payload, idempotency_key=payload["idempotency_key"]
        )

    bill = odoo.moves[1]
    assert [(line["name"], line["quantity"], line["price_unit"])
            for line in bill["invoice_line_ids"]] == [
        ("Consulting, October", 10.0, 120.0),
        ("Allowance: Loyalty discount", 1.0, -120.0),
        ("Laptop 14 inch", 1.0, 800.0),
        ("Docking station", 1.0, 100.0),
        ("Training course, 1 day", 1.0, 100.0),
        ("Allowance: Early order discount", 1.0, -39.6),
        ("Charge: Freight", 1.0, 25.0),
    ]  # fmt: skip
    assert round(bill["amount_untaxed"], 2) == 2065.40


def test_odoo_books_a_line_whose_price_does_not_make_its_amount_at_its_amount():
    """A price per base quantity (BT-149), say: 1,000 screws at 4.00 per 100."""
    payload = {
        "lines": [{"description": "Screws", "quantity": "1000", "unit_price": "4.00",
                   "amount": "40.00"}],
        "allowances_charges": [],
    }  # fmt: skip

    lines = OdooConnector("http://odoo.invalid", "db", "u", "p")._bill_lines(payload)

    assert lines == [{"name": "Screws", "quantity": 1.0, "price_unit": 40.0}]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        # The document allowance forgotten in the net: BT-106 - BT-107 + BT-108 is not the net.
        (
            {"net_amount": D("2080.00"), "tax_amount": D("376.36"), "total_amount": D("2456.36")},
            "BR-CO-13: the net 2,080.00 EUR should be lines 2,080.00 - allowances 39.60 + "
            "charges 25.00 = 2,065.40 EUR",
        ),
        # The GROUP line counted as well: the booked lines are not BT-106.
        (
            {"line_total_amount": D("2980.00")},
            "BR-CO-10: the sum of line net amounts 2,980.00 EUR should be the sum of the",
        ),
        (
            {"amount_due": D("1938.00")},
            "BR-CO-16: the amount due 1,938.00 EUR should be total 2,438.83 - paid 500.00 + "
            "rounding 0.17 = 1,939.00 EUR",
        ),
    ],
)
def test_a_posting_that_does_not_add_up_as_en16931_does_is_refused(change, problem):
    invoice = _approved()
    Invoice.objects.filter(pk=invoice.pk).update(**change)
    invoice.refresh_from_db()

    with pytest.raises(posting.NotPostable) as refused, transaction.atomic():
        posting.write_posting(invoice)

    assert any(problem in message for message in refused.value.messages), refused.value.messages
    assert not OutboxMessage.objects.exists()


def test_a_group_line_among_the_booked_lines_is_refused_at_delivery():
    """A payload changed after it was written (or written by an older version) that would
    book a GROUP line: refused without sending."""
    invoice = _approved()
    payload = _json_payload(invoice)
    payload["lines"].append(payload["sub_lines"][0])
    message = OutboxMessage.objects.create(
        invoice=invoice, idempotency_key="k-1", connector="file", payload=payload
    )
    erp = RecordingConnector()

    assert posting.deliver(message.pk, erp) is False

    assert erp.sent == []
    message.refresh_from_db()
    assert "must not be booked" in message.last_error


def test_a_schema_2_payload_is_checked_as_before():
    """Postings written before schema 3 wait in the outbox without the new keys."""
    payload = {
        "schema": "ledgerline.invoice/2",
        "vendor": {"external_id": "V-1001", "name": "Acme"},
        "currency": "EUR",
        "net_amount": "100.00",
        "tax_amount": "19.00",
        "total_amount": "119.00",
        "lines": [{"position": 1, "amount": "60.00"}, {"position": 2, "amount": "40.00"}],
    }
    assert posting.posting_problems(payload) == []
    payload["lines"][1]["amount"] = "30.00"
    [problem] = posting.posting_problems(payload)
    assert problem.startswith("BR-CO-13: the net 100.00 EUR should be the sum of the lines = 90.00")


def test_an_invoice_read_without_lines_but_with_stated_sums_is_checked_by_them():
    payload = {
        "vendor": {"external_id": "V-1001"},
        "currency": "EUR",
        "net_amount": "95.00",
        "tax_amount": "0.00",
        "total_amount": "95.00",
        "line_total_amount": "100.00",
        "allowances_charges": [{"charge": False, "amount": "5.00"}],
        "lines": [],
        "invoice_date": date(2026, 11, 2),
    }
    assert posting.posting_problems(payload) == []
    payload["allowances_charges"] = []
    [problem] = posting.posting_problems(payload)
    assert problem.startswith(
        "BR-CO-13: the net 95.00 EUR should be the sum of line net amounts (BT-106) = 100.00"
    )


def test_the_csv_file_books_the_lines_and_the_document_allowances_and_says_what_is_due():
    """The rows add up to the net, and the amount due (after the prepayment) is there to
    pay (found by review: the file carried only the total and the lines)."""
    payload = _json_payload(_approved())

    rows = list(csv.DictReader(io.StringIO(to_csv(payload).decode())))

    assert {row["amount_due"] for row in rows} == {"1939.00"}
    assert {row["prepaid_amount"] for row in rows} == {"500.00"}
    assert [row["line_kind"] for row in rows] == ["line"] * 4 + ["allowance", "charge"]
    assert sum(Decimal(row["line_amount"]) for row in rows) == Decimal(payload["net_amount"])
