"""The audit log screen's rows: each event said the way compliance reads it (who, when,
what, on which invoice), a page at a time, with the few lookups a page needs done once."""

from django.contrib.auth import get_user_model

from audit.models import AuditEvent
from core.models import Invoice


def rows(events) -> list[dict]:
    """One dict per event of a page: `event`, `who` (a person's full name, or the actor as
    written), `invoice` (a dict of id, number and vendor name, or None: the event is about
    no invoice, or the invoice is gone; the event stays in the log either way)."""
    events = list(events)
    invoice_ids = {e.invoice_id for e in events if e.invoice_id is not None}
    invoices = {
        pk: {"id": pk, "number": number, "vendor": vendor or read or ""}
        for pk, number, vendor, read in Invoice.objects.filter(pk__in=invoice_ids).values_list(
            "pk", "invoice_number", "vendor__name", "vendor_name"
        )
    }
    names = _full_names({e.actor for e in events if not e.is_machine})
    return [
        {
            "event": event,
            "who": names.get(event.actor, ""),
            "invoice": invoices.get(event.invoice_id),
            "invoice_gone": event.invoice_id is not None and event.invoice_id not in invoices,
        }
        for event in events
    ]


def _full_names(usernames: set[str]) -> dict[str, str]:
    users = get_user_model().objects.filter(username__in=usernames)
    return {user.get_username(): user.get_full_name() for user in users if user.get_full_name()}


def known_actors() -> list[str]:
    """Suggestions for the actor filter: every user's username, then the machine prefixes
    (a filter ending in ":" takes every actor of that kind)."""
    usernames = get_user_model().objects.order_by("username").values_list("username", flat=True)
    return [*usernames, "system:", "erp:", "api:", "cli:", "import:"]


def known_actions() -> list[str]:
    """Suggestions for the event-type filter: each kind of event in the log (the column is
    indexed, so this reads the index, not the log)."""
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())
