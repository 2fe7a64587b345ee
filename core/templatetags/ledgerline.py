"""Template filters for figures."""

from django import template

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
