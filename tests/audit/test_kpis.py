"""The AP KPIs over hand-built audit histories; every expected number is worked out beside it.

Times are hours after T0; `History` hands out ids in the order events are added, as the
audit log does, so invoices can be interleaved.
"""

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from audit.kpis import DEFINITIONS, Event, Report, Spread, Week, compute

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def hours(h: float) -> datetime:
    return T0 + timedelta(hours=h)


class History:
    def __init__(self):
        self.events: list[Event] = []

    def add(self, invoice_id, action, *, at=0.0, actor="system:pipeline", payload=None):
        event = Event(len(self.events) + 1, hours(at), actor, action, invoice_id, payload or {})
        self.events.append(event)
        return self

    def received(self, invoice_id, *, at=0.0, actor="system:folder"):
        return self.add(invoice_id, "document.received", at=at, actor=actor, payload={"file": "a"})

    def move(self, invoice_id, source, target, *, at=0.0, actor="system:pipeline", **inputs):
        payload = {"from": source, "to": target, "reason": "", "inputs": inputs}
        return self.add(invoice_id, f"invoice.{target}", at=at, actor=actor, payload=payload)

    def extracted(self, invoice_id, *fields, at=0.0):
        return self.move(invoice_id, "received", "extracted", at=at, fields_found=list(fields))

    def review(self, invoice_id, source, *codes, at=0.0):
        exceptions = [{"code": code, "message": f"{code} found"} for code in codes]
        return self.move(invoice_id, source, "needs_review", at=at, exceptions=exceptions)

    def corrected(self, invoice_id, *fields, at=0.0, actor="clara"):
        changes = {name: {"from": "", "to": "fixed"} for name in fields}
        return self.add(
            invoice_id, "invoice.fields_corrected", at=at, actor=actor, payload={"fields": changes}
        )

    def straight_through(self, invoice_id, *, at=0.0, actor="system:folder"):
        """Received, read, matched, approved by the trust ladder and posted, one hour apart."""
        self.received(invoice_id, at=at, actor=actor)
        self.extracted(invoice_id, "vendor_name", at=at + 1)
        self.move(invoice_id, "extracted", "matched", at=at + 2)
        self.move(invoice_id, "matched", "approved", at=at + 3, actor="system:trust")
        return self.move(invoice_id, "approved", "posted", at=at + 4, actor="erp:odoo")


def report(history, **options) -> Report:
    arguments = {"vendor_of": {}, "start": None, "end": None, "now": hours(1000)} | options
    return compute(history.events, **arguments)


def test_touchless_counts_posted_invoices_no_person_acted_on():
    history = History()
    # 1: uploaded by a clerk, then nobody; a clerk marks it paid after posting.
    history.straight_through(1, actor="clara")
    history.move(1, "posted", "paid", at=9, actor="clara")
    # 2: a clerk assigns it to a colleague before it is posted.
    history.received(2)
    history.add(2, "invoice.assigned", at=1, actor="clara", payload={"to": "bob"})
    history.move(2, "received", "extracted", at=2)
    history.move(2, "extracted", "matched", at=3)
    history.move(2, "matched", "approved", at=4, actor="system:trust")
    history.move(2, "approved", "posted", at=5, actor="erp:odoo")
    # 3: sent through the API, untouched.
    history.straight_through(3, actor="api:ab12")
    # 4: a clerk corrects it but it is never posted.
    history.received(4)
    history.corrected(4, "total_amount", at=1)

    result = report(history)

    assert result.invoices == 4
    # posted: 1, 2, 3; untouched: 1, 3 -> 2/3
    assert result.touchless_rate == pytest.approx(2 / 3)


def test_a_person_posting_by_hand_is_a_touch():
    history = History()
    history.received(1)
    history.move(1, "received", "extracted", at=1)
    history.move(1, "extracted", "matched", at=2)
    history.move(1, "matched", "approved", at=3, actor="system:trust")
    history.move(1, "approved", "posted", at=4, actor="clara")

    # posted: 1; untouched: none (the posting event itself is by clara) -> 0/1
    assert report(history).touchless_rate == 0.0


