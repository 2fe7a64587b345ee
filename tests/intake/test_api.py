"""POST /api/v1/documents and its status URL; the same bytes from every channel are one
invoice; files that cannot be read are kept, explained and reprocessed."""

import io
import os
import time
import zipfile

import pytest
from django.contrib.admin.sites import site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.admin import InvoiceAdmin
from core.demo_documents import ubl_xml
from core.models import ApiToken, Document, Invoice, Status
from extraction.channels.folder import poll_folder
from extraction.services import extract_invoice
from tests.factories import demo_invoice

pytestmark = pytest.mark.django_db

XML = ubl_xml(demo_invoice(invoice_number="INV-API-1"))


@pytest.fixture
def token():
    _, secret = ApiToken.issue("erp-test", ["documents"])
    return secret


def _post(client, secret, *files, **extra):
    return client.post(
        reverse("api_documents"),
        {"file": list(files)},
        headers={"Authorization": f"Bearer {secret}"} if secret else {},
        **extra,
    )


def _file(name="invoice.xml", data=XML, content_type="application/xml"):
    return SimpleUploadedFile(name, data, content_type)


def test_posting_a_document_returns_its_ids_and_a_status_url(client, token):
    response = _post(client, token, _file())

    assert response.status_code == 201
    (document,) = response.json()["documents"]
    invoice = Invoice.objects.get()
    assert document["document_id"] == invoice.document_id
    assert document["invoice_id"] == invoice.pk
    assert document["created"] is True
    assert document["status"] == Status.RECEIVED
    assert document["status_url"] == f"http://testserver/api/v1/documents/{invoice.document_id}"
    assert invoice.document.channel == Document.Channel.API

    status = client.get(document["status_url"], headers={"Authorization": f"Bearer {token}"})

    assert status.status_code == 200
    assert status.json()["invoice_id"] == invoice.pk
    assert status.json()["file"] == "invoice.xml"
    assert set(status.json()) >= {"status", "exceptions", "ocr", "sha256", "received_at"}


def test_the_status_follows_the_pipeline(client, token):
    document_id = _post(client, token, _file()).json()["documents"][0]["document_id"]
    extract_invoice(Invoice.objects.get())

    body = client.get(
        reverse("api_document_status", args=[document_id]),
        headers={"Authorization": f"Bearer {token}"},
    ).json()

    assert body["status"] != Status.RECEIVED


def test_posting_the_same_bytes_again_points_at_the_same_invoice(client, token):
    first = _post(client, token, _file()).json()["documents"][0]

    again = _post(client, token, _file(name="resent.xml"))

    assert again.status_code == 200
    (document,) = again.json()["documents"]
    assert (document["invoice_id"], document["created"]) == (first["invoice_id"], False)
    assert Invoice.objects.count() == 1


def test_a_zip_gives_each_invoice_and_what_was_left_out(client, token):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.xml", XML)
        zipped.writestr("b.xml", ubl_xml(demo_invoice(invoice_number="INV-API-2")))
        zipped.writestr("notes.docx", b"PK not really")
    response = _post(client, token, _file("batch.zip", archive.getvalue(), "application/zip"))

    assert response.status_code == 201
    assert len(response.json()["documents"]) == 2
    assert response.json()["left_out"] == [
        {
            "name": "batch.zip/notes.docx",
            "rule": "not an invoice: a plain text file",
        }
    ]


@pytest.mark.parametrize(
    ("header", "status", "message"),
    [
        (None, 401, "An API token is required"),
        ("Bearer nope", 401, "not valid"),
        ("Basic dXNlcjpwYXNz", 401, "An API token is required"),
    ],
)
def test_requests_without_a_valid_token_are_refused(client, header, status, message):
    headers = {"Authorization": header} if header else {}

    response = client.post(reverse("api_documents"), {"file": _file()}, headers=headers)

    assert response.status_code == status
    assert message in response.json()["error"]
    assert Invoice.objects.count() == 0


def test_a_revoked_token_or_one_without_the_scope_is_refused(client):
    _, revoked = ApiToken.issue("old", ["documents"])
    ApiToken.objects.filter(name="old").update(revoked_at=timezone.now())
    _, unscoped = ApiToken.issue("reader", [])

    assert _post(client, revoked, _file()).status_code == 401
    response = _post(client, unscoped, _file())
    assert response.status_code == 403
    assert "lacks the scope 'documents'" in response.json()["error"]


