"""Exchange rates: the rate that converts an invoice's total into the company currency,
and the import of reference-rate files.

The rate used for an invoice is the one valid on its invoice date (BT-2), that is the
latest `ExchangeRate` of the pair with `valid_from` on or before that day (the day the
invoice was received when it has no date). Only when the table has none is the
EXCHANGE_RATES setting used: an undated rate per currency kept for installations that set
it before rates were data, said as such wherever it decides something. No rate at all is
said too (`Conversion.missing`); approval routing then takes the amount as above every
band and says why (approvals.chains).

Files (`import_rates`), recognised by their header:

- the ECB's euro foreign exchange reference rates (eurofxref.csv, eurofxref-hist.csv):
  `Date, USD, JPY, ...`, one row per day, each value the units of that currency per 1 EUR,
  "N/A" or empty where the ECB has none; the date as `2026-11-27` or `27 November 2026`.
  For a company currency other than EUR every rate is a cross rate through the euro:
  1 USD in CHF = (CHF per EUR) / (USD per EUR), and EUR itself is CHF per EUR.
- plain `currency,rate,date` (an optional `source` column): what one unit of the currency
  is worth in the company currency, from that date on (ISO 8601).

A bad row or value is reported with its line and the good ones are still imported.
"""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction

from audit import changes as audited
from core.formatting import format_amount, format_date
from core.models import ExchangeRate
from core.money import cents

ECB = "ECB euro foreign exchange reference rates"
SETTING = "the EXCHANGE_RATES setting"
# Ten decimal places: 1 IDR in EUR (about 0.0000559) keeps five significant digits.
PLACES = Decimal("1e-10")
# ExchangeRate.rate keeps 24 digits, 10 of them after the point: a rate must be below this.
LIMIT = Decimal("1e14")
_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y")
_MISSING = {"", "N/A", "NA", "-"}


@dataclass(frozen=True)
class Conversion:
    """How an amount in `currency` was (or could not be) converted into `base` for `day`.

    `rate` is None when no rate is known (`missing`); `valid_from` is None for a rate from
    the EXCHANGE_RATES setting (undated) and for the identity (same currency)."""

    currency: str
    base: str
    day: date
    rate: Decimal | None = None
    valid_from: date | None = None
    source: str = ""
    rate_id: int | None = None
    day_is: str = "the invoice date"  # what `day` is, in words

    @property
    def missing(self) -> bool:
        return self.rate is None

    @property
    def identity(self) -> bool:
        return self.currency == self.base

    def convert(self, amount: Decimal | None) -> Decimal | None:
        """`amount` in the base currency, rounded to the cent; None when either is unknown."""
        if amount is None or self.rate is None:
            return None
        return amount if self.identity else cents(amount * self.rate)

    def as_dict(self) -> dict:
        """For audit payloads (route inputs): plain JSON values."""
        return {
            "currency": self.currency,
            "base": self.base,
            "day": self.day.isoformat(),
            "rate": None if self.rate is None else f"{self.rate.normalize():f}",
            "valid_from": self.valid_from.isoformat() if self.valid_from else None,
            "source": self.source,
            "rate_id": self.rate_id,
        }

    def sentence(self, amount: Decimal | None) -> str:
        """The conversion in words, for the route reason on the invoice screen:
        "4.11 USD is 3.81 EUR at 0.9259 EUR per USD (rate valid from 27 Nov 2026, ECB ...)";
        amounts and dates written as every screen writes them (core.formatting: "40,000.00 USD")."""
        if self.identity:
            return ""
        if self.missing:
            return (
                f"No exchange rate from {self.currency} to {self.base} is known on or before "
                f"{format_date(self.day)} ({self.day_is}), so the amount in {self.base} is "
                "unknown and the invoice was routed as above every amount band. Once an admin "
                "adds the rate (Admin, Exchange rates, or manage.py import_exchange_rates), the "
                "invoice is routed again, unless someone has decided on it already"
            )
        rate = f"{self.rate.normalize():f}"
        when = (
            f"valid from {format_date(self.valid_from)}"
            if self.valid_from
            else f"undated: no dated rate on or before {self.day_is}"
        )
        what = (
            ""
            if amount is None
            else f"{format_amount(amount, self.currency)} is "
            f"{format_amount(self.convert(amount), self.base)} "
        )
        return (
            f"{what}at {rate} {self.base} per {self.currency} "
            f"(rate {when}, for {self.day_is} {format_date(self.day)}; "
            f"source: {self.source or 'not given'})"
        ).strip()