def test_a_resent_copy_of_the_file_is_not_a_touch():
    history = History()
    # 1: arrives from the folder, a clerk uploads the very same file again before it posts
    # (recognised by its SHA-256: no second invoice), and the ingest command sends it a
    # third time; nobody acts on the invoice.
    history.received(1)
    history.extracted(1, "vendor_name", at=1)
    history.add(1, "document.received_again", at=1.5, actor="clara", payload={"file": "a"})
    history.add(1, "document.received_again", at=1.6, actor="cli:root", payload={"file": "a"})
    history.move(1, "extracted", "matched", at=2)
    # Compliance exports its audit pack before the posting: reading is not touching.
    history.add(1, "audit.pack_exported", at=2.5, actor="connie", payload={})
    history.move(1, "matched", "approved", at=3, actor="system:trust")
    history.move(1, "approved", "posted", at=4, actor="erp:odoo")
    # 2: the same, but an approver approves it: a touch.
    history.received(2)
    history.add(2, "document.received_again", at=1, actor="clara", payload={"file": "b"})
    history.move(2, "received", "extracted", at=1)
    history.move(2, "extracted", "pending_approval", at=2)
    history.move(2, "pending_approval", "approved", at=3, actor="arnold")
    history.move(2, "approved", "posted", at=4, actor="erp:odoo")

    # posted: 1, 2; untouched: 1 -> 1/2 (before the fix a re-sent copy made it 0/2)
    assert report(history).touchless_rate == pytest.approx(1 / 2)


def test_first_pass_match_rate_looks_at_the_first_matching_outcome_only():
    history = History()
    # 1: matched at the first try.
    history.received(1).extracted(1, at=1).move(1, "extracted", "matched", at=2)
    # 2: price variance first, matched after a correction.
    history.received(2).extracted(2, at=1).review(2, "extracted", "PRICE_VARIANCE", at=2)
    history.corrected(2, "total_amount", at=3)
    history.move(2, "needs_review", "matched", at=4)
    # 3: unreadable (an extraction failure, not a match), then reprocessed and matched.
    history.received(3).review(3, "received", "UNREADABLE", at=1)
    history.move(3, "needs_review", "received", at=2).extracted(3, at=3)
    history.move(3, "extracted", "matched", at=4)
    # 4: read but never matched.
    history.received(4).extracted(4, at=1)

    # ever matched: 1, 2, 3; matched first: 1, 3 -> 2/3
    assert report(history).first_pass_match_rate == pytest.approx(2 / 3)


def test_exception_rates_count_each_invoice_once_per_code():
    history = History()
    history.received(1).extracted(1).review(1, "extracted", "PRICE_VARIANCE", "QTY_VARIANCE")
    history.received(2).extracted(2).review(2, "extracted", "PRICE_VARIANCE")
    history.move(2, "needs_review", "extracted").review(2, "extracted", "PRICE_VARIANCE")
    history.received(3).review(3, "received", "UNREADABLE")
    history.straight_through(4)

    result = report(history)

    assert result.exception_rate_by_code == {
        "PRICE_VARIANCE": 0.5,  # invoices 1, 2 of 4 (2 raised it twice, counted once)
        "QTY_VARIANCE": 0.25,  # invoice 1 of 4
        "UNREADABLE": 0.25,  # invoice 3 of 4
    }
    assert result.exception_rate == 0.75  # invoices 1, 2, 3 of 4


