"""Files that are not invoices are left out, kept and listed, never queued as UNREADABLE
invoices (issue 19, item 7). Which files count as possible invoices is written down once,
in extraction.channels.kinds."""

import io
import zipfile
from email.message import EmailMessage

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from core.demo_documents import cii_xml, ubl_xml
from core.demo_pdf import pdf_invoice
from core.models import Document, Invoice, LeftOutFile, MailMessage
from extraction.channels import kinds
from extraction.channels.files import invoice_files, take
from extraction.channels.mailbox import take_message
from tests.factories import demo_invoice

pytestmark = pytest.mark.django_db

NOTES = b"Hello AP team,\nthe invoice follows by post.\nRegards, Jo\n"
CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Payment run\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


EDIFACT = b"UNA:+.? 'UNB+UNOC:3+SENDER+AP+261129:1200+1'UNH+1+INVOIC:D:96A:UN'BGM+380+INV-9'"


def _pdf(number: str) -> bytes:
    return pdf_invoice(demo_invoice(invoice_number=number), "classic")


def _email(attachments, *, message_id="<left-out@vendor.example>") -> bytes:
    message = EmailMessage()
    message["From"] = "Accounts <billing@vendor.example>"
    message["To"] = "ap@buyer.example"
    message["Subject"] = "Invoice INV-1 and notes"
    message["Message-ID"] = message_id
    message.set_content("Please find our invoice attached.")
    for name, data, maintype, subtype in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        zipped.writestr("[Content_Types].xml", "<Types/>")
        zipped.writestr("word/document.xml", "<w:document xmlns:w='urn:w'/>")
    return out.getvalue()


def test_a_txt_attachment_is_left_out_and_the_emails_invoice_is_still_taken():
    raw = _email(
        [
            ("INV-1.pdf", _pdf("INV-1"), "application", "pdf"),
            ("notes.txt", NOTES, "text", "plain"),
            ("invite.ics", CALENDAR, "text", "calendar"),
        ]
    )

    record, created = take_message("ap", raw)

    assert created
    assert record.outcome == MailMessage.Outcome.TAKEN
    (document,) = record.documents.all()
    assert document.original_name == "INV-1.pdf"
    assert Invoice.objects.count() == 1, "the text file is no invoice in the queue"
    kept = {item.original_name: item for item in record.left_out_files.all()}
    assert set(kept) == {"notes.txt", "invite.ics"}
    assert kept["notes.txt"].file.read() == NOTES, "the original is kept"
    assert kept["notes.txt"].reason == "not an invoice: a plain text file (text/plain)"
    assert kept["invite.ics"].reason.startswith("not an invoice: a calendar invitation")
    assert kept["notes.txt"].channel == Document.Channel.EMAIL
    assert kept["notes.txt"].source["sender"] == "Accounts <billing@vendor.example>"
    # In the message's record too, and in the audit trail.
    assert {"name": "notes.txt", "rule": kept["notes.txt"].reason} in record.ignored
    events = AuditEvent.objects.filter(action="document.left_out")
    assert sorted(e.payload["file"] for e in events) == ["invite.ics", "notes.txt"]


def test_an_email_of_only_a_txt_needs_attention_and_its_file_can_be_downloaded(client, clerk):
    record, _ = take_message("ap", _email([("notes.txt", NOTES, "text", "plain")]))
    assert record.outcome == MailMessage.Outcome.NEEDS_ATTENTION
    assert Invoice.objects.count() == 0
    (left,) = record.left_out_files.all()
    client.force_login(clerk)

    intake = client.get(reverse("intake")).content.decode()
    message_page = client.get(reverse("message_record", args=[record.pk])).content.decode()
    download = client.get(reverse("left_out_file", args=[left.pk]))

    for page in (intake, message_page):
        assert "notes.txt" in page
        assert "not an invoice: a plain text file" in page
        assert reverse("left_out_file", args=[left.pk]) in page
    assert b"".join(download.streaming_content) == NOTES
    assert download["Content-Type"] == "application/octet-stream"
    assert "attachment" in download["Content-Disposition"]


def test_a_txt_upload_is_left_out_and_the_other_files_become_invoices(client, clerk):
    client.force_login(clerk)

    response = client.post(
        reverse("upload"),
        {
            "files": [
                SimpleUploadedFile("notes.txt", NOTES, "text/plain"),
                SimpleUploadedFile("INV-2.pdf", _pdf("INV-2"), "application/pdf"),
            ]
        },
    )

    assert response.status_code == 200
    assert list(Invoice.objects.values_list("document__original_name", flat=True)) == ["INV-2.pdf"]
    left = LeftOutFile.objects.get()
    assert (left.original_name, left.channel, left.received_by) == ("notes.txt", "upload", clerk)
    assert left.file.read() == NOTES
    assert "not an invoice: a plain text file" in response.content.decode()
    intake = client.get(reverse("intake")).content.decode()
    assert f'id="left-out-{left.pk}"' in intake
    assert "by clara" in intake


