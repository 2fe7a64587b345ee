"""The intake screen: what arrived today and what needs a person, per channel (issue 19).

For clerks: emails with nothing usable in them (the reason, the parts left out, the
message to download, "Mark handled"), files that could not be read (kept, quarantined
with their reason; an admin reprocesses them after a fix), files left out as not invoices
(extraction.channels.kinds says which; each kept with its reason and downloadable), what
arrived today per channel, and whether each channel is working. Admins also see how the
channels are set up (hosts, folders, the commands and settings): clerks do not need it.
Each email has a record page listing what became of each of its parts.
"""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Prefetch
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from audit import chain
from core import roles
from core.models import Document, Invoice, LeftOutFile, Mailbox, MailMessage
from core.models.documents import safe_file_name
from core.tasks import enqueue_invoice
from extraction.channels.folder import ARCHIVE, PROCESSING, REFUSED
from extraction.intake import receive
from extraction.services import quarantined, reprocess


def needs_attention() -> int:
    """How many things at intake wait for a person (the navigation shows it)."""
    return (
        MailMessage.objects.filter(
            outcome=MailMessage.Outcome.NEEDS_ATTENTION, handled_at__isnull=True
        ).count()
        + _quarantined().count()
    )


def _quarantined():
    return (
        quarantined(Invoice.objects.all())
        .select_related("document")
        .defer("document__words")
        .prefetch_related("exceptions")
        .order_by("-created_at")
    )


# How far back the Intake screen lists files left out (older ones stay kept, and in the
# audit log as document.left_out).
LEFT_OUT_DAYS = 14
LEFT_OUT_ROWS = 100


@login_required
@require_GET
def intake(request: HttpRequest):
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    attention = MailMessage.objects.filter(
        outcome=MailMessage.Outcome.NEEDS_ATTENTION, handled_at__isnull=True
    ).prefetch_related(Prefetch("left_out_files", queryset=LeftOutFile.objects.order_by("id")))
    since = timezone.now() - timedelta(days=LEFT_OUT_DAYS)
    left_out = (
        LeftOutFile.objects.filter(received_at__gte=since)
        .select_related("mail_message", "received_by")
        .order_by("-received_at", "-id")[:LEFT_OUT_ROWS]
    )
    is_admin = roles.ADMIN in roles.roles_of(request.user)
    mailboxes = list(Mailbox.objects.order_by("name"))
    attention = list(attention)
    for message in attention:
        # The reason lists the parts left out; the screen lists them with their files.
        parts = message.left_out_files.all()
        listed = message.reason.startswith("No attachment is an invoice (")
        message.summary = "No attachment is an invoice:" if parts and listed else message.reason
    return render(
        request,
        "core/intake.html",
        {
            "messages_needing_attention": attention,
            "quarantined": _quarantined()[:200],
            "left_out": left_out,
            "left_out_days": LEFT_OUT_DAYS,
            "arrivals": arrivals_today(),
            "mailboxes": mailboxes,
            "mailbox_errors": [m for m in mailboxes if m.enabled and m.last_error],
            "env_mailbox": bool(settings.IMAP_URL),
            "folder": _folder_state(),
            "can_handle": roles.can_upload(request.user),
            "can_reprocess": is_admin,
            "is_admin": is_admin,
        },
    )


def arrivals_today() -> list[dict]:
    """What came in today (local time), per channel: {"channel" (its name), "invoices"
    (new documents), "left_out" (files left out), "messages" (emails taken; None for
    other channels), "last" (the latest arrival or None)}, in Document.Channel's order."""
    start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    documents = {
        row["channel"]: row
        for row in Document.objects.filter(received_at__gte=start)
        .values("channel")
        .annotate(n=Count("id"), last=Max("received_at"))
    }
    left = {
        row["channel"]: row
        for row in LeftOutFile.objects.filter(received_at__gte=start)
        .values("channel")
        .annotate(n=Count("id"), last=Max("received_at"))
    }
    mail = MailMessage.objects.filter(taken_at__gte=start).count()
    rows = []
    for value, label in Document.Channel.choices:
        found, dropped = documents.get(value, {}), left.get(value, {})
        lasts = [t for t in (found.get("last"), dropped.get("last")) if t]
        rows.append(
            {
                "channel": value,
                "label": CHANNEL_LABELS.get(value, label),
                "invoices": found.get("n", 0),
                "left_out": dropped.get("n", 0),
                "messages": mail if value == Document.Channel.EMAIL else None,
                "last": max(lasts) if lasts else None,
            }
        )
    return rows


CHANNEL_LABELS = {
    "email": "AP mailbox",
    "upload": "Upload screen",
    "folder": "Scanner folder",
    "api": "API (from other systems)",
    "command": "Command line",
}


