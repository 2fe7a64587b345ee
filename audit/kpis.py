"""Accounts-payable KPIs computed from the audit trail.

Standard library only, so a view, a management command and a test with hand-built events
all get the same numbers. One pass over the events keeps a small record per invoice and
never the events themselves, so a year of audit trail (a million rows) fits in memory.
"""

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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

# Shown on the dashboard next to each number, and the reference for what the code computes.
DEFINITIONS: dict[str, str] = {
    "invoices": "Invoices whose document arrived in the period (and, when one is chosen, "
    "from the chosen vendor). Every other figure is about these invoices.",
    "touchless_rate": "Of the invoices that were posted to the ERP, the share that nobody "
    "touched: no action of any kind by a person after the document arrived, up to and "
    "including the posting. Uploading the document by hand does not count as a touch. "
    "Blank when nothing was posted.",
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


def is_person(actor: str) -> bool:
    return not actor.startswith(MACHINE_PREFIXES)


def compute(
    events: Iterable[Event],
    *,
    vendor_of: Mapping[int, str],
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    sla_hours: float = 24,
    vendor: str | None = None,
) -> Report:
    """The KPIs over invoices received in [start, end) (either end open when None).

    `events` must come in id order and is read once. An invoice whose document.received
    event is not among them is not counted: its arrival is what puts it in the period.
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
    return _report(list(invoices.values()), now=now, sla=timedelta(hours=sla_hours))


def _apply(invoice: _Invoice, event: Event) -> None:
    payload = event.payload if isinstance(event.payload, dict) else {}
    if invoice.posted_at is None and is_person(event.actor):
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