def test_cycle_times_take_median_and_nearest_rank_p90():
    history = History()
    # (invoice, received, approved, posted) in hours; interleaved as a busy day would be.
    timeline = [(1, 0, 2, 3), (2, 1, 5, 11), (3, 2, 10, 14.5), (4, 3, 27, 51), (5, 4, 7, 10)]
    for invoice_id, received, _, _ in timeline:
        history.received(invoice_id, at=received)
    for invoice_id, _, approved, _ in timeline:
        history.move(invoice_id, "pending_approval", "approved", at=approved, actor="arnold")
    for invoice_id, _, _, posted in timeline:
        history.move(invoice_id, "approved", "posted", at=posted, actor="erp:odoo")
    # 6: approved after 1 hour, posting failed, never posted.
    history.received(6, at=5).move(6, "pending_approval", "approved", at=6, actor="arnold")
    history.add(6, "invoice.posting_failed", at=7, actor="erp:odoo")
    # A second posting of invoice 1 does not move its first one.
    history.move(1, "paid", "posted", at=100, actor="erp:odoo")

    result = report(history)

    # to posting: 3-0=3, 11-1=10, 14.5-2=12.5, 51-3=48, 10-4=6 -> sorted [3, 6, 10, 12.5, 48]
    # median: 10; p90 rank ceil(0.9*5)=ceil(4.5)=5 -> 48
    assert result.cycle_time_to_posting == Spread(count=5, median_hours=10.0, p90_hours=48.0)
    # to approval: 2, 4, 8, 24, 3, and 6-5=1 -> sorted [1, 2, 3, 4, 8, 24]
    # median: (3+4)/2 = 3.5; p90 rank ceil(0.9*6)=ceil(5.4)=6 -> 24
    assert result.cycle_time_to_approval == Spread(count=6, median_hours=3.5, p90_hours=24.0)


def test_field_accuracy_per_field_and_per_vendor():
    history = History()
    history.received(1).extracted(1, "vendor_name", "invoice_number", "total_amount")
    history.corrected(1, "total_amount")
    # 2 is read twice (reprocessed): what either reading found counts as read.
    history.received(2).extracted(2, "vendor_name")
    history.move(2, "extracted", "received").extracted(
        2, "vendor_name", "invoice_number", "due_date"
    )
    history.corrected(2, "invoice_number", "iban")  # iban was never read: not counted
    history.received(3).extracted(3, "vendor_name", "total_amount")
    history.received(4)  # never extracted
    vendor_of = {1: "Acme", 2: "Acme", 3: "Globex", 4: "Globex"}

    result = report(history, vendor_of=vendor_of)

    assert result.field_accuracy == {
        "due_date": 1.0,  # read on 2, not corrected: 1/1
        "invoice_number": 0.5,  # read on 1, 2; corrected on 2: 1/2
        "total_amount": 0.5,  # read on 1, 3; corrected on 1: 1/2
        "vendor_name": 1.0,  # read on 1, 2, 3; never corrected: 3/3
    }
    assert result.field_accuracy_by_vendor == {
        # Acme pairs: 1 x {vendor_name, invoice_number, total_amount*},
        #             2 x {vendor_name, invoice_number*, due_date}; * corrected -> 4/6
        "Acme": pytest.approx(4 / 6),
        "Globex": 1.0,  # 3 x {vendor_name, total_amount}, none corrected -> 2/2
    }


def test_approvals_overdue_only_past_the_sla():
    history = History()
    now = hours(100)
    # 1: waiting exactly 24 hours (100-76); a reminder is not a status change.
    history.received(1).move(1, "matched", "pending_approval", at=76)
    history.add(1, "approval.reminded", at=99)
    # 2: waiting 24.01 hours (100-75.99).
    history.received(2).move(2, "matched", "pending_approval", at=75.99)
    # 3: waiting 10 hours.
    history.received(3).move(3, "matched", "pending_approval", at=90)
    # 4: approved long ago, no longer waiting.
    history.received(4).move(4, "matched", "pending_approval", at=10)
    history.move(4, "pending_approval", "approved", at=20, actor="arnold")
    # 5: held (not a status change), waiting 90 hours.
    history.received(5).move(5, "matched", "pending_approval", at=10)
    history.add(5, "invoice.held", at=50, actor="arnold")

    result = report(history, now=now)

    assert result.approvals_waiting == 4  # 1, 2, 3, 5
    assert result.approvals_overdue == 2  # 2 (24.01 > 24), 5 (90 > 24); 1 is at 24, not over
    # With an 8-hour SLA: 1 (24), 2 (24.01), 3 (10), 5 (90) are all over 8.
    assert report(history, now=now, sla_hours=8).approvals_overdue == 4


