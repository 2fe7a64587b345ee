import pytest
from django.db import connection

from audit.chain import canonical_json, record, verify
from audit.models import GENESIS_HASH, AppendOnlyError, AuditEvent


@pytest.mark.django_db
def test_each_event_chains_to_the_previous_hash():
    first = record("test.one", actor="system:test", payload={"amount": "1.00"})
    second = record("test.two", actor="alice", invoice_id=7, payload={"n": 2})

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert len(second.hash) == 64
    assert verify() == verify().__class__(ok=True, events=2)


def test_canonical_json_is_key_order_independent_and_compact():
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1})
    assert canonical_json({"b": 1, "a": 2}) == '{"a":2,"b":1}'


@pytest.mark.django_db
def test_events_cannot_be_updated_or_deleted_through_the_orm():
    event = record("test.one", actor="system:test")
    event.action = "test.changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="x")


@pytest.mark.django_db
def test_tampering_with_a_row_is_detected():
    record("test.one", actor="system:test", payload={"total": "100.00"})
    middle = record("test.two", actor="system:test", payload={"total": "200.00"})
    record("test.three", actor="system:test")
    with connection.cursor() as cursor:
        # Someone with database rights goes around the application (and the trigger).
        postgres = connection.vendor == "postgresql"
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only")
        cursor.execute(
            "UPDATE audit_auditevent SET payload = %s WHERE id = %s",
            ['{"total": "2.00"}', middle.pk],
        )
        if postgres:
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only")

    report = verify()

    assert not report.ok
    assert report.first_broken_id == middle.pk
    assert "hash" in report.reason


@pytest.mark.django_db
def test_postgresql_refuses_raw_updates_and_deletes():
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    from django.db import DatabaseError, transaction

    event = record("test.one", actor="system:test")
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert verify().ok
