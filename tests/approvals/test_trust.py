"""The trust ladder: a vendor walks up from manual to auto on its record, an admin applies
each promotion, and a correction or a failed posting brings it down at once. Audited."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from approvals import chains, decisions, trust
from audit.models import AuditEvent
from core import pipeline
from core.demo_documents import DemoLine, ubl_xml
from core.models import OutboxMessage, Status, Vendor
from extraction.corrections import correct_fields
from extraction.intake import receive
from tests.approvals.test_routes import person
from tests.factories import demo_invoice, make_purchase_order, make_vendor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _short_streak(settings):
    settings.TRUST_PROMOTION_STREAK = 3


@pytest.fixture
def vendor():
    return make_vendor(automation_level="manual")


@pytest.fixture
def admin_user():
    return person("ada", role="admin")


def invoice_from(vendor, n: int, po_number: str | None = None):
    """Invoice number n on its own purchase order (n + 1 boxes, so no two look like
    duplicates), through the pipeline."""
    number = f"45{n:05d}"
    make_purchase_order(
        vendor, number=number, lines=[("P-100", "Printer paper A4, box", str(n + 1), "25.00", "19")]
    )
    document = demo_invoice(
        vendor, invoice_number=f"INV-{n}", po_number=po_number or number,
        invoice_date=date(2026, 10, n % 28 + 1),
        lines=[DemoLine("P-100", "Printer paper A4, box", Decimal(n + 1), Decimal("25.00"),
                        Decimal(19))],
    )  # fmt: skip
    received = receive(ubl_xml(document), name=f"{n}.xml", channel="upload", actor="system:test")
    return pipeline.advance(received.invoice.pk)


def finish(invoice, user):
    """Whoever the route waits for approves it; the pipeline posts it."""
    assert decisions.approve(invoice, user, "ok") is True
    return pipeline.advance(invoice.pk)


def test_a_vendor_walks_up_the_ladder_on_its_record_and_down_after_a_correction(
    vendor, approver, clerk, admin_user
):
    # manual: every invoice waits for an approver.
    for n in range(1, 4):
        invoice = invoice_from(vendor, n)
        assert invoice.status == Status.PENDING_APPROVAL
        assert "manual" in chains.open_route(invoice).reason
        assert finish(invoice, approver).status == Status.POSTED
        expected = "assisted" if n == 3 else None
        assert trust.suggestion(vendor) == expected
    assert trust.track_record(vendor).streak == 3

    # Nobody but an admin applies it, and only with a reason.
    with pytest.raises(PermissionDenied, match="Only admins"):
        trust.set_level(vendor, "assisted", by=approver, reason="looks good")
    trust.set_level(vendor, "assisted", by=admin_user, reason="3 clean invoices")
    assert vendor.automation_level == "assisted"
    assert trust.track_record(vendor).streak == 0  # the record starts again at each level
    with pytest.raises(ValidationError, match="does not earn auto"):
        trust.set_level(vendor, "auto", by=admin_user, reason="impatient")

    # assisted: the system proposes, a clerk confirms in one click.
    for n in range(4, 7):
        invoice = invoice_from(vendor, n)
        assert chains.open_route(invoice).kind == "propose"
        assert finish(invoice, clerk).status == Status.POSTED
    assert trust.suggestion(vendor) == "auto"
    trust.set_level(vendor, "auto", by=admin_user, reason="3 clean proposals confirmed")

    # auto: matched within tolerance and under the limit goes straight through.
    invoice = invoice_from(vendor, 7)
    assert invoice.status == Status.POSTED
    approved = AuditEvent.objects.get(invoice_id=invoice.pk, action="invoice.approved")
    assert approved.actor == "system:routing"
    assert approved.payload["inputs"]["automation_level"] == "auto"

    # A correction brings it down one step at once, with the reason.
    wrong = invoice_from(vendor, 8, po_number="4599999")  # a PO number that does not exist
    assert wrong.status == Status.NEEDS_REVIEW
    correct_fields(wrong, clerk, {"po_number": "4500008"})
    vendor.refresh_from_db()
    assert vendor.automation_level == "assisted"
    assert trust.suggestion(vendor) is None

    moves = [(e.payload["from"], e.payload["to"], e.payload["how"]) for e in trust.changes(vendor)]
    assert moves == [
        ("auto", "assisted", "demoted automatically"),
        ("assisted", "auto", "set by an admin"),
        ("manual", "assisted", "set by an admin"),
    ]
    demotion = trust.changes(vendor).first()
    assert demotion.invoice_id == wrong.pk
    assert "needed a correction (po_number)" in demotion.payload["reason"]
    assert demotion.payload["record"]["corrected"] == 1
    assert [h.automation_level for h in vendor.history.order_by("history_id")][-3:] == [
        "assisted", "auto", "assisted",
    ]  # fmt: skip


def test_a_failed_posting_demotes_the_vendor_and_is_audited(settings, tmp_path):
    from core.erp.posting import deliver

    vendor = make_vendor()  # auto
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("the ERP share is a file now")
    settings.ERP_OUTBOX_DIR = blocked / "outbox"

    invoice = invoice_from(vendor, 1)

    assert invoice.status == Status.APPROVED  # not posted: the outbox will retry
    (posting,) = invoice.postings.all()
    assert (posting.state, posting.attempts) == ("pending", 1)
    assert "Could not write to" in posting.last_error
    failed = AuditEvent.objects.filter(invoice_id=invoice.pk, action="invoice.posting_failed")
    assert failed.get().payload["retryable"] is True
    vendor.refresh_from_db()
    assert vendor.automation_level == "assisted"
    OutboxMessage.objects.filter(pk=posting.pk).update(next_attempt_at=timezone.now())
    deliver(posting.pk)  # retried and failed again: one step down, not two
    vendor.refresh_from_db()
    assert vendor.automation_level == "assisted"
    assert trust.track_record(vendor).failed_postings == 1


def test_a_manual_vendor_is_not_demoted_further(vendor, clerk):
    assert trust.demote(vendor, actor=clerk, reason="test") is False
    assert not trust.changes(vendor).exists()


def test_the_vendor_page_shows_the_record_and_only_admins_change_the_level(
    client, vendor, admin_user, approver
):
    url = reverse("vendor_trust", args=[vendor.pk])
    client.force_login(approver)
    page = client.get(url).content.decode()
    assert "Track record" in page
    assert "Only admins change the level." in page
    assert client.post(url, {"level": "assisted", "reason": "x"}).status_code == 403

    client.force_login(admin_user)
    page = client.post(url, {"level": "auto", "reason": "skip"}, follow=True).content.decode()
    assert "does not earn auto" in page
    vendor.refresh_from_db()
    assert vendor.automation_level == "manual"

    page = client.post(url, {"level": "manual", "reason": ""}, follow=True).content.decode()
    assert "Say why the level changes" in page


def test_a_demotion_by_an_admin_needs_no_record(vendor, admin_user):
    trust.onboard(vendor, "auto", actor="system:import", reason="migrated from the old ERP")
    trust.set_level(vendor, "manual", by=admin_user, reason="new owner, watch them")
    assert Vendor.objects.get(pk=vendor.pk).automation_level == "manual"


def test_an_invoice_with_two_blemishes_counts_in_both(vendor, clerk):
    from audit.chain import record
    from tests.factories import make_queue

    (invoice,) = make_queue(1, vendor=vendor, status=Status.POSTED, code="")
    record("invoice.fields_corrected", actor="clara", invoice_id=invoice.pk, payload={})
    record("invoice.approved", actor="arnold", invoice_id=invoice.pk,
           payload={"inputs": {"overridden_exceptions": ["PRICE_VARIANCE"]}})  # fmt: skip

    record_ = trust.track_record(vendor)

    assert (record_.corrected, record_.overrides, record_.streak) == (1, 1, 0)
    assert record_.last_blemish == f"invoice #{invoice.pk}: field correction"
