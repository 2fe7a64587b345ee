"""Changes of master data in the hash chain, the same way whatever the door.

Vendors (bank details included), purchase orders, goods receipts, own identities,
tolerance rules, approval rules, reporting lines, delegations, mailboxes and users' roles
change through the ERP's API and file import (core.erp.masterdata) and the Django admin
(audit.admin.AuditedAdmin); every door records its change with `record_change`, as one
event `masterdata.<kind>_<result>` whose payload names each field from and to:

    {"kind": "vendor", "key": "V-1001", "source": "admin",
     "changes": {"iban": {"from": "DE89...", "to": "DE02..."},
                 "lines.2": "created", "lines.3": {"quantity": {"from": "5", "to": "6"}}}}

Called directly from each door, not from a post_save signal: a reader of the admin or the
API sees that a change is audited where it is made (DESIGN.md: no signals drive the work),
and a save that is not a change of master data (a stage moving an invoice) writes nothing.
"""

import hashlib

from django.db import models

from audit import chain

CREATED, UPDATED, DELETED = "created", "updated", "deleted"
# What a hidden field's value is written as: a password's hash is no business of the log.
HIDDEN = "(hidden)"


def plain(value):
    """A value as JSON keeps it: text, whole numbers and None as they are, the rest (Decimal,
    dates, booleans) as text, so from and to read the same in every event."""
    return (
        value
        if isinstance(value, str | int | type(None)) and not isinstance(value, bool)
        else str(value)
    )


def values_of(obj: models.Model | None, *, hidden=()) -> dict:
    """{field: plain value} of a stored object's own fields (foreign keys as ids, by their
    column name, e.g. vendor_id; many-to-many as the sorted names of what is linked); {} for
    None. The primary key is left out: it is the event's `id`. Fields in `hidden` are
    written as HIDDEN with a digest of the value, so `diff` sees that they changed and the
    event says only "(hidden)"."""
    if obj is None:
        return {}
    values = {
        field.attname: _hidden(getattr(obj, field.attname))
        if field.name in hidden
        else plain(getattr(obj, field.attname))
        for field in obj._meta.concrete_fields
        if not field.primary_key
    }
    if obj.pk is not None:
        for field in obj._meta.many_to_many:
            values[field.name] = sorted(str(item) for item in getattr(obj, field.name).all())
    return values


def diff(before: dict, after: dict) -> dict:
    """{field: {"from", "to"}} for each field whose value differs; a field of a record just
    created has from None. Nested records (lines, keyed "lines.N") are dicts of values:
    "created", "deleted", or their own {field: {"from", "to"}}."""
    changes = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if isinstance(old, dict) or isinstance(new, dict):
            if old is None:
                changes[name] = "created"
            elif new is None:
                changes[name] = "deleted"
            else:
                changes[name] = diff(old, new)
            continue
        if old in (None, "") and new in (None, ""):
            continue
        changes[name] = {"from": _shown(old), "to": _shown(new)}
    return changes


def _hidden(value) -> str:
    return f"{HIDDEN}#{hashlib.sha256(str(value).encode()).hexdigest()[:16]}"


def _shown(value):
    """What an event says of a value: a hidden one only that it is hidden."""
    return HIDDEN if isinstance(value, str) and value.startswith(f"{HIDDEN}#") else value


def record_change(
    kind: str, key: str, result: str, changes: dict, *, actor: str, source: str, **extra
) -> bool:
    """Write one change of master data to the chain: action `masterdata.<kind>_<result>`
    (result: created, updated, deleted), by `actor` (a username, or the API token or file
    that sent it), through `source` ("admin", "api:<token>", "import:<file>"), with each
    changed field from and to, and `extra` (e.g. the record's id) in the payload. An update
    that changed nothing writes nothing; returns whether an event was written. Joins the
    caller's transaction, so the change and its event commit together."""
    if result == UPDATED and not changes:
        return False
    chain.record(
        f"masterdata.{kind}_{result}",
        actor=actor,
        payload={"kind": kind, "key": key, "changes": changes, "source": source, **extra},
    )
    return True