def test_period_and_vendor_choose_invoices_by_arrival():
    history = History()
    history.received(1, at=0).move(1, "approved", "posted", at=30)  # posted after the end
    history.received(2, at=10).review(2, "extracted", "PRICE_VARIANCE", at=11)
    history.received(3, at=24).review(3, "received", "UNREADABLE", at=25)
    history.received(4, at=12)
    vendor_of = {1: "Acme", 2: "Globex", 3: "Acme"}  # 4's vendor is unknown

    period = report(history, vendor_of=vendor_of, start=hours(0), end=hours(24))
    acme = report(history, vendor_of=vendor_of, vendor="Acme")
    both = report(history, vendor_of=vendor_of, start=hours(0), end=hours(24), vendor="Acme")

    # [0, 24): 1 (at the start), 2, 4; 3 arrived at the end, which is excluded.
    assert period.invoices == 3
    assert period.exception_rate_by_code == {"PRICE_VARIANCE": pytest.approx(1 / 3)}  # 2 of 3
    assert period.cycle_time_to_posting.count == 1  # 1, posted at 30, still counts
    # Acme: 1, 3.
    assert acme.invoices == 2
    assert acme.exception_rate_by_code == {"UNREADABLE": 0.5}  # 3: 1 of 2
    # Acme in [0, 24): 1.
    assert both.invoices == 1
    assert both.exception_rate == 0.0


def test_empty_history_gives_blank_rates_and_zero_counts():
    result = report(History())

    nothing = Spread(count=0, median_hours=None, p90_hours=None)
    assert result == Report(
        invoices=0,
        touchless_rate=None,
        first_pass_match_rate=None,
        exception_rate=None,
        exception_rate_by_code={},
        cycle_time_to_posting=nothing,
        cycle_time_to_approval=nothing,
        field_accuracy={},
        field_accuracy_by_vendor={},
        approvals_waiting=0,
        approvals_overdue=0,
    )
    assert ("touchless_rate", "", "") in result.rows()


def test_unknown_actions_and_events_without_an_invoice_are_ignored():
    clean = History()
    clean.straight_through(1)
    noisy = History()
    noisy.add(None, "auth.login", actor="clara")
    noisy.add(None, "document.received", actor="clara")
    noisy.received(1)
    noisy.add(None, "vendor.trust_changed", at=0.5, actor="system:trust")
    noisy.extracted(1, "vendor_name", at=1)
    noisy.add(1, "invoice.reindexed", at=1.5, payload={"inputs": "not a dict"})
    noisy.add(1, "invoice.needs_review", at=1.6, payload={"inputs": {"exceptions": "oops"}})
    noisy.move(1, "extracted", "matched", at=2)
    noisy.move(1, "matched", "approved", at=3, actor="system:trust")
    noisy.move(1, "approved", "posted", at=4, actor="erp:odoo")
    noisy.add(99, "invoice.posted", at=5, actor="erp:odoo")  # its arrival is not in the stream

    # Same as the clean history: one invoice, posted untouched after 4 hours.
    assert report(noisy) == report(clean)
    assert report(noisy).invoices == 1


def test_events_are_read_once_so_a_generator_will_do():
    history = History()
    history.straight_through(1)
    history.received(2).review(2, "received", "UNREADABLE", at=1)

    once = compute(
        (event for event in history.events), vendor_of={}, start=None, end=None, now=hours(9)
    )

    assert once == report(history, now=hours(9))


