"""Bounded resources at the doors (issue 16): uploads stopped while they stream in, files
in the scanner folder refused before they are read, JSON from the API bounded in depth
and number size, a refusal typed and shown on the invoice and the Intake screen with the
original kept, and one page decoded per page request."""

import io
import json
import pathlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from core.demo_documents import ubl_xml
from core.models import ApiToken, Document, Invoice, Status
from extraction.channels.folder import poll_folder
from extraction.intake import receive
from extraction.readers import image as image_reader
from extraction.services import extract_invoice
from tests.factories import demo_invoice

pytestmark = pytest.mark.django_db


def _tiff(pages: int, side: int) -> bytes:
    out = io.BytesIO()
    frames = [Image.new("L", (side, side), 255) for _ in range(pages)]
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    return out.getvalue()


def test_an_upload_over_the_limit_is_stopped_while_streaming_and_the_rest_taken(
    client, clerk, settings
):
    settings.MAX_STORED_BYTES = 200_000
    big = b"%PDF-1.7\n" + b"0" * 2_000_000
    files = [
        SimpleUploadedFile("huge.pdf", big, "application/pdf"),
        SimpleUploadedFile("small.xml", ubl_xml(demo_invoice()), "application/xml"),
    ]
    client.force_login(clerk)

    page = client.post(reverse("upload"), {"files": files}).content.decode()

    # Dropped at the first chunk past the limit (Django reads 64 KiB at a time), long
    # before its 2 MB had arrived: nothing of it was stored or read by the view.
    assert "huge.pdf is over the limit of 200,000 bytes (MAX_STORED_BYTES)" in page
    assert 200_000 < _stopped_at(page) < 400_000
    assert list(Invoice.objects.values_list("document__original_name", flat=True)) == ["small.xml"]


def _stopped_at(text: str) -> int:
    return int(re.search(r"the upload was stopped at ([\d,]+) bytes", text)[1].replace(",", ""))


def test_the_documents_api_stops_an_oversized_file_while_streaming(client, settings):
    _, secret = ApiToken.issue("scanner", ["documents"])
    settings.MAX_STORED_BYTES = 200_000
    response = client.post(
        reverse("api_documents"),
        {"file": [SimpleUploadedFile("huge.pdf", b"%PDF" + b"0" * 2_000_000)]},
        headers={"Authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 422
    (refused,) = response.json()["left_out"]
    assert refused["name"] == "huge.pdf"
    assert 200_000 < _stopped_at(refused["rule"]) < 400_000
    assert not Document.objects.exists()


def test_a_file_in_the_folder_over_the_limit_is_refused_without_being_read(
    tmp_path, settings, monkeypatch
):
    settings.INTAKE_FOLDER = str(tmp_path)
    settings.INTAKE_SETTLE_SECONDS = 0
    settings.MAX_STORED_BYTES = 1000
    (tmp_path / "huge.pdf").write_bytes(b"%PDF-1.7\n" + b"0" * 5000)
    read = []
    original = pathlib.Path.read_bytes
    monkeypatch.setattr(
        pathlib.Path, "read_bytes", lambda path: read.append(path) or original(path)
    )

    result = poll_folder()

    assert result.refused == ["huge.pdf"]
    assert read == []  # refused by its size on disk
    reason = (tmp_path / "refused" / "huge.pdf.reason.txt").read_text()
    assert "huge.pdf is 5,009 bytes; the limit is 1,000 bytes." in reason
    assert (tmp_path / "refused" / "huge.pdf").stat().st_size == 5009  # kept


@pytest.fixture
def masterdata_token():
    return ApiToken.issue("erp", ["masterdata"])[1]


def _put_vendor(client, token, body: str):
    return client.put(
        reverse("api_vendor", args=["V-1"]),
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_json_nested_5000_deep_is_a_400_with_the_reason(client, masterdata_token):
    response = _put_vendor(client, masterdata_token, "[" * 5000 + "]" * 5000)

    assert response.status_code == 400
    assert response.json()["error"] == (
        "The body is not valid JSON: nested 5000 levels deep; at most 64 are accepted"
    )


def test_brackets_inside_strings_do_not_count_as_nesting(client, masterdata_token):
    body = json.dumps({"name": "[" * 70 + "{ACME}" + "]" * 70, "currency": "EUR"})

    response = _put_vendor(client, masterdata_token, body)

    assert response.status_code in (200, 201)


def test_an_integer_of_5000_digits_is_a_400_with_the_reason(client, masterdata_token):
    body = '{"name": "ACME", "currency": "EUR", "payment_terms_days": ' + "9" * 5000 + "}"

    response = _put_vendor(client, masterdata_token, body)

    assert response.status_code == 400
    assert "a number of 5,000 characters; at most 40 are accepted" in response.json()["error"]


def test_a_document_over_a_limit_is_quarantined_with_the_limit_shown_and_kept(
    client, clerk, settings
):
    settings.MAX_DOCUMENT_PIXELS = 2_000_000
    data = _tiff(3, 1000)  # 3 million pixels in all
    invoice = receive(data, name="scan.tif", channel=Document.Channel.UPLOAD, actor="t").invoice

    extract_invoice(invoice)

    invoice.refresh_from_db()
    assert invoice.status == Status.NEEDS_REVIEW
    (problem,) = invoice.open_exceptions()
    assert problem.code == "UNREADABLE"
    assert problem.details == {
        "limit": "MAX_DOCUMENT_PIXELS",
        "actual": 3_000_000,
        "maximum": 2_000_000,
    }
    assert invoice.document.read_bytes() == data  # the original is kept
    client.force_login(clerk)
    for url in (reverse("intake"), reverse("invoice_detail", args=[invoice.pk])):
        page = client.get(url).content.decode()
        assert ">MAX_DOCUMENT_PIXELS</span>" in page
        assert "pixels in all (3,000,000 in the first 3 of 3 pages" in page


def test_a_page_request_decodes_that_page_alone(client, clerk, monkeypatch):
    invoice = receive(
        _tiff(4, 300), name="scan.tif", channel=Document.Channel.UPLOAD, actor="t"
    ).invoice
    decoded = []
    on_white = image_reader._on_white
    monkeypatch.setattr(
        image_reader, "_on_white", lambda image: decoded.append(image) or on_white(image)
    )
    client.force_login(clerk)

    response = client.get(reverse("document_page", args=[invoice.document.pk, 3]))

    assert response.status_code == 200
    assert len(decoded) == 1  # the third page, and no other
    again = client.get(reverse("document_page", args=[invoice.document.pk, 3]))
    assert again.content == response.content
    assert len(decoded) == 1  # from the cache
