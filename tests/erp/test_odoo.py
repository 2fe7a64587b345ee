"""The Odoo connector against a stand-in for Odoo's external JSON-RPC API (no Odoo server
can run here; see tests/erp/standins.py), over real HTTP on loopback."""

from datetime import date
from decimal import Decimal

import pytest

from core.erp.connectors import ConnectorError, PermanentError
from core.erp.odoo import OdooConnector
from tests.erp.standins import OdooStandIn

KEY = "ledgerline-invoice-42"
PASSWORD = "secret"


def _connector(odoo: OdooStandIn, *, password: str = PASSWORD) -> OdooConnector:
    return OdooConnector(odoo.url, "ledgerline", "ap-bot", password, timeout=2)


def _payload(*, external_id: str | None = "V-1001", lines: list | None = None) -> dict:
    return {
        "schema": "ledgerline.invoice/1",
        "idempotency_key": KEY,
        "invoice_id": 42,
        "invoice_number": "INV-2026-0042",
        "invoice_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "currency": "EUR",
        "net_amount": Decimal("130.00"),
        "tax_amount": Decimal("24.70"),
        "total_amount": Decimal("154.70"),
        "vendor": {
            "external_id": external_id,
            "name": "Acme Office Supplies GmbH",
            "vat_id": "DE123456789",
            "iban": "DE89370400440532013000",
        },
        "purchase_order": "PO-7001",
        "lines": [
            {
                "position": 1,
                "item_code": "PAPER-A4",
                "description": "Copy paper A4, 500 sheets",
                "quantity": Decimal("20"),
                "unit_price": Decimal("5.00"),
                "amount": Decimal("100.00"),
                "tax_rate": Decimal("19"),
                "gl_account": "6800",
                "cost_center": "CC-100",
            },
            {
                "position": 2,
                "item_code": "TONER-K",
                "description": "Toner, black",
                "quantity": Decimal("1"),
                "unit_price": Decimal("30.00"),
                "amount": Decimal("30.00"),
                "tax_rate": Decimal("19"),
                "gl_account": "Office supplies",
                "cost_center": None,
            },
        ]
        if lines is None
        else lines,
        "approved_by": "arnold",
        "approval_reason": "Matches PO-7001",
        "document_sha256": "ab" * 32,
    }


def test_vendor_bill_is_created_with_its_lines_and_numbered():
    with OdooStandIn() as odoo:
        receipt = _connector(odoo).post_invoice(_payload(), idempotency_key=KEY)

    assert receipt.document_number == "BILL/2026/0001"
    assert receipt.reference == "account.move/1"
    bill = odoo.moves[1]
    assert bill["move_type"] == "in_invoice"
    assert bill["partner_id"] == 7
    assert bill["ref"] == "INV-2026-0042"
    assert bill["payment_reference"] == KEY
    assert (bill["invoice_date"], bill["invoice_date_due"]) == ("2026-03-02", "2026-04-01")
    assert bill["invoice_line_ids"] == [
        {
            "name": "Copy paper A4, 500 sheets",
            "quantity": 20.0,
            "price_unit": 5.0,
            "account_id": 103,
        },
        {"name": "Toner, black", "quantity": 1.0, "price_unit": 30.0},
    ]
    assert bill["amount_untaxed"] == 130.0


def test_invoice_without_lines_books_its_net_amount_as_one_line():
    with OdooStandIn() as odoo:
        _connector(odoo).post_invoice(_payload(lines=[]), idempotency_key=KEY)

    assert odoo.moves[1]["invoice_line_ids"] == [
        {"name": "Invoice INV-2026-0042", "quantity": 1.0, "price_unit": 130.0}
    ]


@pytest.mark.parametrize("sign", [1, -1], ids=["stated positive", "printed with minus signs"])
def test_a_credit_note_is_booked_as_a_refund_with_positive_amounts(sign):
    payload = _payload()
    payload["document_type"] = "credit_note"
    for name in ("net_amount", "tax_amount", "total_amount"):
        payload[name] *= sign
    for line in payload["lines"]:
        line["unit_price"] *= sign
        line["amount"] *= sign

    with OdooStandIn() as odoo:
        connector = _connector(odoo)
        receipt = connector.post_invoice(payload, idempotency_key=KEY)

        assert connector.find_posting(KEY) == receipt  # found among refunds too
        odoo.moves[1]["payment_state"] = "paid"
        assert connector.payment_status(receipt.document_number) == "paid"
    bill = odoo.moves[1]
    assert bill["move_type"] == "in_refund"
    assert bill["amount_untaxed"] == 130.0