def test_rows_for_a_csv_download():
    history = History()
    # 1: read 1 field, matched, approved at 2h20m, posted at 3h; nobody touched it.
    history.received(1).extracted(1, "vendor_name", at=0.5)
    history.move(1, "extracted", "matched", at=1)
    history.move(1, "matched", "approved", at=7 / 3, actor="system:trust")
    history.move(1, "approved", "posted", at=3, actor="erp:odoo")
    # 2: read 2 fields, both corrected, price variance accepted, waiting since hour 2.
    history.received(2).extracted(2, "vendor_name", "total_amount", at=0.5)
    history.review(2, "extracted", "PRICE_VARIANCE", at=1)
    history.corrected(2, "vendor_name", "total_amount", at=1.5)
    history.add(2, "invoice.variance_accepted", at=1.8, actor="clara")
    history.move(2, "needs_review", "pending_approval", at=2, actor="clara")

    result = report(history, vendor_of={1: "Acme", 2: "Acme"}, now=hours(30))

    assert result.rows() == [
        ("invoices", "", "2"),
        ("touchless_rate", "", "1.0"),  # posted: 1; untouched: 1 -> 1/1
        ("first_pass_match_rate", "", "0.5"),  # matched first: 1 of 1, 2 -> 1/2
        ("exception_rate", "", "0.5"),  # 2 of 2 invoices -> 1/2
        ("exception_rate_by_code", "PRICE_VARIANCE", "0.5"),  # 2 of 2 invoices -> 1/2
        ("cycle_time_to_posting", "count", "1"),
        ("cycle_time_to_posting", "median_hours", "3.0"),  # 3 - 0
        ("cycle_time_to_posting", "p90_hours", "3.0"),  # the only value
        ("cycle_time_to_approval", "count", "1"),
        ("cycle_time_to_approval", "median_hours", "2.33"),  # 2h20m = 2.333... hours
        ("cycle_time_to_approval", "p90_hours", "2.33"),
        ("field_accuracy", "total_amount", "0.0"),  # read on 2, corrected: 0/1
        ("field_accuracy", "vendor_name", "0.5"),  # read on 1, 2; corrected on 2: 1/2
        ("field_accuracy_by_vendor", "Acme", "0.3333"),  # pairs 1:vn, 2:vn*, 2:ta* -> 1/3
        ("approvals_waiting", "", "1"),  # 2
        ("approvals_overdue", "", "1"),  # 2: 30 - 2 = 28 hours > 24
        # One week (T0 is Monday 2 March 2026, ISO week 10), both arrived and 1 posted in it.
        ("weekly_received", "2026-W10", "2"),
        ("weekly_posted", "2026-W10", "1"),
        ("weekly_touchless_rate", "2026-W10", "1.0"),
        ("weekly_exception_rate", "2026-W10", "0.5"),
        ("weekly_exception_rate_PRICE_VARIANCE", "2026-W10", "0.5"),
        ("weekly_cycle_time_median_hours", "2026-W10", "3.0"),
        ("weekly_backlog", "2026-W10", "1"),  # 2 is waiting for approval
    ]


