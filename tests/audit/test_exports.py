"""Exports compliance takes away: an invoice's story rebuilt from its audit pack alone with
every hash checked; the event log streamed as CSV and JSON Lines in constant memory, shown
with a million events; field history; the KPI dashboard and its CSV; all audited."""

import csv
import hashlib
import io
import itertools
import json
import os
import zipfile
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from approvals import decisions
from audit.models import AuditEvent
from core import exports, pipeline
from core.demo_pdf import pdf_invoice
from core.models import Invoice, Status
from extraction.intake import receive
from tests.factories import demo_invoice, make_purchase_order, make_vendor

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(settings, approver):
    """An invoice above the limit: read, matched, approved by a person, posted."""
    settings.AUTO_APPROVE_LIMIT = Decimal("100.00")
    vendor = make_vendor()
    make_purchase_order(vendor)
    received = receive(pdf_invoice(demo_invoice(vendor), "classic"), name="inv.pdf",
                       channel="upload", actor="system:test")  # fmt: skip
    invoice = pipeline.advance(received.invoice.pk)
    assert invoice.status == Status.PENDING_APPROVAL
    decisions.approve(invoice, approver, "Budget confirmed")
    return pipeline.advance(invoice.pk)


def test_an_invoices_story_is_rebuilt_from_its_audit_pack_alone(client, compliance, story):
    client.force_login(compliance)
    response = client.get(reverse("audit_pack", args=[story.pk]))
    assert response["Content-Type"] == "application/zip"
    pack = zipfile.ZipFile(io.BytesIO(response.content))

    manifest = json.loads(pack.read("manifest.json"))
    names = {entry["path"] for entry in manifest["files"]}
    assert names == set(pack.namelist()) - {"manifest.json"}
    for entry in manifest["files"]:  # every file is what the manifest says
        data = pack.read(entry["path"])
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["bytes"]

    # The story, from the pack only: received, read, matched, waited, approved, posted.
    timeline = json.loads(pack.read("timeline.json"))
    assert [e["action"] for e in timeline] == [
        "document.received", "invoice.extracted", "invoice.matched",
        "invoice.pending_approval", "invoice.approved", "invoice.posted",
    ]  # fmt: skip
    for before, after in itertools.pairwise(timeline):
        assert after["id"] > before["id"]
    extraction = json.loads(pack.read("extraction.json"))
    original = pack.read("documents/inv.pdf")
    assert hashlib.sha256(original).hexdigest() == extraction["document"]["sha256"]
    assert extraction["fields"]["total_amount"]["value"] == "297.50"
    assert extraction["fields"]["total_amount"]["confidence"] > 0.5
    (run,) = json.loads(pack.read("match.json"))
    assert run["purchase_orders"] == ["4500001"]
    assert run["clean"]
    (route,) = json.loads(pack.read("approvals.json"))
    assert route["policy"] == "Default: one approver (v1)"
    assert route["decisions"][0]["sentence"] == "Approved by arnold"
    (posting,) = json.loads(pack.read("posting.json"))
    assert posting["state"] == "delivered"
    assert posting["document_number"] == story.erp_reference
    assert "approved by arnold" in pack.read("timeline.txt").decode().lower()

    exported = AuditEvent.objects.get(action="audit.pack_exported")
    assert exported.actor == "connie"
    assert exported.payload["sha256"] == hashlib.sha256(response.content).hexdigest()


def test_events_export_as_csv_and_json_lines_with_filters(client, compliance, story):
    client.force_login(compliance)
    url = reverse("events_export", args=["csv"])
    rows = list(csv.DictReader(io.StringIO(
        b"".join(client.get(url, {"action": "invoice."}).streaming_content).decode()
    )))  # fmt: skip
    assert {row["action"] for row in rows} >= {"invoice.approved", "invoice.posted"}
    assert all(row["action"].startswith("invoice.") for row in rows)
    approved = next(row for row in rows if row["action"] == "invoice.approved")
    assert json.loads(approved["payload"])["to"] == "approved"

    lines = b"".join(
        client.get(reverse("events_export", args=["jsonl"]), {"actor": "arnold"}).streaming_content
    ).decode().splitlines()  # fmt: skip
    assert [json.loads(line)["action"] for line in lines] == ["invoice.approved"]
    other_vendor = make_vendor(name="Other", vat_id="X", external_id="V-9", iban="")
    response = client.get(url, {"vendor": other_vendor.pk})
    assert b"".join(response.streaming_content).decode().strip() == ",".join(exports.EVENT_COLUMNS)
    assert AuditEvent.objects.filter(action="audit.events_exported").count() == 3
    assert client.get(url, {"start": "not a date"}).status_code == 400


