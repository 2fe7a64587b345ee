"""Approve by email: signed, single-use links that expire and are bound to one approver and
to the invoice as it was when the email went out.

A link carries the invoice, the approver, the action (approve or reject), the invoice's
version (its latest history row) and a nonce, signed with the secret key and timestamped.
Opening it shows a confirmation page; only the POST from that page decides, so a mail
scanner that follows links decides nothing. A link refuses, with a page that says why,
when it is expired, was used, was meant for another person, or the invoice changed since.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from approvals.models import UsedLink
from core.models import Invoice, Status

SALT = "ledgerline.approval-link"
ACTIONS = ("approve", "reject")


class LinkRefused(Exception):
    """The link cannot decide; the message says why, for the page."""


@dataclass(frozen=True)
class Link:
    invoice: Invoice
    approver: object  # the User the link was sent to
    action: str
    nonce: str


def make_token(invoice: Invoice, approver, action: str) -> str:
    payload = {
        "i": invoice.pk,
        "u": approver.pk,
        "a": action,
        "v": invoice.version,
        "n": secrets.token_hex(12),
    }
    return signing.dumps(payload, salt=SALT, compress=True)


def read(token: str, user=None) -> Link:
    """The link's facts, or LinkRefused; `user` is whoever is signed in, if anyone."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.APPROVAL_LINK_HOURS * 3600)
    except signing.SignatureExpired as exc:
        raise LinkRefused(
            f"This link has expired (links work for {settings.APPROVAL_LINK_HOURS} hours). "
            "Open the invoice in Ledgerline to decide."
        ) from exc
    except signing.BadSignature as exc:
        raise LinkRefused("This link is not valid. Open the invoice in Ledgerline.") from exc
    invoice = Invoice.objects.filter(pk=data.get("i")).first()
    approver = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    if invoice is None or approver is None or data.get("a") not in ACTIONS:
        raise LinkRefused("This link is not valid. Open the invoice in Ledgerline.")
    if user is not None and user.is_authenticated and user.pk != approver.pk:
        raise LinkRefused(
            f"This link was sent to {approver.get_username()}, and you are signed in as "
            f"{user.get_username()}. Only the person it was sent to can use it."
        )
    if UsedLink.objects.filter(nonce=data["n"]).exists():
        raise LinkRefused("This link was used already; a link decides once.")
    if invoice.status not in (Status.PENDING_APPROVAL, Status.NEEDS_REVIEW):
        raise LinkRefused(
            f"Invoice {invoice} is {invoice.get_status_display()} now: there is nothing left "
            "to decide."
        )
    if invoice.version != data["v"]:
        raise LinkRefused(
            f"Invoice {invoice} has changed since this email was sent. Open it in Ledgerline "
            "to see what changed before you decide."
        )
    return Link(invoice, approver, data["a"], data["n"])


def use(link: Link) -> None:
    """Spend the link (once, even when two requests race)."""
    try:
        with transaction.atomic():
            UsedLink.objects.create(nonce=link.nonce, invoice=link.invoice)
    except IntegrityError as exc:
        raise LinkRefused("This link was used already; a link decides once.") from exc


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

    invoice = route.invoice
    level = route.current
    if level is None:
        return 0
    amount = f"{invoice.total_amount:,.2f} {invoice.currency}" if invoice.total_amount else ""
    vendor = invoice.vendor.name if invoice.vendor else invoice.vendor_name
    open_url = settings.SITE_URL + reverse("invoice_detail", args=[invoice.pk])
    what = "confirm the proposal for" if route.kind == "propose" else "approve"
    sent = 0
    for person in people if people is not None else recipients(route):
        links = {
            action: settings.SITE_URL
            + reverse("email_decision", args=[make_token(invoice, person, action)])
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