def rate_on(currency: str, day: date, base: str | None = None) -> Conversion:
    """The rate that converts `currency` into `base` (default the company currency) on
    `day`: the latest ExchangeRate valid on or before it; else the EXCHANGE_RATES setting
    (when base is the company currency); else a Conversion that is `missing`."""
    base = (base or settings.COMPANY_CURRENCY).upper()
    currency = (currency or base).upper()
    if currency == base:
        return Conversion(currency, base, day, Decimal(1))
    row = (
        ExchangeRate.objects.filter(currency=currency, base_currency=base, valid_from__lte=day)
        .order_by("-valid_from")
        .first()
    )
    if row is not None:
        return Conversion(currency, base, day, row.rate, row.valid_from, row.source, row.pk)
    configured = settings.EXCHANGE_RATES.get(currency)
    if configured is not None and base == settings.COMPANY_CURRENCY:
        return Conversion(currency, base, day, configured, None, SETTING)
    return Conversion(currency, base, day)


# ---------------------------------------------------------------------------------------
# Import


@dataclass(frozen=True)
class Parsed:
    """One rate read from a file: 1 `currency` = `rate` `base` from `valid_from`."""

    line: int
    currency: str
    base: str
    rate: Decimal
    valid_from: date
    source: str


@dataclass
class ImportReport:
    """What an import did: counts, and one message per refused row or value (with its
    line number in the file)."""

    layout: str = ""
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)
    changed_currencies: set[str] = field(default_factory=set)  # rates created or updated

    def summary(self) -> str:
        return (
            f"{self.layout}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.problems)} refused"
        )


