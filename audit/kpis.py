"""Accounts-payable KPIs computed from the audit trail.

Standard library only, so a view, a management command and a test with hand-built events
all get the same numbers. One pass over the events keeps a small record per invoice and
never the events themselves, so a year of audit trail (a million rows) fits in memory.

Touchless, precisely: an invoice is touchless when it was posted to the ERP and no person
(an actor that is not a machine, see MACHINE_PREFIXES) wrote an audit event of a kind that
counts as a touch (TOUCHES: every "invoice.*" and "approval.*" event: a status change, a
correction, an assignment, a hold, an accepted variance, an approval; and asking for the
invoice's missing vendor, "vendor.requested") between the
document's arrival and the first posting, the posting included. A document arriving is
not a touch, whoever brought it: the upload itself ("document.received") and a copy of the
same file sent again ("document.received_again", recognised by its SHA-256 and answered
with the invoice already there), nor is reading the trail ("audit.*": an audit pack
exported). This is the usual AP definition (no manual keying, correcting, exception
handling or approving) written as a rule over the audit log.

Trends (`Report.weeks`) are by ISO 8601 week (Monday to Sunday) in the time zone given to
`compute`: touchless rate and cycle time of the invoices posted in the week, exception
rates of the invoices that arrived in the week, and the backlog at the week's end.
"""

import dataclasses
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

RECEIVED = "document.received"
STATUSES = frozenset(
    {
        "received",
        "extracted",
        "matched",
        "needs_review",
        "pending_approval",
        "approved",
        "posted",
        "paid",
        "rejected",
        "duplicate",
    }
)
MACHINE_PREFIXES = ("system:", "api:", "erp:", "import:")
# The kinds of event that are a touch when a person writes them (see the module docstring).
TOUCHES = ("invoice.", "approval.", "vendor.requested")
# An invoice in one of these is no longer work waiting (the backlog leaves it out).
CLOSED = frozenset({"posted", "paid", "rejected", "duplicate"})
# The most weeks a trend shows: the latest ones.
TREND_WEEKS = 104

# Shown on the dashboard next to each number, and the reference for what the code computes.
DEFINITIONS: dict[str, str] = {
    "invoices": "Invoices whose document arrived in the period (and, when one is chosen, "
    "from the chosen vendor). Every other figure is about these invoices.",
    "touchless_rate": "Of the invoices that were posted to the ERP, the share that nobody "
    "touched: no action on the invoice by a person (a status change, correction, "
    "assignment, hold, accepted variance, approval or a request for its missing vendor) "
    "after the document arrived, up to and "
    "including the posting. Uploading the document, or sending the same file again, is not "
    "a touch; nor is exporting its audit pack. Blank when nothing was posted.",
    "first_pass_match_rate": "Of the invoices that were matched against purchase orders, "
    "the share whose first match succeeded, before any exception or correction. "
    "Blank when nothing was matched.",
    "exception_rate": "The share of invoices that raised at least one exception "
    "(sent to review by extraction or by matching).",
    "exception_rate_by_code": "For each exception code, the share of invoices that raised it "
    "at least once.",
    "cycle_time_to_posting": "Hours from the document's arrival to the invoice's first "
    "posting to the ERP: the median and the 90th percentile (nearest rank) over the "
    "invoices that were posted.",
    "cycle_time_to_approval": "Hours from the document's arrival to the invoice's first "
    "approval: the median and the 90th percentile (nearest rank) over the invoices that "
    "were approved.",
    "field_accuracy": "For each header field, of the invoices where extraction read the "
    "field, the share where no clerk corrected it afterwards.",
    "field_accuracy_by_vendor": "For each vendor, of all header fields extraction read on "
    "that vendor's invoices, the share no clerk corrected afterwards.",
    "approvals_waiting": "Invoices waiting for an approval decision now.",
    "approvals_overdue": "Invoices that have been waiting for an approval decision for "
    "longer than the approval SLA (24 hours unless set otherwise).",
    "weeks": "Week by week (ISO weeks, Monday to Sunday): the touchless rate and the median "
    "hours from arrival to posting of the invoices posted that week, the share of the "
    "invoices that arrived that week raising each exception code, and the backlog: "
    "invoices received and not yet posted, paid, rejected or marked duplicate at the "
    "week's end.",
}


