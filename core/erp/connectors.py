"""Outbound connectors: how an approved invoice reaches the ERP, behind one interface.

A connector books a JSON-ready payload under an idempotency key and must never book the
same key twice: posting a key again returns the first booking. `find_posting` asks the ERP
whether a key was booked already (the outbox reconciles with it after a worker died
between sending and recording). `payment_status` asks whether a booked invoice was paid.

Connectors (ERP_CONNECTOR):
- `file`: one JSON (or CSV) document per invoice in ERP_OUTBOX_DIR, written under a
  temporary name and renamed, so the ERP's import job never sees half a file;
- `webhook`: HTTP POST of the JSON with an HMAC-SHA256 signature header (core.erp.webhook);
- `odoo`: a vendor bill through Odoo's external JSON-RPC API (core.erp.odoo).
"""

import csv
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder


@dataclass(frozen=True)
class PostingReceipt:
    document_number: str  # the ERP's number for the booked invoice
    reference: str = ""  # where to find it: a file path, a URL, a record id
    sha256: str = ""  # of what was sent, when the connector knows it


class ConnectorError(Exception):
    """Delivery failed. `retryable` False: sending the same again cannot succeed (the ERP
    refused the content); the outbox stops retrying and lists it for a person."""

    retryable = True


class PermanentError(ConnectorError):
    retryable = False


class ErpConnector(Protocol):
    name: str

    def post_invoice(self, payload: dict, *, idempotency_key: str) -> PostingReceipt: ...

    def find_posting(self, idempotency_key: str) -> PostingReceipt | None: ...

    def payment_status(self, document_number: str) -> str | None:
        """ "paid" once the ERP says so; another state, or None when it cannot tell."""
        ...


def excerpt(answer: bytes) -> str:
    """The start of an answer, for an error message."""
    text = answer.decode("utf-8", errors="replace").strip()
    return text[:300] if text else "(empty body)"


def to_json(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, indent=2, sort_keys=True).encode()


class FileOutbox:
    """Documents in a directory the ERP (or its import job) picks up."""

    name = "file"

    def __init__(self, directory: Path, file_format: str = "json"):
        self.directory = Path(directory)
        if file_format not in ("json", "csv"):
            raise ValueError(f"file format is json or csv, not {file_format!r}")
        self.format = file_format

    def _target(self, idempotency_key: str) -> Path:
        return self.directory / f"{idempotency_key}.{self.format}"

    def post_invoice(self, payload: dict, *, idempotency_key: str) -> PostingReceipt:
        target = self._target(idempotency_key)
        if target.exists():  # booked already: the same key never makes a second file
            return self._receipt(target, idempotency_key)
        body = to_json(payload) if self.format == "json" else to_csv(payload)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Written to a temporary name and renamed: the ERP never sees half a document.
            handle, temp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as temp:
                temp.write(body)
                temp.flush()
                os.fsync(temp.fileno())
            os.replace(temp_name, target)
        except OSError as exc:
            raise ConnectorError(f"Could not write to {self.directory}: {exc}") from exc
        return self._receipt(target, idempotency_key)

    def find_posting(self, idempotency_key: str) -> PostingReceipt | None:
        target = self._target(idempotency_key)
        return self._receipt(target, idempotency_key) if target.exists() else None

    def payment_status(self, document_number: str) -> str | None:
        return None  # a directory cannot tell; the ERP reports payments through the API

    def _receipt(self, target: Path, idempotency_key: str) -> PostingReceipt:
        return PostingReceipt(
            document_number=idempotency_key,
            reference=str(target),
            sha256=hashlib.sha256(target.read_bytes()).hexdigest(),
        )


CSV_COLUMNS = [
    "idempotency_key", "invoice_id", "vendor_external_id", "document_type", "invoice_number",
    "invoice_date", "due_date", "currency", "net_amount", "tax_amount", "total_amount",
    "prepaid_amount", "amount_due", "purchase_order", "line_kind", "line", "description",
    "quantity", "unit_price", "line_amount", "tax_rate", "gl_account", "cost_center",
]  # fmt: skip


def to_csv(payload: dict) -> bytes:
    """One row per booked line, the header repeated on each (what ERP imports expect): the
    counted invoice lines (`line_kind` "line"), then the document's allowances (negative
    `line_amount`) and charges (EN 16931 BG-20/21), so the rows add up to the net. What is
    to be paid is `amount_due` (BT-115: the total less what was paid before) where the
    invoice states it, else the total; `document_type` "credit_note" is money owed back."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    header = {
        "idempotency_key": payload["idempotency_key"],
        "invoice_id": payload["invoice_id"],
        "vendor_external_id": payload["vendor"]["external_id"] or "",
        "document_type": payload.get("document_type") or "invoice",
        "invoice_number": payload["invoice_number"],
        "invoice_date": payload["invoice_date"] or "",
        "due_date": payload["due_date"] or "",
        "currency": payload["currency"],
        "net_amount": payload["net_amount"],
        "tax_amount": payload["tax_amount"],
        "total_amount": payload["total_amount"],
        "prepaid_amount": _blank(payload.get("prepaid_amount")),
        "amount_due": _blank(payload.get("amount_due")),
        "purchase_order": payload["purchase_order"] or "",
    }
    for line in payload["lines"] or [{}]:
        writer.writerow(
            {
                **header,
                "line_kind": "line" if line else "",
                "line": line.get("position", ""),
                "description": line.get("description", ""),
                "quantity": line.get("quantity", ""),
                "unit_price": line.get("unit_price", ""),
                "line_amount": line.get("amount", ""),
                "tax_rate": line.get("tax_rate", ""),
                "gl_account": line.get("gl_account", ""),
                "cost_center": line.get("cost_center", ""),
            }
        )
    for position, item in enumerate(payload.get("allowances_charges") or [], start=1):
        amount = Decimal(str(item["amount"]))
        kind = "charge" if item.get("charge") else "allowance"
        writer.writerow(
            {
                **header,
                "line_kind": kind,
                "line": position,
                "description": item.get("reason") or kind.capitalize(),
                "line_amount": amount if item.get("charge") else -amount,
                "tax_rate": _blank(item.get("tax_rate")),
            }
        )
    return out.getvalue().encode()


def _blank(value) -> object:
    return "" if value is None else value


def default_connector() -> ErpConnector:
    """The connector ERP_CONNECTOR names, configured from the settings."""
    kind = settings.ERP_CONNECTOR
    if kind == "webhook":
        from core.erp.webhook import WebhookConnector

        return WebhookConnector(
            settings.ERP_WEBHOOK_URL,
            settings.ERP_WEBHOOK_SECRET,
            timeout=settings.ERP_WEBHOOK_TIMEOUT,
        )
    if kind == "odoo":
        from core.erp.odoo import OdooConnector

        return OdooConnector(
            settings.ODOO_URL,
            settings.ODOO_DB,
            settings.ODOO_USER,
            settings.ODOO_PASSWORD,
            timeout=settings.ERP_WEBHOOK_TIMEOUT,
        )
    return FileOutbox(settings.ERP_OUTBOX_DIR, settings.ERP_FILE_FORMAT)
