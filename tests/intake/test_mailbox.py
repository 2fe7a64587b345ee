"""The AP mailbox, against a real Dovecot IMAP server on loopback (see conftest.py)."""

import io
import zipfile
from email.message import EmailMessage

import pytest
from django.core.management import call_command

from core.demo_pdf import pdf_invoice
from core.models import Document, Invoice, Mailbox, MailMessage
from extraction.channels import mailbox
from extraction.channels.mailbox import TAKEN_KEYWORD, MailboxConfig, poll_all
from tests.concurrency import at_once
from tests.factories import demo_invoice

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """What a worker process being killed looks like from inside: nothing catches it."""


def _pdf(number: str) -> bytes:
    return pdf_invoice(demo_invoice(invoice_number=number), "classic")


def _message(attachments=(), *, message_id="<inv-1@vendor.example>", subject="Invoices"):
    message = EmailMessage()
    message["From"] = "Accounts <billing@vendor.example>"
    message["To"] = "ap@buyer.example"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    message.set_content("Please find our invoices attached.\n\nKind regards")
    for name, data, maintype, subtype in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _three_pdfs(**kw) -> bytes:
    return _message(
        [(f"INV-{n}.pdf", _pdf(f"INV-{n}"), "application", "pdf") for n in (1, 2, 3)], **kw
    )


def _taken(flags) -> bool:
    return TAKEN_KEYWORD.encode() in flags


@pytest.fixture
def ap_mailbox(imap, settings):
    settings.IMAP_URL = imap.url
    return imap


def test_an_email_with_three_invoice_pdfs_makes_three_invoices(ap_mailbox):
    ap_mailbox.deliver(_three_pdfs())

    (result,) = poll_all()

    assert (result.messages, result.documents, result.error) == (1, 3, "")
    assert Invoice.objects.count() == 3
    record = MailMessage.objects.get()
    assert record.outcome == MailMessage.Outcome.TAKEN
    assert record.key == "<inv-1@vendor.example>"
    assert record.sender == "Accounts <billing@vendor.example>"
    assert record.subject == "Invoices"
    assert record.raw.read().startswith(b"From: Accounts")  # the message itself is kept
    for document in record.documents.all():
        assert document.channel == Document.Channel.EMAIL
        assert document.source["message_id"] == "<inv-1@vendor.example>"
        assert document.source["sender"] == "Accounts <billing@vendor.example>"
    assert all(_taken(flags) for flags in ap_mailbox.messages().values())


def test_polling_the_same_mailbox_three_times_still_makes_three(ap_mailbox):
    ap_mailbox.deliver(_three_pdfs())

    results = [poll_all()[0] for _ in range(3)]

    assert [r.messages for r in results] == [1, 0, 0]
    assert Invoice.objects.count() == 3
    assert MailMessage.objects.count() == 1


def test_the_same_email_delivered_twice_is_taken_once(ap_mailbox):
    ap_mailbox.deliver(_three_pdfs())
    ap_mailbox.deliver(_three_pdfs())

    (result,) = poll_all()

    assert (result.messages, result.already_taken) == (1, 1)
    assert Invoice.objects.count() == 3
    assert all(_taken(flags) for flags in ap_mailbox.messages().values())


def test_a_worker_killed_before_the_commit_leaves_the_message_for_the_next_poll(
    ap_mailbox, monkeypatch
):
    ap_mailbox.deliver(_three_pdfs())
    original_save = MailMessage.save

    def killed(self, *args, **kwargs):
        raise WorkerKilled  # downloaded and its documents stored, not yet committed

    monkeypatch.setattr(MailMessage, "save", killed)
    with pytest.raises(WorkerKilled):
        poll_all()

    assert Invoice.objects.count() == 0
    assert MailMessage.objects.count() == 0
    assert not any(_taken(flags) for flags in ap_mailbox.messages().values())

    monkeypatch.setattr(MailMessage, "save", original_save)
    (result,) = poll_all()

    assert result.messages == 1
    assert Invoice.objects.count() == 3
    assert all(_taken(flags) for flags in ap_mailbox.messages().values())


def test_a_worker_killed_after_the_commit_marks_the_message_next_time_and_adds_nothing(
    ap_mailbox, monkeypatch
):
    ap_mailbox.deliver(_three_pdfs())

    def killed(client, config, uid):
        raise WorkerKilled

    monkeypatch.setattr(mailbox, "_mark_taken", killed)
    with pytest.raises(WorkerKilled):
        poll_all()
    assert Invoice.objects.count() == 3
    assert not any(_taken(flags) for flags in ap_mailbox.messages().values())

    monkeypatch.undo()
    (result,) = poll_all()

    assert (result.messages, result.already_taken) == (0, 1)
    assert Invoice.objects.count() == 3
    assert all(_taken(flags) for flags in ap_mailbox.messages().values())


def test_a_message_with_only_a_logo_and_a_signature_needs_attention_with_the_rules(ap_mailbox):
    message = EmailMessage()
    message["From"] = "someone@vendor.example"
    message["Subject"] = "Our new address"
    message["Message-ID"] = "<logo@vendor.example>"
    message.set_content("See the new address below.")
    message.add_alternative('<p>See below.</p><img src="cid:logo">', subtype="html")
    html = message.get_payload()[1]
    html.add_related(_png(2000), maintype="image", subtype="png", cid="<logo>")
    message.add_attachment(_png(3000), maintype="image", subtype="png", filename="signature.png")
    ap_mailbox.deliver(message.as_bytes())

    (result,) = poll_all()

    assert (result.messages, result.needs_attention, result.documents) == (1, 1, 0)
    record = MailMessage.objects.get()
    assert record.outcome == MailMessage.Outcome.NEEDS_ATTENTION
    rules = {item["rule"] for item in record.ignored}
    assert "inline image in the message body (a logo)" in rules
    assert any(rule.startswith("image under 20,000 bytes") for rule in rules)
    assert "No attachment is an invoice" in record.reason
    assert "signature.png" in record.reason
    assert Invoice.objects.count() == 0
    # Listed for a person, and marked on the server so the next poll does not repeat it.
    assert all(_taken(flags) for flags in ap_mailbox.messages().values())


