"""The scanner folder: complete files only, each taken once, nothing lost."""

import os
import time

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from core.demo_documents import ubl_xml
from core.models import Document, Invoice
from extraction.channels.folder import poll_folder
from tests.concurrency import at_once
from tests.factories import demo_invoice

pytestmark = pytest.mark.django_db


def _xml(number: str) -> bytes:
    return ubl_xml(demo_invoice(invoice_number=number))


def _settled(path, seconds_ago: float = 60) -> None:
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


@pytest.fixture
def folder(tmp_path, settings):
    settings.INTAKE_FOLDER = str(tmp_path)
    settings.INTAKE_SETTLE_SECONDS = 5
    return tmp_path


def test_a_file_still_being_written_is_not_taken_until_it_settles(folder):
    path = folder / "scan-001.xml"
    path.write_bytes(_xml("INV-1")[:200])  # the scanner has written the first part

    first = poll_folder()

    assert first.waiting == ["scan-001.xml"]
    assert first.taken == []
    assert Invoice.objects.count() == 0
    assert path.exists()

    path.write_bytes(_xml("INV-1"))  # the rest arrives; then nothing changes for a while
    _settled(path)
    second = poll_folder()

    assert second.taken == ["scan-001.xml"]
    invoice = Invoice.objects.get()
    assert invoice.document.channel == Document.Channel.FOLDER
    assert invoice.document.read_bytes() == _xml("INV-1")
    assert not path.exists()
    (archived,) = (folder / "archive").rglob("scan-001.xml")
    assert archived.read_bytes() == _xml("INV-1")


def test_files_with_names_a_writer_uses_meanwhile_are_left_alone(folder):
    for name in ("scan.pdf.part", ".hidden.xml", "~lock.xml"):
        (folder / name).write_bytes(_xml(name))
        _settled(folder / name)

    assert poll_folder().taken == []
    assert Invoice.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_several_workers_polling_at_once_take_each_file_once(folder):
    for number in range(12):
        (folder / f"scan-{number:02}.xml").write_bytes(_xml(f"INV-{number}"))
        _settled(folder / f"scan-{number:02}.xml")
    results = at_once(poll_folder, 4)

    taken = sorted(name for result in results for name in result.taken)
    assert taken == sorted(f"scan-{number:02}.xml" for number in range(12))  # each once
    assert Invoice.objects.count() == 12
    assert not AuditEvent.objects.filter(action="document.received_again").exists()
    assert len(list((folder / "archive").rglob("*.xml"))) == 12


def test_a_file_a_dead_worker_held_is_taken_again_after_the_lease(folder, settings):
    settings.CLAIM_LEASE_SECONDS = 0  # any claim is old enough to be abandoned
    processing = folder / ".processing"
    processing.mkdir()
    (processing / "0f3c--scan-009.xml").write_bytes(_xml("INV-9"))
    _settled(processing / "0f3c--scan-009.xml")  # it had settled before it was claimed

    result = poll_folder()

    assert result.taken == ["scan-009.xml"]
    assert Invoice.objects.count() == 1
    assert list(processing.iterdir()) == []


def test_a_file_over_the_stored_limit_goes_to_refused_with_its_reason(folder, settings):
    settings.MAX_STORED_BYTES = 1000
    path = folder / "huge.pdf"
    path.write_bytes(b"%PDF-1.7\n" + b"0" * 5000)
    _settled(path)

    result = poll_folder()

    assert result.refused == ["huge.pdf"]
    assert (folder / "refused" / "huge.pdf").exists()  # kept, not deleted
    reason = (folder / "refused" / "huge.pdf.reason.txt").read_text()
    assert "huge.pdf is 5,009 bytes; the limit is 1,000 bytes." in reason
    assert Invoice.objects.count() == 0


def test_the_schedule_task_polls_the_configured_folder(folder):
    (folder / "a.xml").write_bytes(_xml("INV-A"))
    _settled(folder / "a.xml")
    from core.tasks import poll_intake_folder

    assert poll_intake_folder() == "1 taken, 0 still being written"
    assert Invoice.objects.count() == 1


def test_the_schedules_exist_after_migrating():
    from django_q.models import Schedule

    assert set(Schedule.objects.values_list("func", flat=True)) >= {
        "core.tasks.poll_mailboxes",
        "core.tasks.poll_intake_folder",
        "core.tasks.resume_stalled",
    }


def test_poll_mailboxes_says_when_none_is_configured(capsys):
    call_command("poll_mailboxes")

    assert "No mailbox is configured" in capsys.readouterr().out