def test_weekly_trends_over_three_weeks():
    # T0 is Monday 2 March 2026 08:00 UTC, ISO week 10; a week is 168 hours, so week 11
    # starts at +160h and week 12 at +328h.
    week = 168
    history = History()
    # Week 10: 1 straight through (posted at +4h); 2 raises PRICE_VARIANCE, a clerk sends it
    # for approval, approved and posted in week 11; 3 raises PO_NOT_FOUND and is rejected in
    # week 12.
    history.straight_through(1, at=0)
    history.received(2, at=1).extracted(2, at=2).review(2, "extracted", "PRICE_VARIANCE", at=3)
    history.move(2, "needs_review", "pending_approval", at=week + 1, actor="clara")
    history.move(2, "pending_approval", "approved", at=week + 2, actor="arnold")
    history.move(2, "approved", "posted", at=week + 10, actor="erp:odoo")
    history.received(3, at=5).extracted(3, at=6).review(3, "extracted", "PO_NOT_FOUND", at=7)
    # Week 11: 4 straight through; 5 approved in week 11 and posted in week 12 (+338h);
    # 6 raises PRICE_VARIANCE and NOT_RECEIVED and stays open.
    history.straight_through(4, at=week + 20)
    history.received(5, at=week + 90).extracted(5, at=week + 91)
    history.move(5, "extracted", "matched", at=week + 92)
    history.move(5, "matched", "approved", at=week + 93, actor="system:trust")
    history.move(5, "approved", "posted", at=week + 170, actor="erp:odoo")
    history.received(6, at=week + 30).extracted(6, at=week + 31)
    history.review(6, "extracted", "PRICE_VARIANCE", "NOT_RECEIVED", at=week + 32)
    # Week 12: 3 is rejected; nothing arrives.
    history.move(3, "needs_review", "rejected", at=2 * week + 5, actor="clara")

    weeks = report(history, now=hours(2 * week + 50)).weeks

    assert [w.week for w in weeks] == ["2026-W10", "2026-W11", "2026-W12"]
    w10, w11, w12 = weeks
    assert w10 == Week(
        week="2026-W10",
        starts_on=T0.date(),
        received=3,  # 1, 2, 3
        posted=1,  # 1
        touchless_rate=1.0,  # 1 untouched
        exception_rate=pytest.approx(2 / 3),  # 2, 3 of 1, 2, 3
        exception_rate_by_code={
            "PO_NOT_FOUND": pytest.approx(1 / 3),
            "PRICE_VARIANCE": pytest.approx(1 / 3),
        },
        cycle_time_median_hours=4.0,  # 1: 0 -> 4
        backlog=2,  # 2 (pending), 3 (in review) at Sunday's end
    )
    assert w11.received == 3  # 4, 5, 6
    assert w11.posted == 2  # 2 (+178h), 4 (+192h); 5 posts in week 12
    assert w11.touchless_rate == 0.5  # 4 untouched; 2 touched by clara and arnold
    # 2: 1 -> 178 = 177h; 4: 188 -> 192 = 4h; median of (4, 177) = 90.5
    assert w11.cycle_time_median_hours == pytest.approx(90.5)
    assert w11.exception_rate == pytest.approx(1 / 3)  # 6
    assert w11.exception_rate_by_code == {
        "NOT_RECEIVED": pytest.approx(1 / 3),
        "PRICE_VARIANCE": pytest.approx(1 / 3),
    }
    assert w11.backlog == 3  # 3 (review), 5 (approved, not posted), 6 (review)
    assert w12.received == 0
    assert w12.posted == 1  # 5
    assert w12.touchless_rate == 1.0
    assert w12.cycle_time_median_hours == pytest.approx(80.0)  # 5: 258 -> 338
    assert w12.exception_rate is None  # nothing arrived
    assert w12.exception_rate_by_code == {}
    assert w12.backlog == 1  # 6; 3 rejected, 5 posted


def test_weekly_trends_follow_the_chosen_period_and_time_zone():
    history = History()
    # Sunday 8 March 2026 23:30 UTC is Monday 00:30 in Berlin (week 11 there, week 10 in UTC).
    history.straight_through(1, at=6 * 24 + 15.5)
    berlin = report(history, zone=ZoneInfo("Europe/Berlin")).weeks
    utc = report(history).weeks

    assert [w.week for w in utc][:1] == ["2026-W10"]
    assert [w.week for w in berlin][:1] == ["2026-W11"]
    # The trend runs to `now`'s week (1000h after T0 is Monday 13 April, week 16), unless
    # `end` is earlier (200h after T0 is Tuesday 10 March, week 11).
    assert utc[-1].week == "2026-W16"
    assert report(history, end=hours(200)).weeks[-1].week == "2026-W11"


def test_every_kpi_has_a_definition():
    assert set(DEFINITIONS) == {f.name for f in dataclasses.fields(Report)}