def test_a_post_without_a_file_or_with_nothing_usable_says_why(client, token, settings):
    assert _post(client, token).status_code == 400
    assert "multipart part named 'file'" in _post(client, token).json()["error"]

    settings.MAX_STORED_BYTES = 100
    response = _post(client, token, _file("big.pdf", b"%PDF" + b"0" * 500, "application/pdf"))

    assert response.status_code == 422
    # Refused while streaming in (extraction.channels.uploads), before the view reads it.
    assert response.json()["left_out"][0]["rule"] == (
        "big.pdf is over the limit of 100 bytes (MAX_STORED_BYTES); the upload was stopped "
        "at 504 bytes."
    )


def test_get_on_the_post_url_and_unknown_documents_are_json_errors(client, token):
    headers = {"Authorization": f"Bearer {token}"}

    assert client.get(reverse("api_documents"), headers=headers).status_code == 405
    assert (
        client.get(reverse("api_document_status", args=[999]), headers=headers).status_code == 404
    )


def test_create_api_token_prints_a_token_that_works(client, capsys):
    call_command("create_api_token", "scanner-gateway")
    secret = capsys.readouterr().out.strip()

    assert secret.startswith("ll_")
    assert _post(client, secret, _file()).status_code == 201
    stored = ApiToken.objects.get(name="scanner-gateway")
    assert secret not in (stored.key_hash, stored.prefix)  # only its hash is kept
    assert stored.last_used_at is not None


def test_the_same_file_by_upload_folder_and_api_is_one_invoice(
    client, clerk, token, tmp_path, settings
):
    client.force_login(clerk)
    client.post(reverse("upload"), {"files": [_file("from-clerk.xml")]})
    settings.INTAKE_FOLDER = str(tmp_path)
    (tmp_path / "from-scanner.xml").write_bytes(XML)
    then = time.time() - 60
    os.utime(tmp_path / "from-scanner.xml", (then, then))
    poll_folder()
    client.logout()
    response = _post(client, token, _file("from-erp.xml"))

    assert Invoice.objects.count() == 1
    assert response.json()["documents"][0]["created"] is False
    again = AuditEvent.objects.filter(action="document.received_again")
    assert sorted(event.payload["channel"] for event in again) == ["api", "folder"]


def test_a_file_over_the_read_limit_is_kept_quarantined_and_reprocessed_after_a_fix(
    settings, admin_user
):
    settings.MAX_DOCUMENT_BYTES = 1000
    from extraction.intake import receive

    invoice = receive(XML, name="large.xml", channel=Document.Channel.UPLOAD, actor="test").invoice
    extract_invoice(invoice)
    invoice.refresh_from_db()

    assert invoice.status == Status.NEEDS_REVIEW
    (problem,) = invoice.open_exceptions()
    assert problem.code == "UNREADABLE"
    assert f"The file is {len(XML):,} bytes" in problem.message
    assert "raise the limit and reprocess" in problem.message
    assert invoice.document.read_bytes() == XML  # kept as it came

    settings.MAX_DOCUMENT_BYTES = 25 * 1024 * 1024  # the admin raises the limit
    request = RequestFactory().post("/admin/core/invoice/")
    request.user = admin_user
    request._messages = _Messages()
    InvoiceAdmin(Invoice, site).reprocess(request, Invoice.objects.filter(pk=invoice.pk))
    invoice.refresh_from_db()

    assert invoice.status == Status.RECEIVED
    assert not invoice.open_exceptions().exists()
    extract_invoice(invoice)
    invoice.refresh_from_db()
    assert invoice.status == Status.EXTRACTED
    assert invoice.invoice_number == "INV-API-1"


class _Messages:
    """The admin's message store, which a RequestFactory request does not have."""

    def add(self, level, message, extra_tags=""):
        pass


def test_only_an_invoice_held_on_an_unreadable_document_is_reprocessed():
    from extraction.intake import receive
    from extraction.services import reprocess

    invoice = receive(XML, name="ok.xml", channel=Document.Channel.UPLOAD, actor="test").invoice
    invoice.send_to_review(
        [{"code": "PRICE_VARIANCE", "message": "above the PO"}], actor="test", reason="setup"
    )

    with pytest.raises(ValueError, match="not waiting on an unreadable document"):
        reprocess(invoice, actor="test")
    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