def test_a_clerk_takes_a_left_out_file_as_an_invoice_after_all(client, clerk, compliance):
    # An EDIFACT INVOIC: an invoice in a format the rules do not know, so left out.
    take("export.edi", EDIFACT, channel="upload", actor="test")
    left = LeftOutFile.objects.get()
    assert left.reason.startswith("not an invoice: an EDIFACT message")
    client.force_login(compliance)
    assert client.post(reverse("take_left_out", args=[left.pk])).status_code == 403
    client.force_login(clerk)

    response = client.post(reverse("take_left_out", args=[left.pk]))
    again = client.post(reverse("take_left_out", args=[left.pk]))

    left.refresh_from_db()
    invoice = Invoice.objects.get()
    assert left.taken_as == invoice.document
    assert invoice.document.read_bytes() == EDIFACT
    assert response["Location"] == reverse("invoice_detail", args=[invoice.pk])
    assert again["Location"] == response["Location"], "taken once"
    event = AuditEvent.objects.get(action="document.left_out_taken")
    assert (event.actor, event.invoice_id) == ("clara", invoice.pk)
    assert event.payload["left_out_because"] == left.reason
    intake = client.get(reverse("intake")).content.decode()
    assert "Taken: open" in intake


def test_the_api_answers_422_for_a_txt_alone_and_keeps_it(client):
    from core.models import ApiToken

    _, secret = ApiToken.issue("erp", ["documents"])
    response = client.post(
        reverse("api_documents"),
        {"file": SimpleUploadedFile("notes.txt", NOTES, "text/plain")},
        headers={"authorization": f"Bearer {secret}"},
    )

    assert response.status_code == 422
    assert response.json()["left_out"] == [
        {"name": "notes.txt", "rule": "not an invoice: a plain text file"}
    ]
    assert LeftOutFile.objects.get().source == {"api_token": "erp"}
    assert Invoice.objects.count() == 0


def test_a_zip_member_that_is_no_invoice_is_kept_with_its_reason():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zipped:
        zipped.writestr("INV-3.pdf", _pdf("INV-3"))
        zipped.writestr("readme.txt", "terms and conditions")

    taken = take("batch.zip", out.getvalue(), channel="upload", actor="test")

    assert [r.document.original_name for r in taken.received] == ["INV-3.pdf"]
    left = LeftOutFile.objects.get()
    assert left.original_name == "batch.zip/readme.txt"
    assert left.reason == "not an invoice: a plain text file"
    assert left.file.read() == b"terms and conditions"


def test_the_same_left_out_bytes_are_stored_once_and_listed_per_arrival():
    take("a.txt", NOTES, channel="upload", actor="test")
    take("b.txt", NOTES, channel="api", actor="test")

    first, second = LeftOutFile.objects.order_by("id")
    assert first.file.name == second.file.name
    assert [first.original_name, second.original_name] == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("scan.pdf", b"%PDF-1.7\n..."),
        ("scan.png", b"\x89PNG\r\n\x1a\n...."),
        ("scan.jpg", b"\xff\xd8\xff\xe0...."),
        ("scan.tif", b"II*\x00...."),
        ("ubl.xml", ubl_xml(demo_invoice())),
        ("cii.xml", cii_xml(demo_invoice())),
        ("export", b"<?xml version='1.0'?><!-- ERP --><inv:Invoice xmlns:inv='urn:x'/>"),
        ("fattura.xml", b"<p:FatturaElettronica xmlns:p='urn:it'/>"),
        ("damaged.pdf", b"this was cut off in transit"),  # named a PDF: quarantined
        ("broken.xml", b"<<<"),  # no root to be found: the reader says why
        ("xxe.xml", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>"),
    ],
)
def test_possible_invoices(name, data):
    assert kinds.classify(name, data).invoice, name


@pytest.mark.parametrize(
    ("name", "data", "declared", "said"),
    [
        ("notes.txt", NOTES, "text/plain", "a plain text file"),
        ("export.csv", b"invoice;amount\n1;2\n", "text/csv", "a CSV file"),
        ("invite.ics", CALENDAR, "text/calendar", "a calendar invitation"),
        ("page.html", b"<!DOCTYPE html><html><body>hi</body></html>", "", "an HTML page"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "", "an SVG image"),
        ("notes.xml", b"<?xml version='1.0'?><notes/>", "", "root element <notes>"),
        ("logo.gif", b"GIF89a......", "image/gif", "a GIF image"),
        ("empty.txt", b"", "", "an empty file"),
    ],
)
def test_files_that_are_not_invoices_are_left_out_with_a_reason(name, data, declared, said):
    verdict = kinds.classify(name, data, declared)
    assert not verdict.invoice
    assert said in verdict.reason


def test_an_office_document_is_left_out_whole_not_opened_as_a_zip():
    files, left_out = invoice_files("letter.docx", _docx())

    assert files == []
    assert [(item.name, item.rule) for item in left_out] == [
        ("letter.docx", "not an invoice: a Word document (.docx)")
    ]


def test_the_intake_screen_shows_clerks_their_work_and_admins_the_setup(client, clerk, settings):
    from django.contrib.auth.models import Group, User

    settings.IMAP_URL = "imaps://ap:secret@mail.buyer.example:993/INBOX"
    admin = User.objects.create_user("ada", password="x")
    admin.groups.add(Group.objects.get(name="admin"))
    take_message("ap", _email([("notes.txt", NOTES, "text", "plain")]))

    client.force_login(clerk)
    as_clerk = client.get(reverse("intake")).content.decode()
    client.force_login(admin)
    as_admin = client.get(reverse("intake")).content.decode()

    for page in (as_clerk, as_admin):
        assert "Arrived today" in page
        assert "Emails that need attention" in page
        assert "Left out: not invoices" in page
        assert 'id="arrived-email"' in page
    # Sysadmin instructions are for admins only.
    for instruction in ("Channel setup", "IMAP_URL", "create_api_token", "INTAKE_FOLDER"):
        assert instruction not in as_clerk, instruction
        assert instruction in as_admin, instruction
    assert "Mark handled" in as_clerk
