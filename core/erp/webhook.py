"""The webhook connector: the invoice as signed JSON in an HTTP POST to a URL the ERP side runs.

The receiver checks `X-Ledgerline-Signature` with `verify` (or the same HMAC in its own
language): HMAC-SHA256, keyed with the shared secret, over `<timestamp>.` followed by the
exact body bytes. The timestamp is signed too, so a captured request cannot be replayed
after `max_age_seconds`.

The body is `core.erp.posting.invoice_payload` as it is ("schema": "ledgerline.invoice/3").
A receiver books `lines` and the document's `allowances_charges` (an allowance reduces
the net, a charge adds to it), which together make `net_amount`; `sub_lines` (GROUP and
INFORMATION lines, UBL sub-lines) are for reference and must not be booked as well. What
is to be paid is `amount_due` (BT-115: the total less `prepaid_amount`, plus
`rounding_amount`) where the invoice states it, else `total_amount`; a `document_type`
"credit_note" is money the vendor owes back, never a payment to make.
"""

import hashlib
import hmac
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request

from core.erp.connectors import (
    ConnectorError,
    PermanentError,
    PostingReceipt,
    excerpt,
    to_json,
)

SIGNATURE_HEADER = "X-Ledgerline-Signature"
TIMESTAMP_HEADER = "X-Ledgerline-Timestamp"

# Answers worth sending the same request again for: the receiver is overloaded, rate
# limited or timed out on its side, or broken in a way its operators will fix.
RETRYABLE_STATUSES = {408, 429}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header: `sha256=` and the hex HMAC-SHA256."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    signature_header: str | None,
    max_age_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """Whether the request came from someone holding the secret, recently.

    Timestamps too far in the future are refused as well as old ones: a sender whose clock
    runs ahead could otherwise mint signatures that stay valid for longer."""
    if not secret or not signature_header or not timestamp:
        return False
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    now = time.time() if now is None else now
    if abs(now - sent_at) > max_age_seconds:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), signature_header.encode())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """urllib would follow a 301/302/303 with a GET and no body; the invoice would never
    arrive while the answer to the GET looked like a reply. A redirect is a wrong URL."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


class WebhookConnector:
    name = "webhook"

    def __init__(self, url: str, secret: str, timeout: float = 10.0):
        self.url = url
        self.secret = secret
        self.timeout = timeout

    def post_invoice(self, payload: dict, *, idempotency_key: str) -> PostingReceipt:
        self._check_settings()
        body = to_json(payload)
        timestamp = str(int(time.time()))
        # The scheme was checked in _check_settings: only http and https get here.
        request = urllib.request.Request(  # noqa: S310
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": idempotency_key,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            },
        )
        status, answer = self._send(request)
        try:
            document_number = json.loads(answer).get("document_number")
        except (ValueError, AttributeError):
            document_number = None
        if document_number in (None, ""):
            # The receiver may have booked it; sending again under the same key is safe
            # because the receiver deduplicates, and may get a proper answer.
            raise ConnectorError(
                f"The webhook at {self.url} answered {status} without a document_number: "
                f"{excerpt(answer)}"
            )
        return PostingReceipt(
            document_number=str(document_number),
            reference=self.url,
            sha256=hashlib.sha256(body).hexdigest(),
        )

    def find_posting(self, idempotency_key: str) -> PostingReceipt | None:
        """A generic webhook has no way to be asked what it booked, so this cannot tell.

        The receiver is required to deduplicate by the Idempotency-Key header: a key it has
        booked before gets the first booking's document_number again, not a second booking.
        That is what makes sending again after a lost answer safe."""
        return None

    def payment_status(self, document_number: str) -> str | None:
        return None  # a webhook only receives; payments come back through another channel

    def _check_settings(self) -> None:
        if not self.url or not self.secret:
            raise PermanentError("ERP_WEBHOOK_URL and ERP_WEBHOOK_SECRET must be set")
        if urllib.parse.urlsplit(self.url).scheme not in ("http", "https"):
            raise PermanentError(f"ERP_WEBHOOK_URL must be an http or https URL, not {self.url}")

    def _send(self, request: urllib.request.Request) -> tuple[int, bytes]:
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, answer = exc.code, exc.read()
            exc.close()
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, TimeoutError):
                raise ConnectorError(
                    f"The webhook at {self.url} did not answer within {self.timeout:g} seconds; "
                    "it may have booked the invoice, and sending again under the same key is safe"
                ) from exc
            raise ConnectorError(
                f"The webhook at {self.url} could not be reached: {reason}"
            ) from exc
        message = f"The webhook at {self.url} answered {status}: {excerpt(answer)}"
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise ConnectorError(message)
        raise PermanentError(message)