@dataclass(frozen=True)
class Event:
    """One audit event, as audit.models.AuditEvent stores it."""

    id: int
    created_at: datetime
    actor: str
    action: str
    invoice_id: int | None
    payload: dict


@dataclass(frozen=True)
class Spread:
    count: int
    median_hours: float | None
    p90_hours: float | None

    @classmethod
    def of(cls, hours: list[float]) -> "Spread":
        if not hours:
            return cls(0, None, None)
        ordered = sorted(hours)
        n = len(ordered)
        # Nearest rank: ceil(0.9 n), in integers because 0.9 * 70 is 63.00000000000001.
        rank = (9 * n + 9) // 10
        return cls(n, float(statistics.median(ordered)), float(ordered[rank - 1]))


@dataclass(frozen=True)
class Week:
    """One ISO week of the trends; rates are 0..1 (None: nothing to divide by), hours float.

    `posted`, `touchless_rate` and `cycle_time_median_hours` are about the invoices first
    posted in the week; `received`, `exception_rate` and `exception_rate_by_code` about
    those that arrived in it; `backlog` counts the invoices open at its end (Sunday 24:00).
    """

    week: str  # "2026-W10"
    starts_on: date  # the Monday
    received: int
    posted: int
    touchless_rate: float | None
    exception_rate: float | None
    exception_rate_by_code: dict[str, float]
    cycle_time_median_hours: float | None
    backlog: int


@dataclass(frozen=True)
class Report:
    invoices: int
    touchless_rate: float | None
    first_pass_match_rate: float | None
    exception_rate: float | None
    exception_rate_by_code: dict[str, float]
    cycle_time_to_posting: Spread
    cycle_time_to_approval: Spread
    field_accuracy: dict[str, float]
    field_accuracy_by_vendor: dict[str, float]
    approvals_waiting: int
    approvals_overdue: int
    weeks: tuple[Week, ...] = ()

    def rows(self) -> list[tuple[str, str, str]]:
        """(kpi, key, value) rows for a CSV download; a blank value means "not applicable"."""
        rows = [
            ("invoices", "", str(self.invoices)),
            ("touchless_rate", "", _rate(self.touchless_rate)),
            ("first_pass_match_rate", "", _rate(self.first_pass_match_rate)),
            ("exception_rate", "", _rate(self.exception_rate)),
        ]
        rows += [
            ("exception_rate_by_code", code, _rate(share))
            for code, share in self.exception_rate_by_code.items()
        ]
        for name, spread in [
            ("cycle_time_to_posting", self.cycle_time_to_posting),
            ("cycle_time_to_approval", self.cycle_time_to_approval),
        ]:
            rows += [
                (name, "count", str(spread.count)),
                (name, "median_hours", _hours(spread.median_hours)),
                (name, "p90_hours", _hours(spread.p90_hours)),
            ]
        rows += [("field_accuracy", name, _rate(v)) for name, v in self.field_accuracy.items()]
        rows += [
            ("field_accuracy_by_vendor", vendor, _rate(share))
            for vendor, share in self.field_accuracy_by_vendor.items()
        ]
        rows += [
            ("approvals_waiting", "", str(self.approvals_waiting)),
            ("approvals_overdue", "", str(self.approvals_overdue)),
        ]
        for week in self.weeks:
            rows += [
                (f"weekly_{name}", week.week, value)
                for name, value in [
                    ("received", str(week.received)),
                    ("posted", str(week.posted)),
                    ("touchless_rate", _rate(week.touchless_rate)),
                    ("exception_rate", _rate(week.exception_rate)),
                    *[
                        (f"exception_rate_{code}", _rate(share))
                        for code, share in week.exception_rate_by_code.items()
                    ],
                    ("cycle_time_median_hours", _hours(week.cycle_time_median_hours)),
                    ("backlog", str(week.backlog)),
                ]
            ]
        return rows


def _rate(value: float | None) -> str:
    return "" if value is None else str(round(value, 4))


def _hours(value: float | None) -> str:
    return "" if value is None else str(round(value, 2))


