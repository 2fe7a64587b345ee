"""Amounts, numbers and dates as people read them: one way, everywhere.

Screens (the template filters in core/templatetags/ledgerline.py), the sentences the engines
write (core.business_rules, matching.engine, approvals.policy), emails and the columns of
exports meant for people all call these functions, so "9,312.00 EUR" reads the same in a
table, in an exception's sentence and in an approver's email. Machine-readable outputs (the
CSV columns a spreadsheet or an ERP computes with, JSON, XML) keep plain ISO numbers and
dates (core/exports.py says which columns are which).

Built on Babel (CLDR data): the grouping and decimal symbols are the locale's, the number
of decimals is the currency's (ISO 4217 minor units: 2 for EUR, 0 for JPY, 3 for KWD and
TND). An amount is written number first, then the ISO code ("9,312.00 EUR"): AP compares
many currencies side by side, where a symbol ($) is ambiguous. The locale is
settings.LEDGERLINE_LOCALE (environment LEDGERLINE_LOCALE, default en_GB), set once at start
by core.apps; the module imports nothing from Django, so the engines stay plain Python.
"""

from datetime import date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.dates import get_datetime_format
from babel.numbers import format_currency, format_decimal, get_currency_precision

DEFAULT_LOCALE = "en_GB"
BLANK = "—"  # what a missing value reads as on a screen

_AMOUNT = "#,##0.00 ¤¤"  # ¤¤ is the ISO code; the decimals follow the currency
_PLAIN_AMOUNT = "#,##0.00"  # an amount whose currency is not known or not said
_NUMBER = "#,##0.####"  # quantities: up to four decimals, none when whole

_locale = Locale.parse(DEFAULT_LOCALE)


def set_locale(name: str) -> None:
    """Use the CLDR locale `name` ("en_GB", "de-DE", "fr") from now on.
    Raises ValueError (babel.UnknownLocaleError) for a locale CLDR does not know."""
    global _locale
    _locale = Locale.parse(name.replace("-", "_"))


def current_locale() -> Locale:
    """The locale the functions here format with."""
    return _locale


def format_amount(amount, currency: str | None = None, *, code: bool = True) -> str:
    """An amount with its currency, as people read it: 9312 EUR -> "9,312.00 EUR",
    -1234.5 EUR -> "-1,234.50 EUR", 9312 JPY -> "9,312 JPY", 1.5 KWD -> "1.500 KWD";
    without a currency two decimals and no code ("9,312.00"). `code=False` keeps the
    currency's decimals but leaves the code out (a table column whose header names the
    currency). `amount` is a Decimal, int or numeric string (a float is taken at its
    shortest repr); None, NaN and infinity read "—", and an amount that rounds to zero has
    no minus sign. A currency code CLDR does not know is written as given, with two
    decimals."""
    if amount is None or amount == "":
        return BLANK
    value = _decimal(amount)
    if not value.is_finite():
        return BLANK
    iso = (currency or "").strip().upper()
    value = _no_minus_zero(value, get_currency_precision(iso) if iso else 2)
    if not iso:
        return format_decimal(value, format=_PLAIN_AMOUNT, locale=_locale)
    pattern = _AMOUNT if code else _PLAIN_AMOUNT
    return format_currency(value, iso, format=pattern, locale=_locale, currency_digits=True)


def format_number(value) -> str:
    """A quantity or other plain figure: grouped, up to four decimals, trailing zeros
    dropped (12 -> "12", 1234.5 -> "1,234.5"); None reads "—"."""
    if value is None or value == "":
        return BLANK
    value = _decimal(value)
    if not value.is_finite():
        return BLANK
    return format_decimal(_no_minus_zero(value, 4), format=_NUMBER, locale=_locale)


def format_date(value: date | None) -> str:
    """A date in the locale's medium form: 2026-03-04 -> "4 Mar 2026" (en_GB): the month
    in letters, so it cannot be read the American or the European way. None reads "—"."""
    if value is None:
        return BLANK
    if isinstance(value, datetime):
        value = value.date()
    return _babel_date(value, format="medium", locale=_locale)


def format_datetime(value: datetime | None) -> str:
    """A moment as the date of format_date and the time to the minute: "4 Mar 2026, 14:05".
    Given as is: the caller converts to the reader's time zone first (the template filter
    uses Django's current time zone). None reads "—"."""
    if value is None:
        return BLANK
    time_part = _babel_time(value, "short", locale=_locale)
    pattern = get_datetime_format("medium", locale=_locale)
    return pattern.replace("{1}", format_date(value)).replace("{0}", time_part)


def _no_minus_zero(value: Decimal, places: int) -> Decimal:
    """`value` without its minus sign when it reads as zero at `places` decimals: a
    difference of equal amounts (Decimal("-0.00")) or -0.004 EUR reads "0.00", not "-0.00"."""
    return abs(value) if abs(value) * 2 <= Decimal(1).scaleb(-places) else value


def _decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)
