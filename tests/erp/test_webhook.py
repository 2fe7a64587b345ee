"""The webhook connector against a receiver that checks signatures and deduplicates keys,
served on loopback over real HTTP."""

import hashlib
import json
import socket
from datetime import date
from decimal import Decimal

import pytest

from core.erp.connectors import ConnectorError, PermanentError, to_json
from core.erp.webhook import WebhookConnector, sign, verify
from tests.erp.standins import WebhookReceiver

SECRET = "whsec-test-0123456789"
KEY = "ledgerline-invoice-42"


def _payload(key: str = KEY) -> dict:
    return {
        "schema": "ledgerline.invoice/1",
        "idempotency_key": key,
        "invoice_id": 42,
        "invoice_number": "INV-2026-0042",
        "invoice_date": date(2026, 3, 2),
        "due_date": date(2026, 4, 1),
        "currency": "EUR",
        "net_amount": Decimal("100.00"),
        "tax_amount": Decimal("19.00"),
        "total_amount": Decimal("119.00"),
        "vendor": {
            "external_id": "V-1001",
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
            }
        ],
        "approved_by": "arnold",
        "approval_reason": "Matches PO-7001",
        "document_sha256": "ab" * 32,
    }


def test_signed_post_is_verified_and_booked_by_the_receiver():
    with WebhookReceiver(SECRET) as receiver:
        receipt = WebhookConnector(receiver.url, SECRET, timeout=2).post_invoice(
            _payload(), idempotency_key=KEY
        )

    [delivery] = receiver.received
    assert delivery.verified
    assert delivery.idempotency_key == KEY
    assert json.loads(delivery.body)["net_amount"] == "100.00"
    assert receipt.document_number == "AP-000001"
    assert receipt.reference == receiver.url
    assert receipt.sha256 == hashlib.sha256(to_json(_payload())).hexdigest()
    assert receiver.booked == {KEY: "AP-000001"}


def test_wrong_secret_is_refused_for_good():
    with WebhookReceiver(SECRET) as receiver:
        connector = WebhookConnector(receiver.url, "not-the-secret", timeout=2)
        with pytest.raises(PermanentError, match=r"answered 401.*signature does not match"):
            connector.post_invoice(_payload(), idempotency_key=KEY)

    assert len(receiver.rejected) == 1
    assert receiver.booked == {}


def test_answer_lost_after_booking_is_retryable_and_books_once():
    with WebhookReceiver(SECRET, delay_after_accept=1.0) as receiver:
        connector = WebhookConnector(receiver.url, SECRET, timeout=0.3)
        with pytest.raises(ConnectorError, match=r"did not answer within 0\.3 seconds") as lost:
            connector.post_invoice(_payload(), idempotency_key=KEY)
        assert lost.value.retryable
        assert receiver.booked == {KEY: "AP-000001"}

        receiver.delay_after_accept = 0
        receipt = connector.post_invoice(_payload(), idempotency_key=KEY)

    assert receipt.document_number == "AP-000001"
    assert len(receiver.received) == 2
    assert receiver.booked == {KEY: "AP-000001"}


def test_another_key_gets_the_next_document_number():
    with WebhookReceiver(SECRET) as receiver:
        connector = WebhookConnector(receiver.url, SECRET, timeout=2)
        first = connector.post_invoice(_payload(), idempotency_key=KEY)
        second = connector.post_invoice(_payload("other"), idempotency_key="other")

    assert (first.document_number, second.document_number) == ("AP-000001", "AP-000002")


def test_busy_receiver_is_retryable_and_a_retry_books():
    with WebhookReceiver(SECRET, fail_first=1) as receiver:
        connector = WebhookConnector(receiver.url, SECRET, timeout=2)
        with pytest.raises(ConnectorError, match=r"answered 503.*ledger is busy") as busy:
            connector.post_invoice(_payload(), idempotency_key=KEY)
        assert busy.value.retryable
        assert receiver.booked == {}

        assert connector.post_invoice(_payload(), idempotency_key=KEY).document_number == (
            "AP-000001"
        )


def _post(receiver: WebhookReceiver):
    return WebhookConnector(receiver.url, SECRET, timeout=2).post_invoice(
        _payload(), idempotency_key=KEY
    )


def test_rate_limited_is_retryable():
    with (
        WebhookReceiver(SECRET, answer=(429, {"error": "slow down"})) as receiver,
        pytest.raises(ConnectorError, match="answered 429") as limited,
    ):
        _post(receiver)
    assert limited.value.retryable


def test_refused_content_is_permanent_with_the_receivers_reason():
    refusal = {"error": "Unknown vendor V-1001. " + "x" * 400}
    with (
        WebhookReceiver(SECRET, answer=(422, refusal)) as receiver,
        pytest.raises(PermanentError, match=r"answered 422.*Unknown vendor") as refused,
    ):
        _post(receiver)

    assert not refused.value.retryable
    assert len(str(refused.value)) < 300 + 100  # the body is cut, not quoted whole


def test_success_without_document_number_is_retryable():
    with (
        WebhookReceiver(SECRET, answer=(200, {"status": "ok"})) as receiver,
        pytest.raises(ConnectorError, match="without a document_number") as missing,
    ):
        _post(receiver)
    assert missing.value.retryable


def test_receiver_not_listening_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = WebhookConnector(f"http://127.0.0.1:{port}/hooks", SECRET, timeout=0.5)

    with pytest.raises(ConnectorError, match="could not be reached") as refused:
        connector.post_invoice(_payload(), idempotency_key=KEY)
    assert refused.value.retryable


@pytest.mark.parametrize(("url", "secret"), [("", SECRET), ("http://erp.example/hook", "")])
def test_missing_settings_are_permanent(url, secret):
    with pytest.raises(PermanentError, match="ERP_WEBHOOK_URL and ERP_WEBHOOK_SECRET must be"):
        WebhookConnector(url, secret).post_invoice(_payload(), idempotency_key=KEY)


def test_nothing_to_find_or_ask():
    connector = WebhookConnector("http://erp.example/hook", SECRET)
    assert connector.find_posting(KEY) is None
    assert connector.payment_status("AP-000001") is None


def test_signature_verifies_with_the_same_secret_body_and_time():
    body = to_json(_payload())
    header = sign(SECRET, "1767225600", body)

    assert header.startswith("sha256=")
    assert verify(SECRET, "1767225600", body, header, now=1767225600 + 10)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        ("another-secret", "1767225600", b'{"net_amount": "100.00"}', 1767225600),
        (SECRET, "1767225600", b'{"net_amount": "900.00"}', 1767225600),  # tampered body
        (SECRET, "1767225601", b'{"net_amount": "100.00"}', 1767225600),  # tampered time
        (SECRET, "1767225600", b'{"net_amount": "100.00"}', 1767225600 + 301),  # stale
        (SECRET, "1767225600", b'{"net_amount": "100.00"}', 1767225600 - 301),  # future
    ],
)
def test_signature_is_refused(secret, timestamp, body, now):
    header = sign(SECRET, "1767225600", b'{"net_amount": "100.00"}')
    assert not verify(secret, timestamp, body, header, now=now)


@pytest.mark.parametrize("header", [None, "", "sha256=", "md5=abc", "not-a-signature"])
def test_malformed_signature_header_is_refused(header):
    assert not verify(SECRET, "1767225600", b"{}", header, now=1767225600)


def test_non_numeric_timestamp_is_refused():
    body = b"{}"
    assert not verify(SECRET, "yesterday", body, sign(SECRET, "yesterday", body))
