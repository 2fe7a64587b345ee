"""What compliance takes away: an invoice's audit pack, and the event log in bulk.

The audit pack is a zip holding everything that decided the invoice, so its story can be
told from the pack alone: the original document(s), what extraction read (with
confidences and where), the corrections, every match run, the approval routes and
decisions, the ERP postings and receipts, the field history, and the timeline of audit
events with their hashes; `manifest.json` lists the SHA-256 of every file in it.

The bulk export streams events as CSV or JSON Lines straight from a database cursor, in
constant memory whatever the range. Every export is itself an audit event.

Every column and field here is for machines (a spreadsheet, an archive, an auditor's
tools): timestamps in ISO 8601 with their offset, amounts as plain decimal strings with a
point and no grouping ("9312.00"), currencies as their own ISO 4217 field, exception codes
as codes. Nothing is written in core.formatting's words for people ("9,312.00 EUR",
"4 Mar 2026"), which would not sum or sort and would change with the locale.
"""

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F, Q
from django.utils import timezone

from approvals.models import ApprovalRoute
from audit import chain
from audit.chain import canonical_json
from audit.models import AuditEvent
from core.models import Invoice
from core.models.invoices import actor_name
from extraction.types import HEADER_FIELDS

EVENT_COLUMNS = ["id", "created_at", "actor", "action", "invoice_id", "payload", "prev_hash",
                 "hash"]  # fmt: skip
PACK_SCHEMA = "ledgerline.audit-pack/1"


def _json(value) -> bytes:
    return json.dumps(value, cls=DjangoJSONEncoder, indent=2, sort_keys=True,
                      ensure_ascii=False).encode()  # fmt: skip


