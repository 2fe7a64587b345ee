import io
import re
import zipfile
from datetime import date

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_q.conf import Conf

from approvals import email_links, triage
from approvals.models import ApprovalRule
from core.demo_documents import ubl_xml
from core.models import Document, Invoice, MailMessage, Status, Vendor
from extraction.intake import receive
from extraction.services import extract_invoice
from tests.factories import demo_invoice, make_purchase_order, make_queue, make_vendor


@pytest.fixture
def invoice(db):
    vendor = make_vendor()
    make_purchase_order(vendor)
    data = ubl_xml(demo_invoice(vendor))
    received = receive(data, name="inv.xml", channel="upload", actor="system:test")
    received.invoice.transition(Status.NEEDS_REVIEW, actor="system:test", reason="setup")
    return received.invoice


def _urls(invoice):
    return {
        "list": ("get", reverse("invoice_list")),
        "detail": ("get", reverse("invoice_detail", args=[invoice.pk])),
        "row": ("get", reverse("invoice_row", args=[invoice.pk])),
        "file": ("get", reverse("document_file", args=[invoice.document.pk])),
        "upload": ("get", reverse("upload")),
        "fields": ("get", reverse("invoice_fields", args=[invoice.pk])),
        "decide": ("post", reverse("invoice_decide", args=[invoice.pk])),
        "intake": ("get", reverse("intake")),
        "handled": ("post", reverse("mark_handled", args=[_message().pk])),
        "raw": ("get", reverse("message_raw", args=[_message().pk])),
        "reprocess": ("post", reverse("reprocess", args=[invoice.pk])),
        "queue": ("get", reverse("work_queue")),
        "bulk": ("post", reverse("queue_bulk")),
        "act": ("post", reverse("invoice_act", args=[invoice.pk])),
        "page": ("get", reverse("document_page", args=[invoice.document.pk, 1])),
        "vendors": ("get", reverse("vendor_list")),
        "vendor": ("get", reverse("vendor_trust", args=[Vendor.objects.get().pk])),
        "vendor_level": ("post", reverse("vendor_trust", args=[Vendor.objects.get().pk])),
        "away": ("get", reverse("out_of_office")),
        "away_post": ("post", reverse("out_of_office")),  # naming a delegate
        "outbox": ("get", reverse("outbox")),
        "audit": ("get", reverse("audit_home")),
        "events_csv": ("get", reverse("events_export", args=["csv"])),
        "events_jsonl": ("get", reverse("events_export", args=["jsonl"])),
        "audit_pack": ("get", reverse("audit_pack", args=[invoice.pk])),
        "history": ("get", reverse("history", args=["invoice", invoice.pk])),
        "kpis": ("get", reverse("kpi_dashboard")),
        "kpis_csv": ("get", reverse("kpi_csv")),
        "kpi_chart": ("get", reverse("kpi_chart", args=["touchless"])),
        "outbox_act": ("post", reverse("outbox_act", args=[_posting(invoice).pk])),
    }


def _posting(invoice):
    from core.models import OutboxMessage

    found = OutboxMessage.objects.first()
    return found or OutboxMessage.objects.create(
        invoice=invoice, idempotency_key="perm-test", connector="file", payload={}
    )


def _message():
    from django.core.files.base import ContentFile

    from core.models import MailMessage

    found = MailMessage.objects.filter(key="<perm@test>").first()
    if found:
        return found
    message = MailMessage(
        mailbox="test", key="<perm@test>", fingerprint="0" * 64, size=10, outcome="needs_attention"
    )
    message.raw.save("m.eml", ContentFile(b"Subject: x\r\n\r\nbody"), save=False)
    message.save()
    return message


# Who may open what: every URL for every role (and anonymous users go to the login page).
# Clerks may post a decision: they confirm the system's proposals for `assisted` vendors;
# anything else is refused by the invoice's approval route (tests/approvals).
ALLOWED = {
    "clerk": {"list", "detail", "row", "file", "upload", "fields", "intake", "handled", "raw",
              "queue", "bulk", "act", "page", "decide", "vendors", "vendor"},
    "approver": {"list", "detail", "row", "file", "decide", "intake", "raw", "queue", "page",
                 "vendors", "vendor", "away", "away_post", "email_approve", "email_reject"},
    "compliance": {"list", "detail", "row", "file", "intake", "raw", "queue", "page", "vendors",
                   "vendor", "outbox", "audit", "events_csv", "events_jsonl", "audit_pack",
                   "history", "kpis", "kpis_csv", "kpi_chart"},
    "outsider": set(),
}  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clerk", "approver", "compliance", "outsider"])
def test_every_url_is_allowed_or_forbidden_per_role(client, request, invoice, role):
    client.force_login(request.getfixturevalue(role))
    for name, (method, url) in _urls(invoice).items():
        data = {"decision": "reject", "comment": "no"} if method == "post" else None
        response = getattr(client, method)(url, data)
        if name in ALLOWED[role]:
            # Allowed: served, or redirected after acting (an XML invoice has no page: 404).
            assert response.status_code in (200, 302, 404), (role, name, response.status_code)
        else:
            assert response.status_code == 403, (role, name, response.status_code)
    # Approve and reject links mailed to arnold: the link is the credential, so anyone
    # signed in as someone else is refused with a page that says why (410), not a 403.
    for name, (method, url) in _email_links().items():
        data = {"comment": "no"} if method == "post" else None
        response = getattr(client, method)(url, data)
        expected = (200,) if name in ALLOWED[role] else (410,)
        assert response.status_code in expected, (role, name, response.status_code)


