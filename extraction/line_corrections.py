"""A clerk corrects, adds and removes invoice lines (EN 16931 BG-25), as header fields are
corrected (extraction.corrections): while the invoice is in review, in one transaction,
with one audit event `invoice.lines_corrected` saying which line and field changed from
what to what and by whom, and a step down the vendor's trust ladder. The caller then
sends the invoice back to matching (approvals.decisions.send_back_to_matching), as the
header form does.

The audit events are the record of clerk corrections the learning reads (header fields:
extraction.training.correction_documents): `corrected_lines` gives, per corrected line, the
value read and the value the clerk settled on, the training data for line reading. A row
the clerk removed is also taught to the vendor's profile at once, as a corrected header
field is (extraction.learning.skip_learned_rows): the vendor's next documents leave it out
where their arithmetic confirms it.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from approvals import trust
from audit import chain
from audit.models import AuditEvent
from core.models import Invoice, InvoiceLine
from core.models.invoices import actor_name
from core.money import cents
from extraction.corrections import lock_for_correction
from extraction.learning import SKIPPED_ROWS, learn_skipped_rows
from extraction.models import VendorProfile

# The line fields a clerk corrects: item code (BT-155), description (BT-153/154), quantity
# (BT-129), unit net price (BT-146), line net amount (BT-131), VAT category (BT-151) and
# rate (BT-152).
LINE_FIELDS = (
    "item_code",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "tax_category",
    "tax_rate",
)
ACTION = "invoice.lines_corrected"
# How far a stated line net amount may be from quantity x price (less the line's
# allowances, plus its charges) before it is refused: rounding of one cent.
LINE_AMOUNT_TOLERANCE = Decimal("0.01")


@dataclass
class LineChanges:
    """What the clerk changed: `changed` maps a line's id to {field: new value} (only the
    fields that differ), `added` is a list of {field: value} for new lines, `removed` the
    ids of lines to delete."""

    changed: dict[int, dict] = field(default_factory=dict)
    added: list[dict] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)

    def __bool__(self):
        return bool(self.changed or self.added or self.removed)


def expected_amount(
    quantity: Decimal | None, unit_price: Decimal | None, adjustment: Decimal = Decimal(0)
) -> Decimal | None:
    """The line net amount (BT-131) a quantity and unit net price give, to the cent, with
    the line's own charges less its allowances (BG-27/28) as `adjustment`; None when
    either is missing."""
    if quantity is None or unit_price is None:
        return None
    return cents(quantity * unit_price + adjustment)


def line_adjustment(line: InvoiceLine | None) -> Decimal:
    """The line's charges less its allowances (BG-27/28), which BT-131 includes."""
    if line is None or line.pk is None:
        return Decimal(0)
    return sum(
        (item.amount if item.charge else -item.amount for item in line.allowances_charges.all()),
        start=Decimal(0),
    )