def test_a_malformed_mime_message_needs_attention_with_a_reason_and_is_kept(ap_mailbox):
    raw = (
        b"From: broken@vendor.example\r\n"
        b"Subject: invoice\r\n"
        b"Message-ID: <broken@vendor.example>\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
        b"\r\n"
        b"--never-closed\r\n"
        b"Content-Type: application/pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment\r\n"
        b"\r\n"
        b"%%%% not base64 at all %%%%\r\n"
    )
    ap_mailbox.deliver(raw)

    (result,) = poll_all()

    assert result.needs_attention == 1
    record = MailMessage.objects.get()
    assert record.outcome == MailMessage.Outcome.NEEDS_ATTENTION
    assert record.reason.startswith("The message is malformed: A start boundary was found")
    assert "part-2: not an invoice: sent as application/pdf, but the bytes are" in record.reason
    assert record.raw.read() == raw
    assert Invoice.objects.count() == 0


def test_a_zip_attachment_gives_its_invoices_and_says_what_was_left_out(ap_mailbox):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("INV-7.pdf", _pdf("INV-7"))
        zipped.writestr("INV-8.pdf", _pdf("INV-8"))
        zipped.writestr("readme.txt", "terms and conditions")
    ap_mailbox.deliver(_message([("invoices.zip", archive.getvalue(), "application", "zip")]))

    (result,) = poll_all()

    assert result.documents == 2
    assert sorted(Document.objects.values_list("original_name", flat=True)) == [
        "INV-7.pdf",
        "INV-8.pdf",
    ]
    record = MailMessage.objects.get()
    assert record.ignored == [
        {
            "name": "invoices.zip/readme.txt",
            "rule": "not an invoice: a plain text file",
        }
    ]


def test_taken_messages_move_to_the_processed_folder_when_one_is_set(ap_mailbox, settings):
    settings.IMAP_PROCESSED_FOLDER = "Ledgerline-processed"
    ap_mailbox.deliver(_three_pdfs())

    poll_all()
    poll_all()

    assert ap_mailbox.messages("INBOX") == {}
    assert len(ap_mailbox.messages("Ledgerline-processed")) == 1
    assert Invoice.objects.count() == 3


def test_a_mailbox_that_fails_is_reported_and_the_others_are_polled(ap_mailbox, capsys):
    Mailbox.objects.create(
        name="wrong password",
        host=ap_mailbox.host,
        port=ap_mailbox.port,
        use_ssl=False,
        username="ap",
        password="not-the-password",
    )
    ap_mailbox.deliver(_three_pdfs())

    with pytest.raises(SystemExit) as exit_code:
        call_command("poll_mailboxes")

    assert exit_code.value.code == 1
    printed = capsys.readouterr().out
    assert "wrong password: 0 new message(s)" in printed
    assert "ERROR" in printed
    assert "IMAP_URL 127.0.0.1: 1 new message(s), 3 document(s)" in printed
    assert Mailbox.objects.get(name="wrong password").last_error
    assert Invoice.objects.count() == 3


def test_imap_url_with_a_password_file(tmp_path):
    secret = tmp_path / "imap-password"
    secret.write_text("s3cret\n")

    config = MailboxConfig.from_url(
        "imaps://ap%40buyer.example@mail.example:993/AP/Invoices", str(secret)
    )

    assert (config.host, config.port, config.use_ssl) == ("mail.example", 993, True)
    assert (config.username, config.password, config.folder) == (
        "ap@buyer.example",
        "s3cret",
        "AP/Invoices",
    )


def _png(size: int) -> bytes:
    """A PNG of about `size` bytes (noise does not compress)."""
    import os

    from PIL import Image

    side = max(8, int((size / 3) ** 0.5))
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_two_workers_taking_the_same_message_at_once_record_it_once():
    from extraction.channels.mailbox import take_message

    raw = _three_pdfs(message_id="<race@vendor.example>")

    outcomes = [created for _, created in at_once(lambda: take_message("AP", raw), 2)]

    assert sorted(outcomes) == [False, True]
    assert MailMessage.objects.count() == 1
    assert Invoice.objects.count() == 3


def test_a_message_over_the_limit_is_left_in_the_mailbox_without_being_downloaded(
    ap_mailbox, settings, monkeypatch
):
    settings.MAX_STORED_BYTES = 50_000
    ap_mailbox.deliver(_message([("big.pdf", b"%PDF" + bytes(80_000), "application", "pdf")]))
    ap_mailbox.deliver(_three_pdfs(message_id="<small@vendor.example>"))
    downloaded = []
    take_message = mailbox.take_message
    monkeypatch.setattr(
        mailbox, "take_message", lambda name, raw: downloaded.append(raw) or take_message(name, raw)
    )

    (result,) = poll_all()

    assert result.messages == 1  # the small one, in the same pass
    assert len(downloaded) == 1
    (left,) = result.left_in_mailbox
    assert "the limit is 50,000 bytes (MAX_STORED_BYTES): left in INBOX" in left
    assert MailMessage.objects.get().key == "<small@vendor.example>"
    flags = list(ap_mailbox.messages().values())
    assert sorted(_taken(f) for f in flags) == [False, True]  # the big one is untouched
