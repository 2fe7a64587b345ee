"""Writing and verifying the hash chain."""

import hashlib
import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from audit.models import GENESIS_HASH, AuditEvent

# Any constant: serialises appends on PostgreSQL so two writers never chain onto the same
# previous row. (SQLite serialises writers by itself.)
_CHAIN_LOCK_KEY = 4_217_001


def canonical_json(value) -> str:
    """One byte-exact JSON form: sorted keys, no spaces, Decimals and dates as strings."""
    return json.dumps(
        value, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def event_hash(event: AuditEvent) -> str:
    body = {
        "created_at": event.created_at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "invoice_id": event.invoice_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def record(action: str, *, actor: str, invoice_id: int | None = None, payload=None) -> AuditEvent:
    """Append one event to the chain. Joins the caller's transaction when there is one."""
    # Round-trip through canonical JSON so what is hashed is exactly what the database keeps.
    clean_payload = json.loads(canonical_json(payload or {}))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            created_at=timezone.now(),
            actor=actor[:150],
            action=action,
            invoice_id=invoice_id,
            payload=clean_payload,
            prev_hash=last or GENESIS_HASH,
        )
        event.hash = event_hash(event)
        event.save()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_broken_id: int | None = None
    reason: str = ""


def verify(batch_size: int = 2000) -> ChainReport:
    """Recompute every hash in order; report the first event that does not fit."""
    expected_prev = GENESIS_HASH
    count = 0
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        count += 1
        if event.prev_hash != expected_prev:
            return ChainReport(False, count, event.pk, "previous hash does not match")
        if event_hash(event) != event.hash:
            return ChainReport(False, count, event.pk, "content does not match its hash")
        expected_prev = event.hash
    return ChainReport(True, count)
