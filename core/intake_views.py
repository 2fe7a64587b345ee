"""The intake screen: what arrived and needs a person, per channel.

Emails with nothing usable in them, and files that could not be read (kept, quarantined
with their reason), are listed here, so nothing that reached AP is out of sight. Clerks
mark an email handled once they have dealt with it; an admin reprocesses a file after a
fix (a raised limit, a better reader). The mailboxes and the scanner folder show when they
were last read and any error.
"""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core import roles
from core.models import Invoice, Mailbox, MailMessage
from core.tasks import enqueue_invoice
from extraction.channels.folder import ARCHIVE, PROCESSING, REFUSED
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


@login_required
@require_GET
def intake(request: HttpRequest):
    if not roles.can_view_invoices(request.user):
        raise PermissionDenied
    attention = MailMessage.objects.filter(
        outcome=MailMessage.Outcome.NEEDS_ATTENTION, handled_at__isnull=True
    )
    return render(
        request,
        "core/intake.html",
        {
            "messages_needing_attention": attention,
            "quarantined": _quarantined()[:200],
            "mailboxes": Mailbox.objects.order_by("name"),
            "env_mailbox": bool(settings.IMAP_URL),
            "folder": _folder_state(),
            "can_handle": roles.can_upload(request.user),
            "can_reprocess": roles.ADMIN in roles.roles_of(request.user),
        },
    )


@login_required
@require_POST
def mark_handled(request: HttpRequest, pk: int):
    if not roles.can_upload(request.user):
        raise PermissionDenied
    MailMessage.objects.filter(pk=pk, handled_at__isnull=True).update(
        handled_at=timezone.now(), handled_by=request.user
    )
    messages.success(request, "Marked handled.")
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