def audit_pack(invoice: Invoice, *, user) -> tuple[str, bytes]:
    """(file name, zip bytes) of the invoice's audit pack; the export is audited."""
    files: dict[str, bytes] = {}
    document = invoice.document
    with document.file.open("rb") as handle:
        files[f"documents/{PurePosixPath(document.original_name).name or 'document'}"] = (
            handle.read()
        )
    files["extraction.json"] = _json(
        {
            "format": invoice.format,
            "document_type": invoice.document_type,
            # The rest of the EN 16931 model as the document states it (issue 17).
            "type_code": invoice.type_code,
            "totals": {
                name: getattr(invoice, name)
                for name in ("line_total_amount", "allowance_total_amount",
                             "charge_total_amount", "prepaid_amount", "rounding_amount",
                             "amount_due")
            },
            "period": [invoice.period_start, invoice.period_end],
            "preceding_invoice": {
                "number": invoice.preceding_invoice_number,
                "date": invoice.preceding_invoice_date,
            },
            "reading_problems": invoice.reading_problems,
            "allowances_charges": list(
                invoice.allowances_charges.order_by(
                    F("line__position").asc(nulls_first=True), "position"
                ).values(
                    "line__position", "position", "charge", "amount", "base_amount", "percent",
                    "reason", "reason_code", "tax_category", "tax_rate",
                )
            ),
            "tax_breakdown": list(
                invoice.tax_breakdown.values(
                    "category", "rate", "taxable_amount", "tax_amount", "exemption_reason",
                    "exemption_reason_code",
                )
            ),
            "fields": {
                name: {
                    "value": getattr(invoice, name),
                    "confidence": invoice.confidence.get(name),
                    "provenance": invoice.provenance.get(name),
                }
                for name in HEADER_FIELDS
            },
            "lines": list(
                invoice.lines.values(
                    "position", "item_code", "description", "quantity", "unit_price", "amount",
                    "tax_rate", "tax_category", "line_id", "parent_line_id", "line_status",
                    "counted", "period_start", "period_end", "gl_account", "cost_center",
                    "po_line__purchase_order__number", "po_line__line_no",
                )
            ),
            "document": {
                "file": document.original_name,
                "sha256": document.sha256,
                "channel": document.channel,
                "received_at": document.received_at,
                "source": document.source,
            },
        }
    )  # fmt: skip
    events = list(AuditEvent.objects.for_invoice(invoice.pk))
    files["corrections.json"] = _json(
        [_event(e) for e in events if e.action == "invoice.fields_corrected"]
    )
    files["match.json"] = _json(
        list(
            invoice.match_runs.order_by("created_at", "id").values(
                "created_at", "purchase_orders", "found_by", "line_matches", "tolerances",
                "findings", "clean",
            )
        )
    )  # fmt: skip
    files["approvals.json"] = _json(
        [
            {
                "policy": route.policy_label,
                "kind": route.kind,
                "reason": route.reason,
                "levels": route.levels,
                "state": route.state,
                "created_at": route.created_at,
                "closed_at": route.closed_at,
                "decisions": [
                    {
                        "level": d.level + 1,
                        "decision": d.decision,
                        "sentence": d.sentence,
                        "user": d.user.get_username(),
                        "on_behalf_of": d.on_behalf_of.get_username() if d.on_behalf_of else None,
                        "capacity": d.capacity,
                        "policy_version": d.rule_version,
                        "comment": d.comment,
                        "at": d.created_at,
                    }
                    for d in route.decisions.select_related("user", "on_behalf_of")
                ],
            }
            for route in ApprovalRoute.objects.filter(invoice=invoice).order_by("created_at", "id")
        ]
    )
    files["posting.json"] = _json(
        list(
            invoice.postings.order_by("created_at", "id").values(
                "idempotency_key", "connector", "state", "attempts", "last_error",
                "document_number", "reference", "created_at", "delivered_at", "payload",
            )
        )
    )  # fmt: skip
    files["history.json"] = _json(
        [
            {"at": row.history_date, "by": row.history_user.get_username() if row.history_user
             else None, "reason": row.history_change_reason, "status": row.status,
             "changed": [field for field, _, _ in field_changes(row)]}
            for row in invoice.history.order_by("history_id").select_related("history_user")
        ]
    )  # fmt: skip
    files["timeline.json"] = _json([_event(e) for e in events])
    files["timeline.txt"] = "\n".join(
        f"{e.created_at:%Y-%m-%d %H:%M:%S} #{e.pk} {e.action} by {e.actor}: {e.summary}"
        for e in events
    ).encode()
    manifest = {
        "schema": PACK_SCHEMA,
        "invoice_id": invoice.pk,
        "invoice_number": invoice.invoice_number,
        "status": invoice.status,
        "generated_at": timezone.now(),
        "generated_by": actor_name(user),
        "files": [
            {"path": name, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in sorted(files.items())
        ],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for name, data in sorted(files.items()):
            pack.writestr(name, data)
        pack.writestr("manifest.json", _json(manifest))
    data = buffer.getvalue()
    chain.record(
        "audit.pack_exported",
        actor=actor_name(user),
        invoice_id=invoice.pk,
        payload={
            "reason": f"Audit pack exported ({len(files) + 1} files)",
            "sha256": hashlib.sha256(data).hexdigest(),
            "files": manifest["files"],
        },
    )
    return f"audit-pack-invoice-{invoice.pk}.zip", data


def field_changes(row) -> list[tuple[str, object, object]]:
    """(field, from, to) for each field a history row changed; none for the first row."""
    previous = row.prev_record
    if previous is None:
        return []
    return [(c.field, c.old, c.new) for c in row.diff_against(previous).changes]


def _event(event: AuditEvent) -> dict:
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "actor": event.actor,
        "action": event.action,
        "invoice_id": event.invoice_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def events_for(filters: dict):
    """Events by date range (from, to: dates, inclusive), vendor (id), actor (a name, or
    a kind ending in ":", e.g. "system:"), action (a
    prefix: "invoice." is every invoice event), invoice (its number, or its id in digits)."""
    rows = AuditEvent.objects.order_by("id")
    if filters.get("invoice"):
        wanted = str(filters["invoice"]).strip().removeprefix("#")
        by_number = Invoice.objects.filter(invoice_number__iexact=wanted).values("pk")
        # An id: ASCII digits that fit the id column ("²" and 10**30 are only numbers).
        if wanted.isascii() and wanted.isdigit() and len(wanted) <= 18:
            rows = rows.filter(Q(invoice_id=int(wanted)) | Q(invoice_id__in=by_number))
        else:
            rows = rows.filter(invoice_id__in=by_number)
    if filters.get("start"):
        rows = rows.filter(created_at__date__gte=filters["start"])
    if filters.get("end"):
        rows = rows.filter(created_at__date__lte=filters["end"])
    if filters.get("actor"):
        actor = filters["actor"]
        # "system:" (a kind of machine) takes each of its components.
        rows = (
            rows.filter(actor__startswith=actor)
            if actor.endswith(":")
            else rows.filter(actor=actor)
        )
    if filters.get("action"):
        rows = rows.filter(action__startswith=filters["action"])
    if filters.get("vendor"):
        rows = rows.filter(
            invoice_id__in=Invoice.objects.filter(vendor_id=filters["vendor"]).values("pk")
        )
    return rows


def record_export(filters: dict, fmt: str, user) -> None:
    chain.record(
        "audit.events_exported",
        actor=actor_name(user),
        payload={
            "reason": f"Events exported as {fmt}",
            "filters": {k: str(v) for k, v in filters.items() if v},
        },
    )


def stream_events(rows, fmt: str, chunk_size: int = 2000) -> Iterator[bytes]:
    """The rows as CSV or JSON Lines, a chunk of lines at a time, from a cursor: memory
    stays the same for a thousand events or a million."""
    values = rows.values_list(*EVENT_COLUMNS).iterator(chunk_size=chunk_size)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if fmt == "csv":
        writer.writerow(EVENT_COLUMNS)
    for lines, row in enumerate(values, start=1):
        record = dict(zip(EVENT_COLUMNS, row, strict=True))
        record["created_at"] = record["created_at"].isoformat()
        if fmt == "csv":
            record["payload"] = canonical_json(record["payload"])
            writer.writerow(record.values())
        else:
            buffer.write(canonical_json(record))
            buffer.write("\n")
        if lines % chunk_size == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
