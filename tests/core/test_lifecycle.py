import threading

import pytest
from django.db import connection

from audit.chain import verify
from audit.models import AuditEvent
from core.models import IllegalTransition, Invoice, Status
from extraction.intake import receive


def _invoice(data=b"%PDF-1.4 placeholder") -> Invoice:
    return receive(data, name="x.pdf", channel="upload", actor="system:test").invoice


@pytest.mark.django_db
def test_transition_writes_one_audit_event_with_its_inputs():
    invoice = _invoice()
    last_id = AuditEvent.objects.latest("id").pk

    invoice.transition(
        Status.NEEDS_REVIEW, actor="system:test", reason="because", inputs={"total": "1.00"}
    )

    assert invoice.status == Status.NEEDS_REVIEW
    events = list(AuditEvent.objects.filter(id__gt=last_id))
    assert len(events) == 1
    assert events[0].action == "invoice.needs_review"
    assert events[0].invoice_id == invoice.pk
    assert events[0].payload == {
        "from": "received",
        "to": "needs_review",
        "reason": "because",
        "inputs": {"total": "1.00"},
    }
    assert verify().ok


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], Status.POSTED),
        ([], Status.APPROVED),
        ([Status.NEEDS_REVIEW, Status.REJECTED], Status.APPROVED),
        ([Status.NEEDS_REVIEW, Status.DUPLICATE], Status.PENDING_APPROVAL),
        ([Status.EXTRACTED], Status.PAID),
    ],
)
def test_illegal_transitions_raise_and_change_nothing(path, illegal):
    invoice = _invoice()
    for step in path:
        invoice.transition(step, actor="system:test", reason="setup")
    events = AuditEvent.objects.count()

    with pytest.raises(IllegalTransition):
        invoice.transition(illegal, actor="system:test", reason="not allowed")

    invoice.refresh_from_db()
    assert invoice.status == (path[-1] if path else Status.RECEIVED)
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_a_stale_copy_cannot_transition_from_a_state_it_no_longer_has():
    invoice = _invoice()
    stale = Invoice.objects.get(pk=invoice.pk)
    invoice.transition(Status.NEEDS_REVIEW, actor="system:test", reason="first")
    invoice.transition(Status.REJECTED, actor="system:test", reason="second")

    # The stale copy still says "received", but the check reads the locked row.
    with pytest.raises(IllegalTransition):
        stale.transition(Status.EXTRACTED, actor="system:test", reason="late")


@pytest.mark.django_db
def test_claim_is_compare_and_set_and_expires(settings):
    invoice = _invoice()
    assert Invoice.objects.claim(invoice.pk, Status.RECEIVED, "worker-a")
    assert not Invoice.objects.claim(invoice.pk, Status.RECEIVED, "worker-b")
    assert not Invoice.objects.claim(invoice.pk, Status.EXTRACTED, "worker-b")  # wrong state

    Invoice.objects.release(invoice.pk, "worker-a")
    assert Invoice.objects.claim(invoice.pk, Status.RECEIVED, "worker-b")

    settings.CLAIM_LEASE_SECONDS = -1  # a crashed worker's lease has run out
    invoice2 = _invoice(b"%PDF-1.4 other")
    assert Invoice.objects.claim(invoice2.pk, Status.RECEIVED, "crashed")
    assert Invoice.objects.claim(invoice2.pk, Status.RECEIVED, "rescuer")


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_concurrently_exactly_one_wins():
    invoice = _invoice()
    workers = 8
    barrier = threading.Barrier(workers)
    wins = []

    def claim(name):
        try:
            barrier.wait()
            if Invoice.objects.claim(invoice.pk, Status.RECEIVED, name):
                wins.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(wins) == 1
    assert Invoice.objects.get(pk=invoice.pk).claimed_by == wins[0]