@login_required
@require_GET
def message_record(request: HttpRequest, pk: int):
    """One email's record: who sent it, when it was taken, and what became of each part
    (an invoice, or left out with the rule that left it out)."""
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    record = get_object_or_404(MailMessage.objects.select_related("handled_by"), pk=pk)
    documents = record.documents.select_related("invoice").defer("words").order_by("id")
    return render(
        request,
        "core/intake_message.html",
        {
            "record": record,
            "documents": documents,
            "left_out": record.left_out_files.order_by("id"),
            "can_handle": roles.can_upload(request.user),
        },
    )


@login_required
@require_GET
def left_out_file(request: HttpRequest, pk: int):
    """A file left out at intake, as it arrived: always a download (it may be HTML or
    anything else), never shown here."""
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    record = get_object_or_404(LeftOutFile, pk=pk)
    if not record.file:
        raise Http404("This file's bytes were not kept (it was refused for its size).")
    response = FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=safe_file_name(record.original_name),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


@login_required
@require_POST
def mark_handled(request: HttpRequest, pk: int):
    if not roles.can_upload(request.user):
        raise PermissionDenied
    record = get_object_or_404(MailMessage, pk=pk)
    done = MailMessage.objects.filter(pk=pk, handled_at__isnull=True).update(
        handled_at=timezone.now(), handled_by=request.user
    )
    if done:
        chain.record(
            "mail.handled",
            actor=request.user.get_username(),
            payload={"mail_message": record.pk, "subject": record.subject},
        )
    messages.success(request, f"Marked handled: {record}.")
    return redirect("intake")


@login_required
@require_GET
def message_raw(request: HttpRequest, pk: int):
    """The email as it arrived (.eml), to open in a mail program; never rendered here."""
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    record = get_object_or_404(MailMessage, pk=pk)
    response = FileResponse(
        record.raw.open("rb"),
        as_attachment=True,
        filename=f"message-{record.pk}.eml",
        content_type="message/rfc822",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def reprocess_invoice(request: HttpRequest, pk: int):
    if roles.ADMIN not in roles.roles_of(request.user):
        raise PermissionDenied
    invoice = get_object_or_404(quarantined(Invoice.objects.all()), pk=pk)
    reprocess(invoice, actor=request.user)
    enqueue_invoice(invoice.pk)
    messages.success(request, f"Invoice #{invoice.pk} is being read again.")
    # `next` comes from the form: only a path on this site, never another site (issue 16).
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "intake"
    return redirect(back)


@login_required
@require_POST
def take_left_out(request: HttpRequest, pk: int):
    """A clerk takes a file that was left out as an invoice after all (the rule was wrong
    for it: an e-invoice in a format the rules do not know, say). It is stored as a
    document from its channel and goes through the pipeline; the record keeps which
    document it became, and the audit log who decided and why it had been left out."""
    if not roles.can_upload(request.user):
        raise PermissionDenied
    with transaction.atomic():
        record = get_object_or_404(LeftOutFile.objects.select_for_update(), pk=pk)
        if not record.file:
            raise Http404("This file's bytes were not kept (it was refused for its size).")
        if record.taken_as_id is None:
            with record.file.open("rb") as stream:
                data = stream.read()
            received = receive(
                data,
                name=safe_file_name(record.original_name),
                channel=record.channel,
                actor=request.user,
                source={**record.source, "left_out_file": record.pk},
            )
            record.taken_as = received.document
            record.save(update_fields=["taken_as"])
            chain.record(
                "document.left_out_taken",
                actor=request.user.get_username(),
                invoice_id=received.invoice.pk,
                payload={
                    "left_out_file": record.pk,
                    "file": record.original_name,
                    "left_out_because": record.reason,
                    "document_id": received.document.pk,
                },
            )
            if received.created:
                transaction.on_commit(lambda: enqueue_invoice(received.invoice.pk))
    invoice_id = record.taken_as.invoice.pk
    messages.success(
        request, f"{record.original_name} is taken as invoice #{invoice_id} and is being read."
    )
    return redirect("invoice_detail", pk=invoice_id)


def _folder_state() -> dict | None:
    if not settings.INTAKE_FOLDER:
        return None
    root = Path(settings.INTAKE_FOLDER)
    if not root.is_dir():
        return {"path": str(root), "error": "not a folder"}
    waiting = [p for p in root.iterdir() if p.is_file() and not p.name.startswith(".")]
    refused = root / REFUSED
    return {
        "path": str(root),
        "waiting": len(waiting),
        "processing": sum(1 for _ in (root / PROCESSING).glob("*")),
        "refused": sum(1 for p in refused.glob("*") if not p.name.endswith(".reason.txt"))
        if refused.is_dir()
        else 0,
        "archive": str(root / ARCHIVE),
    }
