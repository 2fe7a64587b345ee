"""Approvals never get stuck: the clock moves, reminders go out at half the SLA, and past
the SLA the level escalates to the manager, the next level or the admins. Audited."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from approvals import chains, decisions, escalation, triage
from approvals.models import Approval, ApprovalRule, ReportingLine
from audit.models import AuditEvent
from core.models import Status
from tests.approvals.test_routes import person
from tests.factories import make_queue

pytestmark = pytest.mark.django_db
START = timezone.make_aware(datetime(2026, 11, 23, 9, 0))  # a Monday morning


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def waiting(clock, clerk, approver, django_capture_on_commit_callbacks):
    approver.email = "arnold@buyer.example"
    approver.save()
    (invoice,) = make_queue(1, code="", amount=Decimal("900.00"))
    with django_capture_on_commit_callbacks(execute=True):
        triage.send_for_approval(invoice, clerk)
    mail.outbox.clear()
    return invoice


def run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return escalation.run()


def test_nothing_happens_before_half_the_sla(waiting, clock, django_capture_on_commit_callbacks):
    clock.shift(timedelta(hours=11, minutes=59))
    done = run(django_capture_on_commit_callbacks)
    assert (done.reminded, done.escalated) == ([], [])
    assert mail.outbox == []


def test_a_reminder_at_half_the_sla_and_only_one(
    waiting, clock, django_capture_on_commit_callbacks
):
    clock.shift(timedelta(hours=12))
    assert run(django_capture_on_commit_callbacks).reminded == [waiting.pk]
    (reminder,) = mail.outbox
    assert reminder.to == ["arnold@buyer.example"]
    assert reminder.subject.startswith("Reminder: Approve invoice")
    assert "due 2026-11-24 09:00 UTC" in reminder.body
    event = AuditEvent.objects.get(invoice_id=waiting.pk, action="approval.reminded")
    assert event.payload["waiting_for"] == ["arnold"]

    clock.shift(timedelta(hours=6))
    assert run(django_capture_on_commit_callbacks).reminded == []  # once per level
    assert len(mail.outbox) == 1


def test_past_the_sla_it_escalates_to_the_approvers_manager(
    waiting, clock, approver, django_capture_on_commit_callbacks
):
    boss = person("maria", role="admin")  # the head of finance
    ReportingLine.objects.create(user=approver, manager=boss)
    clock.shift(timedelta(hours=24, minutes=1))

    assert run(django_capture_on_commit_callbacks).escalated == [waiting.pk]

    route = chains.open_route(waiting)
    assert route.escalations == 1
    assert route.level_started_at == timezone.now()  # a new SLA for whoever was added
    assert [entry["user"] for entry in route.current["added"]] == ["maria"]
    event = AuditEvent.objects.get(invoice_id=waiting.pk, action="approval.escalated")
    assert (
        "passed its SLA of 24 h (0.0 h over) waiting for arnold; escalated to maria"
        in (event.payload["reason"])
    )
    (escalated,) = mail.outbox
    assert escalated.to == ["maria@buyer.example"]
    assert escalated.subject.startswith("Escalated: Approve invoice")

    assert decisions.approve(waiting, boss, "arnold is not answering") is True
    assert waiting.status == Status.APPROVED


def test_without_a_manager_it_escalates_to_the_next_level(
    clerk, clock, approver, django_capture_on_commit_callbacks
):
    chief = person("ada", role="admin")
    (invoice,) = make_queue(1, code="", amount=Decimal("30000.00"))  # two levels
    triage.send_for_approval(invoice, clerk)
    clock.shift(timedelta(hours=25))

    run(django_capture_on_commit_callbacks)

    route = chains.open_route(invoice)
    assert route.level == 0
    assert route.current["added"][0]["user"] == "ada"
    assert "next level" in route.current["added"][0]["why"]
    # Ada decides level 1 in arnold's stead; level 2 still needs someone other than her.
    assert decisions.approve(invoice, chief, "escalated to me") is False
    route.refresh_from_db()
    assert route.level == 1
    with pytest.raises(chains.NotEligible, match="decided on this invoice already"):
        decisions.approve(invoice, chief, "again")


def test_at_an_all_of_level_the_manager_stands_in_for_the_late_person(
    clerk, clock, approver, django_capture_on_commit_callbacks
):
    second, boss = person("bea"), person("maria", role="admin")
    ReportingLine.objects.create(user=second, manager=boss)
    ApprovalRule.objects.create(
        name="Both", priority=1, chain=[{"approvers": ["user:arnold", "user:bea"], "mode": "all",
                                         "sla_hours": 4}],
    )  # fmt: skip
    (invoice,) = make_queue(1, code="")
    triage.send_for_approval(invoice, clerk)
    decisions.approve(invoice, approver, "ok")
    clock.shift(timedelta(hours=5))

    run(django_capture_on_commit_callbacks)
    assert decisions.approve(invoice, boss, "for bea") is True
    decision = Approval.objects.get(invoice=invoice, user=boss)
    assert decision.sentence == "Approved by maria (escalated from bea)"


def test_the_last_level_escalates_to_the_admins(waiting, clock, django_capture_on_commit_callbacks):
    person("ada", role="admin")
    clock.shift(timedelta(hours=30))
    run(django_capture_on_commit_callbacks)
    added = chains.open_route(waiting).current["added"]
    assert [entry["user"] for entry in added] == ["ada"]
    assert "at the last level" in added[0]["why"]


def test_escalation_repeats_every_sla_and_says_when_nobody_is_left(
    waiting, clock, django_capture_on_commit_callbacks
):
    clock.shift(timedelta(hours=25))
    run(django_capture_on_commit_callbacks)  # no manager, no next level, no admins
    clock.shift(timedelta(hours=25))
    run(django_capture_on_commit_callbacks)
    events = AuditEvent.objects.filter(invoice_id=waiting.pk, action="approval.escalated")
    assert events.count() == 2
    assert "nobody further to escalate to" in events.last().payload["reason"]


def test_a_decided_invoice_is_not_chased(
    waiting, clock, approver, django_capture_on_commit_callbacks
):
    decisions.approve(waiting, approver, "ok")
    clock.shift(timedelta(days=3))
    done = run(django_capture_on_commit_callbacks)
    assert (done.reminded, done.escalated) == ([], [])


def test_a_schedule_runs_it_and_a_command_does_the_same(waiting, clock, capsys):
    schedule = Schedule.objects.get(func="approvals.tasks.escalate_approvals")
    assert (schedule.schedule_type, schedule.minutes) == ("I", 15)
    clock.shift(timedelta(hours=13))
    call_command("escalate_approvals")
    assert "1 reminded, 0 escalated" in capsys.readouterr().out