def correct_lines(invoice: Invoice, user, changes: LineChanges) -> list[dict]:
    """Apply the clerk's line changes; returns what changed, one dict per line (position,
    action "changed" / "added" / "removed", fields {name: {"from", "to"}}), [] when nothing
    did. Raises ValidationError when the invoice is not in review, a line is not the
    invoice's, or the invoice would be left without a line that was read with some."""
    reason_by = "Lines corrected by " + actor_name(user)
    with transaction.atomic():
        locked = lock_for_correction(invoice, "Lines can be corrected")
        lines = {line.pk: line for line in locked.lines.all()}
        unknown = (set(changes.changed) | set(changes.removed)) - set(lines)
        if unknown:
            raise ValidationError("A line changed meanwhile; open the lines again.")
        # New lines go after the last one the invoice ever had, lines removed in an earlier
        # correction included (the line history keeps them): a position names one line in
        # the audit trail and in the corrections kept for learning.
        position = max(
            max((line.position for line in lines.values()), default=0),
            InvoiceLine.history.filter(invoice_id=locked.pk).aggregate(last=Max("position"))["last"]
            or 0,
        )
        done = []
        for pk, values in changes.changed.items():
            if pk in changes.removed:
                continue
            line = lines[pk]
            fields = {
                name: {"from": getattr(line, name), "to": value}
                for name, value in values.items()
                if getattr(line, name) != value
            }
            if not fields:
                continue
            for name, diff in fields.items():
                setattr(line, name, diff["to"])
            line._change_reason = reason_by
            line.save()
            done.append({"position": line.position, "action": "changed", "fields": fields})
        for pk in changes.removed:
            line = lines[pk]
            done.append(
                {
                    "position": line.position,
                    "action": "removed",
                    "fields": {
                        name: {"from": getattr(line, name), "to": None} for name in LINE_FIELDS
                    },
                }
            )
            line._change_reason = reason_by
            line.delete()
        for values in changes.added:
            position += 1
            line = InvoiceLine(invoice=locked, position=position, **values)
            line._change_reason = reason_by
            line.save()
            done.append(
                {
                    "position": position,
                    "action": "added",
                    "fields": {name: {"from": None, "to": values.get(name)} for name in values},
                }
            )
        if not done:
            return []
        summary = describe(done)
        removed = [lines[pk].description for pk in changes.removed]
        chain.record(
            ACTION,
            actor=actor_name(user),
            invoice_id=locked.pk,
            payload={
                "reason": f"Corrected {summary}",
                "lines": done,
                "vendor_id": locked.vendor_id,
                "learned": _learn(locked, removed),
            },
        )
        # As a header correction: the vendor's invoices are not read right yet.
        trust.demote(
            locked.vendor,
            actor=user,
            reason=f"Invoice {locked} needed a line correction ({summary})",
            invoice_id=locked.pk,
        )
    invoice.refresh_from_db()
    return done


def describe(done: list[dict]) -> str:
    """'line 2 (quantity, amount), line 4 added, line 3 removed' for a sentence."""
    parts = []
    for item in done:
        if item["action"] == "changed":
            names = ", ".join(name.replace("_", " ") for name in item["fields"])
            parts.append(f"line {item['position']} ({names})")
        else:
            parts.append(f"line {item['position']} {item['action']}")
    return ", ".join(parts)


def _learn(invoice: Invoice, removed: list[str]) -> list[str]:
    """Teach the vendor's profile the rows removed from its lines (extraction.learning:
    left out of its next documents where the arithmetic confirms it), as a header
    correction teaches where a field stands; returns the hints learned (["skip_lines"])."""
    if invoice.vendor is None or not removed:
        return []
    profile, _ = VendorProfile.objects.get_or_create(vendor=invoice.vendor)
    if not learn_skipped_rows(profile.hints, removed, invoice.pk):
        return []
    profile.save()
    return [SKIPPED_ROWS]


def corrected_lines(vendor_id: int | None = None) -> list[dict]:
    """The clerk corrections of lines as training data, oldest first: one dict per corrected
    field of a changed line (invoice_id, vendor_id, position, field, read, corrected) and
    one per added or removed line (field "line", the values). From the audit events, which
    keep what was read beside what the clerk settled on."""
    events = AuditEvent.objects.filter(action=ACTION).order_by("id")
    examples = []
    for event in events.values("invoice_id", "payload"):
        payload = event["payload"] or {}
        if vendor_id is not None and payload.get("vendor_id") != vendor_id:
            continue
        for item in payload.get("lines", []):
            base = {
                "invoice_id": event["invoice_id"],
                "vendor_id": payload.get("vendor_id"),
                "position": item["position"],
                "action": item["action"],
            }
            if item["action"] == "changed":
                for name, diff in item["fields"].items():
                    examples.append(
                        {**base, "field": name, "read": diff["from"], "corrected": diff["to"]}
                    )
            else:
                side = "to" if item["action"] == "added" else "from"
                values = {name: diff[side] for name, diff in item["fields"].items()}
                examples.append({**base, "field": "line", "read": None, "corrected": values})
    return examples
