"""Tamper evidence: rows altered, deleted and inserted with raw SQL behind the
application's back (and, on PostgreSQL, around its trigger); `verify_audit` names the
first bad event and how it went bad; a failed nightly check is an alert on the screens."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django_q.models import Schedule

from audit.chain import record, verify
from audit.models import ChainCheck

pytestmark = pytest.mark.django_db


def raw(sql: str, params=()):
    """As someone with database rights would: around the ORM, and around the trigger."""
    with connection.cursor() as cursor:
        postgres = connection.vendor == "postgresql"
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(sql, params)
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")


def five():
    return [record(f"test.{n}", actor="system:test", payload={"n": n}) for n in range(5)]


def test_an_intact_chain_verifies(capsys):
    five()
    call_command("verify_audit")
    assert "The audit chain is intact: 5 events verified." in capsys.readouterr().out
    assert ChainCheck.objects.get().ok


def test_an_altered_event_is_named(capsys):
    events = five()
    raw("UPDATE audit_auditevent SET payload = %s WHERE id = %s",
        [json.dumps({"n": 99}), events[2].pk])  # fmt: skip

    with pytest.raises(CommandError) as failed:
        call_command("verify_audit")

    assert str(failed.value) == (
        f"Event #{events[2].pk} is altered: its content does not match its hash (content changed)."
    )
    check = ChainCheck.objects.get()
    assert (check.ok, check.first_broken_id, check.kind) == (False, events[2].pk, "altered")


def test_a_deleted_event_is_named_by_the_first_event_after_the_gap():
    events = five()
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])

    report = verify()

    assert (report.first_broken_id, report.kind) == (events[2].pk, "deleted")
    assert "the event(s) between were deleted" in report.reason


def test_deleting_the_last_events_leaves_a_chain_that_still_verifies_to_its_end():
    """Said plainly: cutting the tail of a hash chain leaves a valid chain. The nightly
    check records the event count, so a count that went down is visible in its history."""
    events = five()
    call_command("verify_audit")
    raw("DELETE FROM audit_auditevent WHERE id = %s", [events[4].pk])
    call_command("verify_audit")
    counts = list(ChainCheck.objects.order_by("checked_at", "id").values_list("events", flat=True))
    assert counts == [5, 4]


def test_an_inserted_event_is_named():
    first = record("test.first", actor="system:test")
    # Leave a gap in the ids, as an attacker would find one to slip a row into.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), %s)",
                [first.pk + 10],
            )
        else:
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = %s WHERE name = 'audit_auditevent'",
                [first.pk + 10],
            )
    later = [record(f"test.{n}", actor="system:test") for n in range(3)]
    raw(
        "INSERT INTO audit_auditevent (id, created_at, actor, action, invoice_id, payload,"
        " prev_hash, hash) VALUES (%s, %s, %s, %s, NULL, %s, %s, %s)",
        [first.pk + 5, first.created_at, "arnold", "invoice.approved", "{}", "f" * 64, "e" * 64],
    )

    report = verify()

    assert (report.first_broken_id, report.kind) == (first.pk + 5, "inserted")
    assert later[0].pk > first.pk + 5


def test_a_failed_check_is_an_alert_for_compliance_not_for_clerks(client, compliance, clerk):
    events = five()
    raw("UPDATE audit_auditevent SET actor = 'someone' WHERE id = %s", [events[0].pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")

    client.force_login(compliance)
    page = client.get(reverse("invoice_list")).content.decode()
    assert "The audit log failed its check" in page
    assert f"Event #{events[0].pk} is altered" in page
    client.force_login(clerk)
    assert (
        "The audit log failed its check" not in client.get(reverse("invoice_list")).content.decode()
    )


def test_the_chain_is_verified_every_night_by_a_schedule():
    schedule = Schedule.objects.get(func="audit.tasks.verify_chain")
    assert schedule.schedule_type == "D"
