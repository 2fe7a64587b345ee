"""Template filters for figures and words: `{% load ledgerline %}`."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst

from core import exception_codes
from core.exception_codes import ExceptionCode
from core.formatting import format_amount, format_date, format_datetime, format_number

register = template.Library()


@register.filter
def percent(value) -> str:
    """0.8125 -> "81.3%"; blank as "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def hours(value) -> str:
    """12.5 -> "12.5 h", 50 -> "2.1 d"; blank as "—"."""
    if value is None:
        return "—"
    value = float(value)
    return f"{value / 24:.1f} d" if value >= 48 else f"{value:.1f} h"


# Human words (issue 19): amounts, numbers and dates written one way (core.formatting, with
# Babel), exception codes and statuses by their labels with the code as a tooltip.


@register.filter
def money(value, currency="") -> str:
    """{{ invoice.total_amount|money:invoice.currency }} -> "9,312.00 EUR"; "—" when blank.
    Without a currency: two decimals, no code."""
    return format_amount(value, currency or None)


@register.filter
def amount(value, currency="") -> str:
    """An amount in a table column whose header says the currency: the currency's decimals,
    no code ({{ row.amount|amount:invoice.currency }} -> "9,312.00", JPY "9,312")."""
    return format_amount(value, currency or None, code=False)


@register.filter
def number(value) -> str:
    """A quantity: {{ line.quantity|number }} -> "1,234.5"; "—" when blank."""
    return format_number(value)


@register.filter
def day(value, blank=None) -> str:
    """A date: "4 Mar 2026"; a datetime is taken in the current time zone first. A blank
    value reads `blank` when given ({{ invoice.period_end|day:"…" }}), else "—"."""
    if value is None or value == "":
        return format_date(None) if blank is None else blank
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return format_date(value)


@register.filter
def moment(value, blank=None) -> str:
    """A date and time in the current time zone: "4 Mar 2026, 14:05"; blank as `day`."""
    if value is None or value == "":
        return format_datetime(None) if blank is None else blank
    return format_datetime(timezone.localtime(value) if timezone.is_aware(value) else value)


@register.filter
def exception_label(code) -> str:
    """An exception's label in words with its code and meaning as the tooltip:
    <span class="code exc" title="OVER_BILLED: The invoice bills more…">Billed more than
    ordered</span>. Takes a code string or anything with a `code` (InvoiceException, a
    finding dict)."""
    code = _code_of(code)
    known = ExceptionCode.__members__.get(code)
    if known is None:
        return format_html('<span class="code exc" title="{}">{}</span>', code, code)
    return format_html(
        '<span class="code exc" data-code="{}" title="{}: {}">{}</span>',
        code,
        code,
        known.help,
        known.label,
    )


@register.filter
def exception_name(code) -> str:
    """An exception's label as plain text (for attributes and sentences)."""
    return exception_codes.label(_code_of(code))


@register.filter
def status_label(value) -> str:
    """A status in sentence case with its code as the tooltip, for any model with a
    `status` (or `state`) choice field: <span class="badge status-needs_review"
    title="needs_review">Needs review</span>."""
    for field in ("status", "state"):
        code = getattr(value, field, None)
        if code is not None:
            label = getattr(value, f"get_{field}_display")()
            break
    else:
        code = label = str(value)
    return format_html(
        '<span class="badge status-{}" title="{}">{}</span>', code, code, capfirst(label)
    )


def _code_of(value) -> str:
    if isinstance(value, dict):
        return str(value.get("code", ""))
    return str(getattr(value, "code", value))


@register.simple_tag
def exception_choices() -> list[tuple[str, str]]:
    """Every exception code with its label, by label: for a filter's <select>."""
    return sorted(((code.value, code.label) for code in ExceptionCode), key=lambda c: c[1])