@pytest.mark.slow
def test_a_million_events_stream_in_constant_memory():
    """1,000,000 events written straight into the table, then streamed as JSON Lines:
    the process grows by less than 40 MB while it streams hundreds of megabytes (a list of
    them would take gigabytes)."""
    count = 1_000_000
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            series = "SELECT i FROM generate_series(1, %s) AS i"
            hashes = "lpad(to_hex(i), 64, '0'), 'f' || lpad(to_hex(i), 63, '0')"
            stamp = "now()"
        else:
            series = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                      "WHERE i < %s) SELECT i FROM n")  # fmt: skip
            hashes = "printf('%%064x', i), printf('f%%063x', i)"
            stamp = "CURRENT_TIMESTAMP"
        # Built from the constants above only; the count is a parameter.
        columns = "created_at, actor, action, invoice_id, payload, prev_hash, hash"
        values = f"{stamp}, 'system:load', 'load.test', NULL, '{{\"n\": 1}}', {hashes}"
        insert = f"INSERT INTO audit_auditevent ({columns}) SELECT {values} FROM ({series}) AS s"  # noqa: S608
        cursor.execute(insert, [count])
    assert AuditEvent.objects.count() == count

    lines = total = 0
    resident = []
    for chunk in exports.stream_events(exports.events_for({}), "jsonl"):
        lines += chunk.count(b"\n")
        total += len(chunk)
        if lines % 50_000 < 2000:
            resident.append(_resident_bytes())

    assert lines == count
    assert total > 100 * count  # about 300 bytes a line: hundreds of megabytes in all
    growth = max(resident) - resident[0]
    assert growth < 40 * 1024 * 1024, f"the process grew by {growth / 1e6:.0f} MB"


def _resident_bytes() -> int:
    """The process's resident memory now (Linux), the whole of it: Python objects and the
    database driver's buffers alike."""
    pages = int(open("/proc/self/statm").read().split()[1])  # noqa: SIM115
    return pages * os.sysconf("SC_PAGE_SIZE")


def test_field_history_shows_who_changed_bank_details(client, compliance, clerk):
    vendor = make_vendor()
    vendor.iban = "DE02120300000000202051"
    vendor._change_reason = "New bank letter"
    vendor.save()
    client.force_login(compliance)
    page = client.get(reverse("history", args=["vendor", vendor.pk])).content.decode()
    assert "New bank letter" in page
    assert "DE89370400440532013000" in page
    assert "DE02120300000000202051" in page
    assert client.get(reverse("history", args=["nothing", 1])).status_code == 404
    client.force_login(clerk)
    assert client.get(reverse("history", args=["vendor", vendor.pk])).status_code == 403


def test_the_kpi_dashboard_and_its_csv(client, compliance, story):
    client.force_login(compliance)
    page = client.get(reverse("kpi_dashboard")).content.decode()
    assert "How automation is doing" in page
    assert "1 invoice received in the period" in page
    assert "no action on the invoice by a person" in page  # the definitions are on the page
    assert "Week by week" in page  # the trends, drawn and in a table
    assert page.count('src="/kpis/charts/') == 4
    rows = list(csv.reader(io.StringIO(client.get(reverse("kpi_csv")).content.decode())))
    assert rows[0] == ["kpi", "key", "value"]
    values = {(kpi, key): value for kpi, key, value in rows[1:]}
    assert values[("touchless_rate", "")] == "0.0"  # a person approved it
    assert any(kpi == "weekly_backlog" for kpi, _ in values)  # the trend's numbers too
    filtered = client.get(reverse("kpi_dashboard"), {"start": "2000-01-01", "end": "2000-01-02"})
    assert "0 invoices received in the period" in filtered.content.decode()


def test_the_timeline_explains_automated_decisions_in_words(client, compliance, story):
    client.force_login(compliance)
    page = client.get(reverse("invoice_detail", args=[story.pk])).content.decode()
    assert "policy: <strong>Default: one approver (v1)</strong>" in page
    assert "ERP connector: <strong>file</strong>" in page
    assert Invoice.objects.get(pk=story.pk).status == Status.POSTED
