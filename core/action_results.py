"""What an action on the invoice screen changed, said on the same screen (issue 19).

A clerk's or approver's action (take, assign, hold, release, accept a variance, send for
approval, match again, approve, reject, ...) keeps the same invoice open with a message
that says what happened and the state it left: the status before and after, and the open
exceptions that were cleared, are new, or are still open (compared by code). Moving on to
the next invoice is a separate step (the "Next invoice" link, key `n`).

Matching again runs in the worker: the state before is kept in the session
(`remember`) and the invoice screen says the outcome once the invoice has settled
(`settled`), on the refresh that shows it.
"""

from django.http import HttpRequest

from core import exception_codes
from core.models import Invoice, Status

SESSION_KEY = "invoice_action_results"
# The queues a person works through, as "Next invoice <...>" names them.
QUEUE_NAMES = {Status.NEEDS_REVIEW: "in review", Status.PENDING_APPROVAL: "waiting for approval"}
# The pipeline's automatic stages: an invoice in one of them has not settled yet.
IN_PROGRESS = frozenset({Status.RECEIVED, Status.EXTRACTED, Status.MATCHED, Status.APPROVED})


def snapshot(invoice: Invoice) -> dict:
    """The state an action may change: {"status": "needs_review", "open": ["PO_NOT_FOUND"],
    "assignee": "clara", "hold": ""} (open exception codes sorted, each once; the
    assignee's username or ""; the hold's reason or ""). JSON-serialisable, for the
    session."""
    codes = invoice.open_exceptions().values_list("code", flat=True)
    return {
        "status": str(invoice.status),
        "open": sorted(set(codes)),
        "assignee": invoice.assignee.get_username() if invoice.assignee_id else "",
        "hold": invoice.hold_reason,
    }


def describe(before: dict, invoice: Invoice) -> str:
    """The change from `before` (a `snapshot`) to the invoice's state now, in sentences:
    "Status: Needs review → Pending approval. Cleared: Price variance." Codes are named by
    their label (core.exception_codes.labels)."""
    after = snapshot(invoice)
    was, now = before["status"], after["status"]
    parts = [
        f"Status: {_status(was)} → {_status(now)}."
        if was != now
        else f"Status: {_status(now)} (unchanged)."
    ]
    if before.get("assignee", "") != after["assignee"]:
        who = after["assignee"]
        parts.append(f"On {who}'s list." if who else "On nobody's list.")
    if before.get("hold", "") != after["hold"]:
        parts.append(f"Held: {after['hold'].rstrip('.')}." if after["hold"] else "No longer held.")
    old, new = set(before["open"]), set(after["open"])
    for label, codes in (
        ("Cleared", old - new),
        ("New", new - old),
        ("Still open", old & new),
    ):
        if codes:
            parts.append(f"{label}: {exception_codes.labels(sorted(codes))}.")
    if not new and old:
        parts.append("No open exceptions.")
    return " ".join(parts)


def remember(request: HttpRequest, invoice: Invoice, before: dict, done: str) -> None:
    """Keep the state before an action whose outcome the worker decides (matching again),
    with what was done ("matched again"), until `settled` says it."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    pending[str(invoice.pk)] = {"before": before, "done": done}
    request.session[SESSION_KEY] = pending


def settled(request: HttpRequest, invoice: Invoice) -> str | None:
    """The message for a remembered action once the invoice has left the automatic stages
    ("Invoice #7: matched again. Status: ..."), forgotten once said; None while the
    invoice is still being worked on, or when nothing was remembered for it."""
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.get(str(invoice.pk))
    if entry is None or invoice.status in IN_PROGRESS:
        return None
    pending = {key: value for key, value in pending.items() if key != str(invoice.pk)}
    request.session[SESSION_KEY] = pending
    return f"Invoice #{invoice.pk}: {entry['done']}. {describe(entry['before'], invoice)}"


def is_pending(request: HttpRequest, invoice: Invoice) -> bool:
    """True while an action on this invoice waits for the worker (see `remember`)."""
    return str(invoice.pk) in request.session.get(SESSION_KEY, {})


def _status(value: str) -> str:
    label = Status(value).label if value in Status.values else value
    return str(label)[:1].upper() + str(label)[1:]
