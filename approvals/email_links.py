"""Approve by email: links that expire, work once, and are bound to one approver, one level
of the invoice's route, and the invoice as it was when the email went out.

A link is `/decide/<token>/`, the token random (secrets.token_urlsafe, 256 bits) and
meaningless: what it may decide lives in an ApprovalLink row found by the token's SHA-256
hash, which is all the database keeps. (Signed payloads are not used: with the development
key left in place, issue 16 forged one in 23 tries by guessing the invoice version.)
Opening it shows a confirmation page; only the POST from that page decides, so a mail
scanner that follows links decides nothing. A link refuses, with a page that says why,
when it is unknown, expired, was used, was meant for another person, its level was decided
since, or the invoice changed since.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from approvals.models import ApprovalLink, ApprovalRoute
from core.formatting import format_amount
from core.models import Invoice, Status

ACTIONS = tuple(ApprovalLink.Action.values)  # ("approve", "reject")
NOT_VALID = "This link is not valid. Open the invoice in Ledgerline."
USED = "This link was used already; a link decides once."


class LinkRefused(Exception):
    """The link cannot decide; the message says why, for the page."""


@dataclass(frozen=True)
class Link:
    """What a valid link may decide: `action` ("approve" or "reject") on `invoice` by
    `approver` (the User it was mailed to); `id` is its ApprovalLink row."""

    invoice: Invoice
    approver: object
    action: str
    id: int


def token_hash(token: str) -> str:
    """The SHA-256 of a link's token, hex: what ApprovalLink keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(route: ApprovalRoute, approver, action: str) -> str:
    """A new link's token, for `approver` to take `action` at the route's current level;
    valid for APPROVAL_LINK_HOURS. Only its hash is stored: the email is its one copy."""
    if action not in ACTIONS:
        raise ValueError(f"{action!r} is not one of {ACTIONS}")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    ApprovalLink.objects.create(
        token_hash=token_hash(token),
        invoice=route.invoice,
        route=route,
        level=route.level,
        approver=approver,
        action=action,
        invoice_version=route.invoice.version,
        created_at=now,
        expires_at=now + timedelta(hours=settings.APPROVAL_LINK_HOURS),
    )
    return token


def read(token: str, user=None) -> Link:
    """What the link may decide, or LinkRefused saying why not; `user` is whoever is
    signed in, if anyone (a signed-in user must be the approver the link was sent to)."""
    record = (
        ApprovalLink.objects.select_related("invoice", "approver", "route")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if record is None or not record.approver.is_active:
        raise LinkRefused(NOT_VALID)
    if record.expires_at <= timezone.now():
        raise LinkRefused(
            f"This link has expired (links work for {settings.APPROVAL_LINK_HOURS} hours). "
            "Open the invoice in Ledgerline to decide."
        )
    approver, invoice, route = record.approver, record.invoice, record.route
    if user is not None and user.is_authenticated and user.pk != approver.pk:
        raise LinkRefused(
            f"This link was sent to {approver.get_username()}, and you are signed in as "
            f"{user.get_username()}. Only the person it was sent to can use it."
        )
    if record.used_at is not None:
        raise LinkRefused(USED)
    if invoice.status not in (Status.PENDING_APPROVAL, Status.NEEDS_REVIEW):
        raise LinkRefused(
            f"Invoice {invoice} is {invoice.get_status_display()} now: there is nothing left "
            "to decide."
        )
    if route.state != ApprovalRoute.State.OPEN or route.level != record.level:
        raise LinkRefused(
            f"This link was for level {record.level + 1} of the approval of invoice {invoice}, "
            "which has been decided since: there is nothing left for it to decide."
        )
    if invoice.version != record.invoice_version:
        raise LinkRefused(
            f"Invoice {invoice} has changed since this email was sent. Open it in Ledgerline "
            "to see what changed before you decide."
        )
    return Link(invoice, approver, record.action, record.pk)


def use(link: Link) -> None:
    """Spend the link: once, even when two requests race (a compare-and-set on used_at).
    Call it in the transaction that decides, so a refused decision leaves it unspent."""
    spent = ApprovalLink.objects.filter(pk=link.id, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if spent != 1:
        raise LinkRefused(USED)


def notify_approvers(invoice: Invoice) -> int:
    """Mail whoever the invoice's open approval route waits for now."""
    from approvals.chains import open_route

    route = open_route(invoice)
    return notify_route(route) if route is not None else 0


def notify_route(route, *, people=None, opening: str = "") -> int:
    """Email the people the route's current level waits for (or `people`), each with
    their own links to approve, reject or open the invoice. Returns how many were sent.
    `opening` starts the email (a reminder, an escalation)."""
    from approvals.chains import describe, recipients
    from approvals.decisions import may_be_asked

    invoice = route.invoice
    level = route.current
    if level is None:
        return 0
    amount = (
        format_amount(invoice.total_amount, invoice.currency)
        if invoice.total_amount is not None
        else "an amount not read"
    )
    vendor = invoice.vendor.name if invoice.vendor else invoice.vendor_name
    open_url = settings.SITE_URL + reverse("invoice_detail", args=[invoice.pk])
    what = "confirm the proposal for" if route.kind == "propose" else "approve"
    sent = 0
    # Only people who may decide it get links (permission, route, separation of duties).
    for person in may_be_asked(route, people if people is not None else recipients(route)):
        links = {
            action: settings.SITE_URL
            + reverse("email_decision", args=[issue(route, person, action)])
            for action in ACTIONS
        }
        body = (
            (opening + "\n\n" if opening else "")
            + f"Invoice {invoice.invoice_number or invoice.pk} from {vendor} for {amount} "
            f"waits for you to {what} it: level {route.level + 1} of {len(route.levels)} "
            f"({describe(level)}), policy {route.policy_label}.\n\n"
            f"Approve: {links['approve']}\n"
            f"Reject:  {links['reject']}\n"
            f"Open:    {open_url}\n\n"
            f"Each link asks you to confirm, works once, and expires in "
            f"{settings.APPROVAL_LINK_HOURS} hours or when the invoice changes."
        )
        subject = f"Approve invoice {invoice.invoice_number or invoice.pk} ({vendor}, {amount})"
        if opening:
            subject = f"{opening.split(':')[0]}: {subject}"
        sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
    return sent