def _email_links():
    """The links of the email arnold gets for an invoice waiting for approval (arnold is
    made here unless the test signed in as him)."""
    arnold = User.objects.filter(username="arnold").first()
    if arnold is None:
        arnold = User.objects.create_user("arnold", "arnold@example.com", "test-pass-123")
        arnold.groups.add(Group.objects.get(name="approver"))
    clerk = User.objects.create_user("cleo", "cleo@example.com", "test-pass-123")
    clerk.groups.add(Group.objects.get(name="clerk"))
    (waiting,) = make_queue(1, code="")
    triage.send_for_approval(waiting, clerk)
    mail.outbox.clear()
    assert email_links.notify_approvers(waiting) == 1
    body = mail.outbox[0].body
    path = {
        action: re.search(rf"{action.capitalize()}:\s+(\S+)", body)
        .group(1)
        .split("http://127.0.0.1:8000", 1)[1]
        for action in ("approve", "reject")
    }
    # GET asks to confirm; the POST (last) decides, as arnold only.
    return {"email_approve": ("get", path["approve"]), "email_reject": ("post", path["reject"])}


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login(client, invoice):
    for method, url in _urls(invoice).values():
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_signs_in(client, clerk):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "clara", "password": "test-pass-123"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == reverse("invoice_list")  # a clerk


@pytest.mark.django_db
def test_upload_takes_several_files_and_queues_them(
    client, clerk, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(Conf, "SYNC", True)  # django-q2 runs the queued task inline
    vendor = make_vendor()
    make_purchase_order(vendor)
    make_purchase_order(vendor, number="4500002")
    second = demo_invoice(
        invoice_number="INV-2", po_number="4500002", invoice_date=date(2026, 9, 1)
    )
    files = [
        SimpleUploadedFile("a.xml", ubl_xml(demo_invoice()), "application/xml"),
        SimpleUploadedFile("b.xml", ubl_xml(second), "text/xml"),
        SimpleUploadedFile("empty.pdf", b"", "application/pdf"),
    ]
    client.force_login(clerk)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("upload"), {"files": files})

    assert response.status_code == 200
    assert Invoice.objects.count() == 3
    statuses = dict(Invoice.objects.values_list("document__original_name", "status"))
    assert statuses == {"a.xml": "posted", "b.xml": "posted", "empty.pdf": "needs_review"}
    assert b"Received 3 files" in response.content
    assert b"a.xml" in response.content
    assert b"empty.pdf" in response.content


@pytest.mark.django_db
def test_detail_shows_fields_exceptions_and_audit_trail(client, clerk, invoice):
    invoice.exceptions.create(code="PRICE_VARIANCE", message="Net is 25.00 EUR above the PO.")
    client.force_login(clerk)

    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()

    assert "PRICE_VARIANCE" in page
    assert "Net is 25.00 EUR above the PO." in page
    assert "document.received" in page
    assert "invoice.needs_review" in page
    assert "Approve" not in page  # clerks do not decide


@pytest.mark.django_db
def test_approver_decides_from_the_detail_page(client, approver, invoice):
    client.force_login(approver)
    url = reverse("invoice_decide", args=[invoice.pk])

    refused = client.post(url, {"decision": "reject", "comment": ""}, follow=True)
    assert b"needs a reason" in refused.content
    client.post(url, {"decision": "reject", "comment": "Wrong company"})

    invoice.refresh_from_db()
    assert invoice.status == Status.REJECTED


@pytest.mark.django_db
def test_original_documents_are_served_safely(client, clerk, invoice):
    client.force_login(clerk)
    response = client.get(reverse("document_file", args=[invoice.document.pk]))
    assert response["Content-Disposition"].startswith("attachment")  # XML never renders inline
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == invoice.document.read_bytes()


@pytest.mark.django_db
def test_upload_refuses_an_oversized_file_with_a_reason_and_takes_the_rest(client, clerk, settings):
    settings.MAX_STORED_BYTES = 20_000
    files = [
        SimpleUploadedFile("huge.pdf", b"%PDF" + b"x" * 30_000, "application/pdf"),
        SimpleUploadedFile("small.xml", ubl_xml(demo_invoice()), "application/xml"),
    ]
    client.force_login(clerk)

    page = client.post(reverse("upload"), {"files": files}).content.decode()

    assert "Not taken" in page
    # Refused while streaming in (extraction.channels.uploads), before the view reads it.
    assert (
        "huge.pdf is over the limit of 20,000 bytes (MAX_STORED_BYTES); the upload was "
        "stopped at 30,004 bytes."
    ) in page
    assert list(Invoice.objects.values_list("document__original_name", flat=True)) == ["small.xml"]


