"""Outbound connectors: where a posted invoice goes.

A connector takes a JSON-ready payload and an idempotency key and must accept the same key
twice without booking twice. The file outbox is the simplest connector: one JSON document
per approved invoice in a directory the ERP (or its import job) picks up.
"""

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder


@dataclass(frozen=True)
class PostingReceipt:
    reference: str  # where the ERP can find the invoice (a file path, a document number)
    sha256: str = ""


class ErpConnector(Protocol):
    def post_invoice(self, payload: dict, *, idempotency_key: str) -> PostingReceipt: ...


class FileOutbox:
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def post_invoice(self, payload: dict, *, idempotency_key: str) -> PostingReceipt:
        self.directory.mkdir(parents=True, exist_ok=True)
        body = json.dumps(payload, cls=DjangoJSONEncoder, indent=2, sort_keys=True).encode()
        target = self.directory / f"{idempotency_key}.json"
        # Write to a temporary file and rename: the ERP never sees half a document, and
        # posting the same key again replaces the file instead of adding a second one.
        handle, temp_name = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        with os.fdopen(handle, "wb") as temp:
            temp.write(body)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, target)
        return PostingReceipt(reference=str(target), sha256=hashlib.sha256(body).hexdigest())


def default_connector() -> ErpConnector:
    return FileOutbox(settings.ERP_OUTBOX_DIR)