@dataclass(slots=True)
class _Invoice:
    """What one invoice's events have told us so far: all the state a pass keeps."""

    received_at: datetime
    vendor: str
    touched: bool = False
    posted_at: datetime | None = None
    approved_at: datetime | None = None
    # "matched" or "needs_review": how its first match against orders came out.
    first_match: str | None = None
    codes: set[str] = field(default_factory=set)
    fields_read: set[str] = field(default_factory=set)
    fields_corrected: set[str] = field(default_factory=set)
    status: str = "received"
    status_at: datetime | None = None
    # When it last entered a CLOSED status (None while open).
    closed_at: datetime | None = None


def is_person(actor: str) -> bool:
    return not actor.startswith(MACHINE_PREFIXES)


def is_touch(event: Event) -> bool:
    """Whether the event is a person touching its invoice (module docstring: Touchless)."""
    return event.action.startswith(TOUCHES) and is_person(event.actor)


def compute(
    events: Iterable[Event],
    *,
    vendor_of: Mapping[int, str],
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    sla_hours: float = 24,
    vendor: str | None = None,
    zone: tzinfo = UTC,
) -> Report:
    """The KPIs over invoices received in [start, end) (either end open when None).

    `events` must come in id order and is read once. An invoice whose document.received
    event is not among them is not counted: its arrival is what puts it in the period.
    The weekly trends run from the week of the first arrival to the week of `end` (or of
    `now`, whichever is earlier), at most TREND_WEEKS, with weeks taken in `zone`.
    """
    invoices: dict[int, _Invoice] = {}
    out_of_scope: set[int] = set()
    for event in events:
        invoice_id = event.invoice_id
        if invoice_id is None or invoice_id in out_of_scope:
            continue
        invoice = invoices.get(invoice_id)
        if invoice is not None:
            _apply(invoice, event)
        elif event.action == RECEIVED:
            name = vendor_of.get(invoice_id, "")
            arrived = event.created_at
            if (
                (vendor is not None and name != vendor)
                or (start is not None and arrived < start)
                or (end is not None and arrived >= end)
            ):
                out_of_scope.add(invoice_id)
            else:
                invoices[invoice_id] = _Invoice(received_at=arrived, vendor=name)
    last = now if end is None else min(now, end - timedelta(microseconds=1))
    report = _report(list(invoices.values()), now=now, sla=timedelta(hours=sla_hours))
    return dataclasses.replace(report, weeks=_weeks(list(invoices.values()), last, zone))


def _apply(invoice: _Invoice, event: Event) -> None:
    payload = event.payload if isinstance(event.payload, dict) else {}
    if invoice.posted_at is None and is_touch(event):
        invoice.touched = True

    if event.action == "invoice.fields_corrected":
        corrected = payload.get("fields")
        if isinstance(corrected, dict):
            invoice.fields_corrected.update(str(name) for name in corrected)
        return
    if not event.action.startswith("invoice."):
        return
    status = event.action.removeprefix("invoice.")
    if status not in STATUSES:
        return

    invoice.status, invoice.status_at = status, event.created_at
    if status not in CLOSED:
        invoice.closed_at = None
    elif invoice.closed_at is None:
        invoice.closed_at = event.created_at
    inputs = payload.get("inputs")
    inputs = inputs if isinstance(inputs, dict) else {}
    if status == "posted" and invoice.posted_at is None:
        invoice.posted_at = event.created_at
    elif status == "approved" and invoice.approved_at is None:
        invoice.approved_at = event.created_at
    elif status == "matched" and invoice.first_match is None:
        invoice.first_match = status
    elif status == "needs_review":
        # From "extracted" it is matching that failed; from "received", extraction.
        if invoice.first_match is None and payload.get("from") == "extracted":
            invoice.first_match = status
        exceptions = inputs.get("exceptions")
        if isinstance(exceptions, list):
            invoice.codes.update(
                str(item["code"])
                for item in exceptions
                if isinstance(item, dict) and "code" in item
            )
    elif status == "extracted":
        found = inputs.get("fields_found")
        if isinstance(found, list):
            invoice.fields_read.update(str(name) for name in found)


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _report(invoices: list[_Invoice], *, now: datetime, sla: timedelta) -> Report:
    posted = [i for i in invoices if i.posted_at is not None]
    matched = [i for i in invoices if i.first_match is not None]
    codes = Counter(code for i in invoices for code in i.codes)

    read, right = Counter(), Counter()
    vendor_read, vendor_right = Counter(), Counter()
    for invoice in invoices:
        for name in invoice.fields_read:
            correct = name not in invoice.fields_corrected
            read[name] += 1
            right[name] += correct
            vendor_read[invoice.vendor] += 1
            vendor_right[invoice.vendor] += correct

    waiting = [i for i in invoices if i.status == "pending_approval"]
    return Report(
        invoices=len(invoices),
        touchless_rate=_share(sum(not i.touched for i in posted), len(posted)),
        first_pass_match_rate=_share(
            sum(i.first_match == "matched" for i in matched), len(matched)
        ),
        exception_rate=_share(sum(bool(i.codes) for i in invoices), len(invoices)),
        exception_rate_by_code={code: codes[code] / len(invoices) for code in sorted(codes)},
        cycle_time_to_posting=Spread.of(
            [_hours_between(i.received_at, i.posted_at) for i in posted]
        ),
        cycle_time_to_approval=Spread.of(
            [
                _hours_between(i.received_at, i.approved_at)
                for i in invoices
                if i.approved_at is not None
            ]
        ),
        field_accuracy={name: right[name] / read[name] for name in sorted(read)},
        field_accuracy_by_vendor={v: vendor_right[v] / vendor_read[v] for v in sorted(vendor_read)},
        approvals_waiting=len(waiting),
        approvals_overdue=sum(now - i.status_at > sla for i in waiting),
    )


