"""A worker killed in the middle of a stage: its invoice is taken up again in under two
minutes (a short lease, renewed by a heartbeat while the stage runs, and the "resume
stalled invoices" schedule every minute), and a long stage keeps its claim."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_q.models import Schedule

from core import pipeline, tasks
from core.models import Invoice, Status
from extraction.intake import receive


def _invoice() -> Invoice:
    return receive(b"%PDF-1.4 crash", name="x.pdf", channel="upload", actor="system:test").invoice


@pytest.mark.django_db
def test_a_dead_workers_invoice_is_queued_again_well_within_two_minutes(settings, monkeypatch):
    schedule = Schedule.objects.get(name="resume stalled invoices")
    # The worst case: the worker dies right after renewing its claim; the lease runs out,
    # then the schedule's next pass comes up to one interval later.
    worst_case = timedelta(seconds=settings.CLAIM_LEASE_SECONDS, minutes=schedule.minutes)
    assert worst_case < timedelta(minutes=2)
    invoice = _invoice()
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, pk: queued.append(pk))

    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert Invoice.objects.claim(invoice.pk, Status.RECEIVED, "killed-worker:41")
        clock.shift(timedelta(seconds=30))
        assert tasks.resume_stalled() == 0  # its lease still runs: it may be alive
        clock.shift(worst_case - timedelta(seconds=30))

        assert tasks.resume_stalled() == 1
        assert queued == [invoice.pk]
        assert Invoice.objects.claim(invoice.pk, Status.RECEIVED, "next-worker:42")


@pytest.mark.django_db(transaction=True)
def test_a_stage_that_runs_longer_than_the_lease_keeps_its_claim(settings, monkeypatch):
    settings.CLAIM_LEASE_SECONDS = 1  # renewed every third of a second
    invoice = _invoice()
    taken_by_another = []

    def slow_stage(invoice):
        time.sleep(2.5)  # two and a half leases
        taken_by_another.append(Invoice.objects.claim(invoice.pk, Status.RECEIVED, "other"))
        invoice.transition(Status.EXTRACTED, actor="system:test", reason="read")

    monkeypatch.setitem(pipeline.STAGES, Status.RECEIVED, slow_stage)
    monkeypatch.setitem(pipeline.STAGES, Status.EXTRACTED, lambda invoice: None)

    pipeline.advance(invoice.pk, worker="slow-worker")

    assert taken_by_another == [False]
    assert Invoice.objects.get(pk=invoice.pk).claimed_by == ""  # released after the stage