@pytest.mark.django_db
def test_approving_over_open_exceptions_needs_a_comment(client, approver, invoice):
    invoice.exceptions.create(code="PO_NOT_FOUND", message="No purchase order 123.")
    client.force_login(approver)
    url = reverse("invoice_decide", args=[invoice.pk])

    page = client.post(url, {"decision": "approve", "comment": " "}, follow=True)

    assert b"needs a comment" in page.content
    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    assert invoice.open_exceptions().count() == 1


@pytest.mark.django_db
def test_an_unknown_vendor_is_proposed_to_the_admin_not_created(client, invoice):
    from django.contrib.auth.models import Group, User

    from core.models import Vendor

    admin_user = User.objects.create_user("ada", password="test-pass-123", is_staff=True)
    admin_user.groups.add(Group.objects.get(name="admin"))
    invoice.exceptions.create(
        code="VENDOR_UNKNOWN",
        message="The vendor 'Kestrel Tooling GmbH' is not in the vendor master.",
        details={
            "proposed_vendor": {"name": "Kestrel Tooling GmbH", "vat_id": "DE287654321", "iban": ""}
        },
    )
    vendors = Vendor.objects.count()
    client.force_login(admin_user)

    page = client.get(reverse("invoice_detail", args=[invoice.pk])).content.decode()
    add_url = reverse("invoice_vendor", args=[invoice.pk])  # issue 19: added from the invoice
    assert f'href="{add_url}"' in page
    form = client.get(add_url).content.decode()
    assert 'value="Kestrel Tooling GmbH"' in form
    assert 'value="DE287654321"' in form
    assert Vendor.objects.count() == vendors


@pytest.mark.django_db
def test_admin_screens_open_for_the_admin_role(admin_client):
    for name in (
        "core_vendor",
        "core_purchaseorder",
        "core_goodsreceipt",
        "core_invoice",
        "core_document",
        "extraction_vendorprofile",
        "audit_auditevent",
        "core_mailbox",
        "core_mailmessage",
        "core_apitoken",
        "matching_tolerancerule",
        "matching_matchrun",
        "approvals_approvalrule",
        "approvals_approvalroute",
        "approvals_delegation",
        "approvals_reportingline",
        "core_outboxmessage",
    ):
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    rule = ApprovalRule.objects.get(is_default=True)
    assert (
        admin_client.get(reverse("admin:approvals_approvalrule_change", args=[rule.pk])).status_code
        == 200
    )


@pytest.mark.django_db
def test_an_approval_rule_with_a_malformed_chain_is_refused_in_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:approvals_approvalrule_add"),
        {"name": "Broken", "priority": 5, "active": "on", "chain": '[{"approvers": ["boss"]}]'},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "is not &quot;role:NAME&quot;" in response.content.decode()
    assert not ApprovalRule.objects.filter(name="Broken").exists()


def test_upload_opens_a_zip_file_and_lists_what_it_left_out(client, clerk):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("one.xml", ubl_xml(demo_invoice(invoice_number="Z-1")))
        zipped.writestr("two.xml", ubl_xml(demo_invoice(invoice_number="Z-2")))
        zipped.writestr("photo.gif", b"GIF89a")
    client.force_login(clerk)

    page = client.post(
        reverse("upload"),
        {"files": [SimpleUploadedFile("batch.zip", archive.getvalue(), "application/zip")]},
    ).content.decode()

    assert "Received 2 files" in page
    assert "batch.zip/photo.gif" in page
    assert "not an invoice: a GIF image" in page
    assert sorted(Document.objects.values_list("original_name", flat=True)) == [
        "one.xml",
        "two.xml",
    ]


@pytest.mark.django_db
def test_intake_lists_emails_and_unreadable_files_and_an_admin_reprocesses(
    client, clerk, admin_client
):
    message = _message()
    MailMessage.objects.filter(pk=message.pk).update(
        sender="billing@vendor.example",
        reason="No attachment is an invoice (logo.png: inline image in the message body).",
        ignored=[{"name": "logo.png", "rule": "inline image in the message body (a logo)"}],
    )
    broken = receive(b"%PDF-1.7 broken", name="broken.pdf", channel="email", actor="test").invoice
    extract_invoice(broken)
    client.force_login(clerk)

    page = client.get(reverse("intake")).content.decode()

    assert "billing@vendor.example" in page
    assert "inline image in the message body (a logo)" in page
    assert "broken.pdf" in page
    assert "The PDF is damaged" in page
    assert "Reprocess" not in page  # an admin's action
    assert '<span class="count">2</span>' in page  # the navigation says so on every screen

    client.post(reverse("mark_handled", args=[message.pk]))
    assert MailMessage.objects.get(pk=message.pk).handled_by == clerk

    assert "Reprocess" in admin_client.get(reverse("intake")).content.decode()
    admin_client.post(reverse("reprocess", args=[broken.pk]))
    broken.refresh_from_db()
    assert broken.status == Status.RECEIVED