def test_same_key_twice_creates_one_bill():
    with OdooStandIn() as odoo:
        first = _connector(odoo).post_invoice(_payload(), idempotency_key=KEY)
        again = _connector(odoo).post_invoice(_payload(), idempotency_key=KEY)

    assert again == first
    assert odoo.count("account.move", "create") == 1
    assert len(odoo.moves) == 1


def test_find_posting_finds_the_bill_by_key():
    with OdooStandIn() as odoo:
        connector = _connector(odoo)
        assert connector.find_posting(KEY) is None
        receipt = connector.post_invoice(_payload(), idempotency_key=KEY)

        assert connector.find_posting(KEY) == receipt
        assert connector.find_posting("ledgerline-invoice-43") is None


def test_logs_in_once_per_connector():
    with OdooStandIn() as odoo:
        connector = _connector(odoo)
        connector.post_invoice(_payload(), idempotency_key=KEY)
        connector.find_posting(KEY)

    assert odoo.count("common", "login") == 1


@pytest.mark.parametrize("external_id", ["V-9999", None])
def test_vendor_without_partner_is_permanent(external_id):
    with (
        OdooStandIn() as odoo,
        pytest.raises(PermanentError, match="Acme Office Supplies GmbH"),
    ):
        _connector(odoo).post_invoice(_payload(external_id=external_id), idempotency_key=KEY)

    assert odoo.count("account.move", "create") == 0


def test_refused_login_is_permanent():
    with (
        OdooStandIn() as odoo,
        pytest.raises(PermanentError, match="Odoo refused the login of ap-bot") as refused,
    ):
        _connector(odoo, password="wrong").post_invoice(_payload(), idempotency_key=KEY)

    assert "wrong" not in str(refused.value)
    assert odoo.count("account.move", "create") == 0


def test_payment_status_follows_the_bill():
    with OdooStandIn() as odoo:
        connector = _connector(odoo)
        number = connector.post_invoice(_payload(), idempotency_key=KEY).document_number
        assert connector.payment_status(number) == "not_paid"

        odoo.pay(number)

        assert connector.payment_status(number) == "paid"
        assert connector.payment_status("BILL/2026/0999") is None


def test_draft_named_slash_is_numbered_by_its_record():
    with OdooStandIn(number_drafts=False) as odoo:
        connector = _connector(odoo)
        receipt = connector.post_invoice(_payload(), idempotency_key=KEY)
        assert receipt.document_number == "account.move/1"
        assert connector.find_posting(KEY) == receipt

        odoo.moves[1]["payment_state"] = "in_payment"
        assert connector.payment_status(receipt.document_number) == "paid"


def test_validation_error_is_permanent_with_odoos_message():
    with OdooStandIn() as odoo:
        odoo.fail_next("odoo.exceptions.ValidationError", "The bill's currency is inactive.")
        with pytest.raises(PermanentError, match=r"currency is inactive.*ValidationError"):
            _connector(odoo).post_invoice(_payload(), idempotency_key=KEY)


def test_other_server_error_is_retryable_with_odoos_message():
    with OdooStandIn() as odoo:
        odoo.fail_next(
            "psycopg2.errors.SerializationFailure",
            "could not serialize access due to concurrent update",
        )
        connector = _connector(odoo)
        with pytest.raises(ConnectorError, match="could not serialize access") as failed:
            connector.post_invoice(_payload(), idempotency_key=KEY)
        assert failed.value.retryable

        assert connector.post_invoice(_payload(), idempotency_key=KEY).document_number == (
            "BILL/2026/0001"
        )


def test_wrong_path_is_permanent():
    with OdooStandIn() as odoo:
        connector = OdooConnector(f"{odoo.url}/odoo", "ledgerline", "ap-bot", "secret", timeout=2)
        with pytest.raises(PermanentError, match="answered 404"):
            connector.find_posting(KEY)
