"""A record's field history (django-simple-history) said the way a person reads it.

Each saved version is compared with the one before; every changed field is given by its
label, and each value by what it means rather than how it is stored: a foreign key as the
name of what it points to (a vendor's name, a person's full name), a choice as its label,
dates, moments and amounts the one way every screen writes them (core.formatting: "4 Mar
2026", "4 Mar 2026, 14:05" in the site's time zone, "9,312.00 EUR" in the record's
currency), a yes/no as yes or no, and a dict (confidences, provenance, a finding's
details) as key: value pairs. A date written as ISO text inside a dict reads the same.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.formatting import format_amount, format_date, format_datetime, format_number

# Decimal fields that hold money, written with the record's currency when it has one.
MONEY_WORDS = ("amount", "price", "total", "limit")


@dataclass(frozen=True)
class Shown:
    """One value as shown: `text`, or `pairs` ((key, text), ...) for a dict or a list of
    records; neither when the value is empty (shown as a dash)."""

    text: str = ""
    pairs: tuple[tuple[str, str], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.text and not self.pairs


@dataclass(frozen=True)
class Change:
    """One field a version changed: its label, and the value before and after."""

    field: str
    label: str
    old: Shown
    new: Shown


def changes(row) -> list[Change]:
    """The changes a history row made to the version before it, in the model's field
    order; [] for the first version (the record was created)."""
    previous = row.prev_record
    if previous is None:
        return []
    model = row.instance_type
    delta = row.diff_against(previous, foreign_keys_are_objs=True)
    order = {field.name: n for n, field in enumerate(model._meta.get_fields())}
    result = []
    for change in sorted(delta.changes, key=lambda c: order.get(c.field, len(order))):
        field = _field(model, change.field)
        result.append(
            Change(
                field=change.field,
                label=str(field.verbose_name) if field is not None else change.field,
                old=shown(field, change.old, currency=getattr(row, "currency", "")),
                new=shown(field, change.new, currency=getattr(row, "currency", "")),
            )
        )
    return result


def person(user) -> str:
    """A user as people know them: the full name, else the username."""
    return user.get_full_name() or user.get_username()


def shown(field: models.Field | None, value, *, currency: str = "") -> Shown:
    """`value` of `field` (None: a field the model no longer has) as a person reads it; an
    amount (a decimal field named like one, MONEY_WORDS) with `currency` when given."""
    if value is None or value == "" or value == [] or value == {}:
        return Shown()
    if field is not None and field.choices and not isinstance(value, list | dict):
        return Shown(str(dict(field.flatchoices).get(value, value)))
    if isinstance(value, dict):
        return Shown(pairs=tuple((str(k), _plain(v)) for k, v in value.items()))
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return Shown(pairs=tuple((str(n), _plain(item)) for n, item in enumerate(value, 1)))
    if isinstance(value, Decimal) and isinstance(field, models.DecimalField):
        if any(word in field.name for word in MONEY_WORDS):
            return Shown(format_amount(value, currency if isinstance(currency, str) else None))
        return Shown(format_number(value))
    return Shown(_plain(value))


def _plain(value) -> str:
    """Any value in one line of text (nested dicts as "key: value, ...")."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_datetime(timezone.localtime(value) if timezone.is_aware(value) else value)
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, Decimal | float):
        return format_number(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(_plain(item) for item in value)
    if isinstance(value, models.Model):
        return person(value) if hasattr(value, "get_full_name") else str(value)
    if hasattr(value, "model") and hasattr(value, "pk"):  # simple_history's DeletedObject
        return f"{value.model._meta.verbose_name} #{value.pk} (deleted)"
    if isinstance(value, str):
        return _text(value)
    return str(value)


def _text(value: str) -> str:
    """Text as it is, but a date or moment written in ISO 8601 (as JSON keeps them) the
    way a date or moment reads everywhere else."""
    if 10 <= len(value) <= 32 and value[:4].isdigit() and value[4:5] == "-":
        try:
            moment = parse_datetime(value) if len(value) > 10 else None
            day = parse_date(value) if len(value) == 10 else None
        except ValueError:
            return value
        if moment is not None:
            return _plain(moment)
        if day is not None:
            return _plain(day)
    return value


def _field(model, name: str) -> models.Field | None:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field since removed from the model
        return None