def _monday(moment: datetime, zone: tzinfo) -> date:
    day = moment.astimezone(zone).date()
    return day - timedelta(days=day.weekday())


def _weeks(invoices: list[_Invoice], last: datetime, zone: tzinfo) -> tuple[Week, ...]:
    """The weekly trends (see Week) from the first arrival's week to `last`'s week."""
    if not invoices:
        return ()
    first = min(_monday(i.received_at, zone) for i in invoices)
    final = max(first, _monday(last, zone))
    first = max(first, final - timedelta(weeks=TREND_WEEKS - 1))
    count = (final - first).days // 7 + 1

    def index(moment: datetime) -> int:
        """The week's position in the trend; -1 before it, `count` after it."""
        position = (_monday(moment, zone) - first).days // 7
        return max(-1, min(position, count))

    received = [0] * count
    posted: list[list[_Invoice]] = [[] for _ in range(count)]
    codes: list[Counter] = [Counter() for _ in range(count)]
    excepted = [0] * count
    # Backlog by differences: +1 the week it arrives, -1 the week it closes, summed up.
    opened = [0] * (count + 1)
    for invoice in invoices:
        arrived = index(invoice.received_at)
        if 0 <= arrived < count:
            received[arrived] += 1
            codes[arrived].update(invoice.codes)
            excepted[arrived] += bool(invoice.codes)
        if invoice.posted_at is not None and 0 <= (week := index(invoice.posted_at)) < count:
            posted[week].append(invoice)
        closed = count if invoice.closed_at is None else index(invoice.closed_at)
        if closed > max(arrived, -1):
            opened[max(arrived, 0)] += 1
            opened[closed] -= 1

    weeks, backlog = [], 0
    for n in range(count):
        backlog += opened[n]
        starts_on = first + timedelta(weeks=n)
        year, number, _ = starts_on.isocalendar()
        hours = [_hours_between(i.received_at, i.posted_at) for i in posted[n]]
        weeks.append(
            Week(
                week=f"{year}-W{number:02d}",
                starts_on=starts_on,
                received=received[n],
                posted=len(posted[n]),
                touchless_rate=_share(sum(not i.touched for i in posted[n]), len(posted[n])),
                exception_rate=_share(excepted[n], received[n]),
                exception_rate_by_code={
                    code: codes[n][code] / received[n] for code in sorted(codes[n])
                },
                cycle_time_median_hours=float(statistics.median(hours)) if hours else None,
                backlog=backlog,
            )
        )
    return tuple(weeks)
