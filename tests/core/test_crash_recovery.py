"""A worker killed in the middle of a stage: its invoice is taken up again in under two
minutes (a short lease, renewed by a heartbeat while the stage runs, and the "resume
stalled invoices" schedule every minute), and a long stage keeps its claim. A document
that kills every worker reading it is not retried for ever: after MAX_CRASHED_RUNS runs that
died holding the claim it waits for a clerk as UNREADABLE."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_q.models import Schedule

from audit.models import AuditEvent
from core import pipeline, tasks
from core.demo_documents import ubl_xml
from core.models import Invoice, Status
from extraction import services
from extraction.intake import receive
from tests.factories import demo_invoice, make_purchase_order, make_vendor


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


def _crash(invoice: Invoice, clock, worker: str) -> None:
    """A worker takes the invoice and dies holding it: no release; its lease (45 s) runs out."""
    assert Invoice.objects.claim(invoice.pk, Status.RECEIVED, worker)
    clock.shift(timedelta(minutes=2))


@pytest.fixture
def acme(db):
    vendor = make_vendor()
    make_purchase_order(vendor)
    return vendor


@pytest.mark.django_db
def test_a_document_that_kills_every_worker_goes_to_a_clerk_and_is_not_queued_again(
    settings, monkeypatch
):
    settings.MAX_CRASHED_RUNS = 3
    invoice = _invoice()
    original = invoice.document.read_bytes()
    queued = []
    monkeypatch.setattr(tasks, "async_task", lambda func, pk: queued.append(pk))
    read = []
    monkeypatch.setattr(services, "extract_source", lambda source: read.append(source) or 1 / 0)

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(3):
            _crash(invoice, clock, f"killed-worker:{n}")
            assert tasks.resume_stalled() == 1
        invoice = pipeline.advance(invoice.pk, worker="next-worker:4")
        clock.shift(timedelta(minutes=5))

        assert tasks.resume_stalled() == 0

    assert read == []  # the document was not read a fourth time
    assert invoice.status == Status.NEEDS_REVIEW
    (problem,) = invoice.open_exceptions()
    assert problem.code == "UNREADABLE"
    assert "stopped the worker 3 times" in problem.message
    assert problem.details == {"limit": "MAX_CRASHED_RUNS", "actual": 3, "maximum": 3}
    assert invoice.document.read_bytes() == original  # kept as it came
    event = AuditEvent.objects.for_invoice(invoice.pk).get(action="invoice.needs_review")
    assert event.actor == "system:extraction"
    assert event.payload["inputs"]["exceptions"][0]["details"]["limit"] == "MAX_CRASHED_RUNS"
    assert queued == [invoice.pk] * 3


@pytest.mark.django_db
def test_below_max_crashed_runs_the_invoice_is_resumed_and_read(settings, monkeypatch, acme):
    settings.MAX_CRASHED_RUNS = 3
    received = receive(
        ubl_xml(demo_invoice(acme)), name="i.xml", channel="upload", actor="system:test"
    )
    invoice = received.invoice
    monkeypatch.setattr(tasks, "async_task", lambda func, pk: pipeline.advance(pk))

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(2):
            _crash(invoice, clock, f"killed-worker:{n}")
        assert Invoice.objects.get(pk=invoice.pk).crashed_runs == 1  # counted by the next claim
        assert tasks.resume_stalled() == 1

    invoice.refresh_from_db()
    assert invoice.status == Status.POSTED
    assert invoice.crashed_runs == 2
    assert not invoice.exceptions.exists()


@pytest.mark.django_db
def test_runs_that_release_their_claim_are_not_counted(settings):
    settings.MAX_CRASHED_RUNS = 1
    invoice = _invoice()

    with time_machine.travel(timezone.now(), tick=False) as clock:
        for n in range(3):
            assert Invoice.objects.claim(invoice.pk, Status.RECEIVED, f"worker:{n}")
            Invoice.objects.release(invoice.pk, f"worker:{n}")
            clock.shift(timedelta(minutes=5))
        assert Invoice.objects.claim(invoice.pk, Status.RECEIVED, "worker:4")
        assert Invoice.objects.get(pk=invoice.pk).crashed_runs == 0
        Invoice.objects.release(invoice.pk, "worker:4")

    invoice = pipeline.advance(invoice.pk)  # and a whole run that ends as it should
    assert invoice.crashed_runs == 0
    assert "MAX_CRASHED_RUNS" not in str(invoice.exceptions.values_list("details", flat=True))


@pytest.mark.django_db
def test_a_reprocess_counts_crashes_from_zero_again(settings, monkeypatch):
    settings.MAX_CRASHED_RUNS = 1
    invoice = _invoice()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _crash(invoice, clock, "killed-worker:1")
        invoice = pipeline.advance(invoice.pk)
    assert invoice.status == Status.NEEDS_REVIEW
    assert invoice.crashed_runs == 1

    services.reprocess(invoice, actor="system:test")  # after a fix to the reader, say

    invoice.refresh_from_db()
    assert invoice.status == Status.RECEIVED
    assert invoice.crashed_runs == 0
    read = []
    monkeypatch.setattr(services, "extract_source", lambda source: read.append(source) or 1 / 0)
    pipeline.advance(invoice.pk)
    assert len(read) == 1  # read again, not refused for the crashes before the reprocess
