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
    kind: str = ""  # "altered", "inserted" or "deleted" when not ok

    @property
    def sentence(self) -> str:
        if self.ok:
            return f"The audit chain is intact: {self.events} events verified."
        return f"Event #{self.first_broken_id} is {self.kind}: {self.reason}."


def verify(batch_size: int = 2000) -> ChainReport:
    """Recompute every hash in order and report the first event that does not fit, and how:

    - altered: it chains onto the event before it, but its content no longer matches its
      own hash;
    - inserted: the event after it chains onto the event before it, past it;
    - deleted: it does not chain onto the event before it, and nothing chains past it: the
      event(s) between were removed (it is the first event after the gap).
    One event of lookahead tells inserted from the rest; memory stays constant."""
    expected_prev = GENESIS_HASH
    count = 0
    suspect = None  # (event, fits_prev, fits_self) waiting for the next event
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=batch_size):
        count += 1
        if suspect is not None:
            return _classify(*suspect, next_event=event, expected_prev=expected_prev, count=count)
        fits_prev = event.prev_hash == expected_prev
        fits_self = event_hash(event) == event.hash
        if fits_prev and fits_self:
            expected_prev = event.hash
            continue
        suspect = (event, fits_prev, fits_self)
    if suspect is not None:
        return _classify(*suspect, next_event=None, expected_prev=expected_prev, count=count)
    return ChainReport(True, count)


def _classify(event, fits_prev, fits_self, *, next_event, expected_prev, count) -> ChainReport:
    if next_event is not None and next_event.prev_hash == expected_prev:
        return ChainReport(
            False, count, event.pk,
            "the event after it chains onto the event before it, so it was put in between",
            "inserted",
        )  # fmt: skip
    if fits_prev:
        return ChainReport(
            False, count, event.pk, "its content does not match its hash (content changed)",
            "altered",
        )  # fmt: skip
    if fits_self:
        return ChainReport(
            False, count, event.pk,
            "it does not chain onto the event before it: the event(s) between were deleted "
            "(or the one before it was rewritten with a new hash)",
            "deleted",
        )  # fmt: skip
    return ChainReport(
        False, count, event.pk,
        "neither its content nor its link to the event before it match its hashes",
        "altered",
    )  # fmt: skip


def check_and_record() -> ChainReport:
    """Verify the chain and keep the result: a failed check shows as an alert on every page
    of those who read the audit log, until a later check passes."""
    from django.utils import timezone

    from audit.models import ChainCheck

    report = verify()
    ChainCheck.objects.create(
        checked_at=timezone.now(),
        ok=report.ok,
        events=report.events,
        first_broken_id=report.first_broken_id,
        kind=report.kind,
        reason=report.sentence,
    )
    return report