def import_rates(
    text: str, *, name: str, actor: str, base: str | None = None, source: str = ""
) -> ImportReport:
    """Read a reference-rate file (the text of a CSV file, `name` for the audit trail)
    and store its rates against `base` (default the company currency). Each row is saved
    on its own: a bad one is listed in `problems` ("line 4: ...") and the rest are kept.
    Every created or changed rate is an audited change of master data
    (masterdata.exchange_rate_created / _updated) by `actor` through "import:<name>"."""
    base = (base or settings.COMPANY_CURRENCY).upper()
    report = ImportReport()
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header_at = next((n for n, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_at is None:
        report.problems.append("The file is empty.")
        return report
    header = [cell.strip() for cell in rows[header_at]]
    lowered = [cell.lower() for cell in header]
    body = [(n + 1, row) for n, row in enumerate(rows) if n > header_at]
    if lowered and lowered[0] == "date":
        report.layout = "ECB reference rates"
        parsed = _ecb(header, body, base, source or ECB, report.problems)
    elif {"currency", "rate", "date"} <= set(lowered):
        report.layout = "currency,rate,date"
        parsed = _plain(lowered, body, base, source, report.problems)
    else:
        report.problems.append(
            f"line {header_at + 1}: the header {','.join(header)!r} is neither the ECB's "
            "'Date, USD, JPY, ...' nor 'currency,rate,date'."
        )
        return report
    for item in parsed:
        result = _store(item, name=name, actor=actor)
        setattr(report, result, getattr(report, result) + 1)
        if result != "unchanged":
            report.changed_currencies.add(item.currency)
    return report


def _ecb(header, body, base, source, problems) -> list[Parsed]:
    currencies = header[1:]
    parsed = []
    for line, row in body:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        day = _date(cells[0])
        if day is None:
            problems.append(
                f"line {line}: {cells[0]!r} is not a date (2026-11-27 or 27 November 2026)."
            )
            continue
        per_euro: dict[str, Decimal] = {"EUR": Decimal(1)}
        for code, raw in zip(currencies, cells[1:], strict=False):
            if not code:
                continue  # the ECB's files end each line with a comma
            if not _is_code(code):
                problems.append(f"line {line}: the column {code!r} is not a currency code.")
                continue
            if raw.upper() in _MISSING:
                continue
            value = _positive(raw)
            if value is None:
                problems.append(f"line {line}: {code} {raw!r} is not a positive number.")
                continue
            per_euro[code.upper()] = value
        if base not in per_euro:
            problems.append(
                f"line {line}: no {base} rate on {day.isoformat()}, so no rate in {base} "
                "can be worked out from this day's euro rates."
            )
            continue
        # 1 X = (base per EUR) / (X per EUR) base.
        for code, value in per_euro.items():
            if code == base:
                continue
            rate = per_euro[base] / value
            if rate >= LIMIT or rate.quantize(PLACES) <= 0:
                problems.append(
                    f"line {line}: 1 {code} would be {rate:.4g} {base}, outside what a rate "
                    f"can be ({PLACES} to {LIMIT:.0e})."
                )
                continue
            rate = rate.quantize(PLACES)
            via = "" if base == "EUR" else " (cross rate through EUR)"
            parsed.append(Parsed(line, code, base, rate, day, f"{source}{via}"))
    return parsed


def _plain(lowered, body, base, source, problems) -> list[Parsed]:
    at = {name: lowered.index(name) for name in ("currency", "rate", "date")}
    source_at = lowered.index("source") if "source" in lowered else None
    parsed = []
    for line, row in body:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) <= max(at.values()):
            problems.append(
                f"line {line}: expected currency, rate and date; got {','.join(cells)!r}."
            )
            continue
        code, raw, when = cells[at["currency"]], cells[at["rate"]], cells[at["date"]]
        wrong = []
        if not _is_code(code):
            wrong.append(f"{code!r} is not a currency code")
        elif code.upper() == base:
            wrong.append(f"{code.upper()} is the company currency")
        value = _positive(raw)
        if value is None:
            wrong.append(f"{raw!r} is not a positive number")
        elif value >= LIMIT or value.quantize(PLACES) <= 0:
            wrong.append(f"{raw!r} is outside what a rate can be ({PLACES} to {LIMIT:.0e})")
        day = _date(when)
        if day is None:
            wrong.append(f"{when!r} is not a date (2026-11-27)")
        if wrong:
            problems.append(f"line {line}: {'; '.join(wrong)}.")
            continue
        said = cells[source_at] if source_at is not None and source_at < len(cells) else ""
        parsed.append(
            Parsed(line, code.upper(), base, value.quantize(PLACES), day, said or source or "file")
        )
    return parsed


def _store(item: Parsed, *, name: str, actor: str) -> str:
    """Create or update one rate, audited; "created", "updated" or "unchanged"."""
    with transaction.atomic():
        row = (
            ExchangeRate.objects.select_for_update()
            .filter(currency=item.currency, base_currency=item.base, valid_from=item.valid_from)
            .first()
        )
        created = row is None
        if created:
            row = ExchangeRate(
                currency=item.currency, base_currency=item.base, valid_from=item.valid_from
            )
        before = {} if created else audited.values_of(row)
        row.rate, row.source = item.rate, item.source
        changed = audited.diff(before, audited.values_of(row))
        if not created and not changed:
            return "unchanged"
        row._change_reason = f"imported from {name}"[:100]
        row.save()
        result = audited.CREATED if created else audited.UPDATED
        audited.record_change(
            "exchange_rate", rate_key(row), result, changed, actor=actor,
            source=f"import:{name}", id=row.pk,
        )  # fmt: skip
    return result


def rate_key(row: ExchangeRate) -> str:
    """A rate's natural key in audit events: "USD/EUR 2026-11-27"."""
    return f"{row.currency}/{row.base_currency} {row.valid_from.isoformat()}"


def _is_code(code: str) -> bool:
    return len(code) == 3 and code.isascii() and code.isalpha()


def _positive(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(" ", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value > 0 else None


def _date(raw: str) -> date | None:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(raw.strip(), pattern).date()
        except ValueError:
            continue
    return None
