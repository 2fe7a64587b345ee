"""Settling an unknown vendor where the invoice shows it (issue 19, VENDOR_UNKNOWN).

Three ways, each checked against the user's role here (not only in the screen) and each
audited in the hash chain:

- an admin (core.add_vendor) adds the vendor to the vendor master from what the invoice
  says: event `masterdata.vendor_created` (source "invoice:<id>", every field) and
  `invoice.vendor_linked` on the invoice;
- an admin (core.change_vendor) links the invoice to a vendor already in the master:
  `invoice.vendor_linked`;
- a clerk, who may not change the vendor master, requests the vendor: a VendorRequest on
  the invoice, event `vendor.requested`, and an email to every vendor admin.

Adding or linking closes the invoice's open requests and sends it back to matching
(approvals.decisions.send_back_to_matching), so the exception clears on the same page
once the match has run. A vendor added in the admin or through the API is found by
"Match again" alone (matching.services.recognise_vendor_again).
"""

import logging
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from rapidfuzz import fuzz, process

from approvals.decisions import send_back_to_matching
from audit import chain, changes
from core import roles
from core.formatting import format_datetime
from core.identifiers import compact_identifier
from core.models import Invoice, Status, Vendor, VendorRequest
from core.models.invoices import actor_name
from core.tasks import enqueue_invoice
from extraction.parsing import is_iban

log = logging.getLogger(__name__)

# Names at least this alike (rapidfuzz WRatio, 0-100) are offered as vendors to link to.
SUGGEST_MIN_SCORE = 70
SUGGESTIONS = 5
SEARCH_RESULTS = 20
# The fields a vendor is added with from an invoice; the rest keep the model's defaults.
VENDOR_FIELDS = ("name", "vat_id", "iban", "address", "external_id", "currency", "match_mode")


@dataclass(frozen=True)
class Suggestion:
    """A vendor of the master that may be the invoice's, and why: "same VAT id", "same
    IBAN" (score 100), or "name N% alike" (rapidfuzz WRatio of the names, casefolded)."""

    vendor: Vendor
    reason: str
    score: int


class VendorForm(forms.ModelForm):
    """A new vendor for the master. VAT id and IBAN are compacted (as Vendor.save does);
    an IBAN must pass the ISO 13616 check; a VAT id or IBAN another vendor already has is
    refused, since a key two vendors share identifies neither (extraction.vendors): the
    invoice is then linked to that vendor instead."""

    class Meta:
        model = Vendor
        fields = VENDOR_FIELDS
        labels = {"external_id": "ERP vendor id", "match_mode": "Match"}
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def clean_vat_id(self):
        vat_id = compact_identifier(self.cleaned_data["vat_id"])
        self._not_taken("vat_id", vat_id, "VAT id")
        return vat_id

    def clean_iban(self):
        iban = compact_identifier(self.cleaned_data["iban"])
        if iban and not is_iban(iban):
            raise forms.ValidationError("This is not a valid IBAN (the check digits do not fit).")
        self._not_taken("iban", iban, "IBAN")
        return iban

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha():
            raise forms.ValidationError("Use the three-letter ISO code, e.g. EUR.")
        return currency

    def _not_taken(self, field: str, value: str, label: str) -> None:
        owner = Vendor.objects.filter(**{field: value}).first() if value else None
        if owner is not None:
            raise forms.ValidationError(
                f"{owner.name} already has this {label}: link the invoice to it instead."
            )


def proposal(invoice: Invoice) -> dict:
    """What the invoice says of its vendor, as the form's initial values: the open
    VENDOR_UNKNOWN exception's `proposed_vendor` where there is one, else the invoice's
    fields (name BT-27, VAT id BT-31, IBAN BT-84), with the invoice's currency."""
    finding = (
        invoice.open_exceptions().filter(code="VENDOR_UNKNOWN").order_by("-created_at").first()
    )
    proposed = (finding.details or {}).get("proposed_vendor", {}) if finding else {}
    return {
        "name": proposed.get("name") or invoice.vendor_name,
        "vat_id": proposed.get("vat_id") or invoice.vendor_vat_id,
        "iban": proposed.get("iban") or invoice.vendor_iban,
        "address": proposed.get("address", ""),
        "currency": invoice.currency or "EUR",
    }


def suggestions(name: str, vat_id: str = "", iban: str = "") -> list[Suggestion]:
    """Up to SUGGESTIONS vendors of the master the invoice may be from, best first: those
    with its VAT id or IBAN, then names at least SUGGEST_MIN_SCORE alike."""
    found: dict[int, Suggestion] = {}
    keys = {"vat_id": compact_identifier(vat_id), "iban": compact_identifier(iban)}
    wanted = Q()
    for field, value in keys.items():
        if value:
            wanted |= Q(**{field: value})
    if wanted:
        for vendor in Vendor.objects.filter(wanted):
            same = "VAT id" if keys["vat_id"] and vendor.vat_id == keys["vat_id"] else "IBAN"
            found[vendor.pk] = Suggestion(vendor, f"same {same}", 100)
    if name.strip():
        choices = dict(Vendor.objects.values_list("pk", "name"))
        alike = process.extract(
            name,
            choices,
            scorer=fuzz.WRatio,
            processor=str.casefold,
            limit=SUGGESTIONS,
            score_cutoff=SUGGEST_MIN_SCORE,
        )
        vendors = Vendor.objects.in_bulk([pk for _, _, pk in alike])
        for _, score, pk in alike:
            if pk not in found:
                found[pk] = Suggestion(vendors[pk], f"name {round(score)}% alike", round(score))
    return sorted(found.values(), key=lambda s: (-s.score, s.vendor.name))[:SUGGESTIONS]


def search(query: str) -> list[Vendor]:
    """Vendors whose name contains `query`, or whose VAT id, IBAN or ERP id is it."""
    query = query.strip()
    if not query:
        return []
    key = compact_identifier(query)
    wanted = Q(name__icontains=query) | Q(external_id__iexact=query)
    if key:  # "-" compacts to "", which every vendor without a VAT id or IBAN has
        wanted |= Q(vat_id=key) | Q(iban=key)
    return list(Vendor.objects.filter(wanted).order_by("name")[:SEARCH_RESULTS])


def add_vendor(invoice: Invoice, user, form: VendorForm) -> Vendor:
    """Add the vendor of a valid `form` to the master and link the invoice to it, then
    match the invoice again. Raises PermissionDenied without core.add_vendor and working
    the queue (linking and matching again change the invoice, as link_vendor does),
    ValidationError for an invoice that is not in review."""
    _must(
        roles.can_add_vendor(user) and roles.can_work_queue(user),
        "Only admins can add vendors to the vendor master from an invoice.",
    )
    _in_review(invoice)
    with transaction.atomic():
        vendor = form.save(commit=False)
        vendor._change_reason = f"Added from invoice #{invoice.pk}"
        vendor.save()
        changes.record_change(
            "vendor",
            vendor.external_id or f"#{vendor.pk}",
            changes.CREATED,
            changes.diff({}, changes.values_of(vendor)),
            actor=actor_name(user),
            source=f"invoice:{invoice.pk}",
            id=vendor.pk,
        )
        _link(invoice, vendor, user, how="added")
    return vendor


def link_vendor(invoice: Invoice, vendor: Vendor, user) -> None:
    """Say the invoice is from `vendor` of the master, then match it again. Raises
    PermissionDenied without core.change_vendor, ValidationError for an invoice that is not
    in review."""
    _must(roles.can_link_vendor(user), "Only admins can link an invoice to a vendor.")
    _in_review(invoice)
    with transaction.atomic():
        _link(invoice, vendor, user, how="chosen")


def request_vendor(invoice: Invoice, user, comment: str) -> VendorRequest:
    """Record a clerk's request that the invoice's vendor be added, and mail the vendor
    admins (roles.vendor_admins) once it is committed. Raises PermissionDenied for who does
    not work the queue, ValidationError where there is nothing to request (the vendor is
    known) or the invoice already has an open request."""
    _must(roles.can_work_queue(user), "Only clerks can request a vendor.")
    if not invoice.open_exceptions().filter(code="VENDOR_UNKNOWN").exists():
        raise ValidationError("This invoice's vendor is in the vendor master: nothing to request.")
    waiting = invoice.vendor_requests.open().select_related("requested_by").first()
    if waiting is not None:
        who = waiting.requested_by.get_username() if waiting.requested_by else "someone"
        raise ValidationError(
            f"{who} already requested this vendor on "
            f"{format_datetime(timezone.localtime(waiting.created_at))}; "
            "the vendor admins have been told."
        )
    comment = comment.strip()[:2000]
    with transaction.atomic():
        request = VendorRequest.objects.create(
            invoice=invoice,
            name=invoice.vendor_name,
            vat_id=invoice.vendor_vat_id,
            iban=invoice.vendor_iban,
            comment=comment,
            requested_by=user,
        )
        chain.record(
            "vendor.requested",
            actor=actor_name(user),
            invoice_id=invoice.pk,
            payload={
                "reason": f"Vendor {request.name or '(no name)'} requested from the vendor admins",
                "request_id": request.pk,
                "name": request.name,
                "vat_id": request.vat_id,
                "iban": request.iban,
                "comment": comment,
            },
        )
        transaction.on_commit(lambda: _mail_admins(request))
    return request


def _link(invoice: Invoice, vendor: Vendor, user, *, how: str) -> None:
    """Set the vendor, close the open requests, audit, and send the invoice back to
    matching (in the caller's transaction); the pipeline runs once it commits."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    before = locked.vendor_id
    locked.vendor = vendor
    locked._change_reason = f"Vendor {how} by {actor_name(user)}"
    locked.save(update_fields=["vendor", "updated_at"])
    closed = list(locked.vendor_requests.open().values_list("pk", flat=True))
    VendorRequest.objects.filter(pk__in=closed).update(
        state=VendorRequest.State.DONE,
        vendor=vendor,
        resolved_by=user,
        resolved_at=timezone.now(),
    )
    chain.record(
        "invoice.vendor_linked",
        actor=actor_name(user),
        invoice_id=locked.pk,
        payload={
            "reason": f"Vendor {vendor.name} "
            + ("added to the vendor master from this invoice" if how == "added" else "linked"),
            "how": how,  # "added" to the master from this invoice, or "chosen" from it
            "vendor_id": vendor.pk,
            "vendor": vendor.name,
            "from_vendor_id": before,
            "vendor_name_read": locked.vendor_name,
            "requests_closed": closed,
        },
    )
    what = "added to the vendor master" if how == "added" else "linked"
    send_back_to_matching(locked, user, f"Vendor {vendor.name} {what}; matching again")
    invoice.refresh_from_db()
    enqueue_invoice(invoice.pk)


def _mail_admins(request: VendorRequest) -> int:
    """One email per vendor admin with an address; a mail server that refuses is logged,
    the request stands (it is on the invoice and the requests list)."""
    invoice = request.invoice
    who = request.requested_by.get_username() if request.requested_by else "A clerk"
    url = settings.SITE_URL + reverse("invoice_vendor", args=[invoice.pk])
    # One line: a name read over two lines would make the header refused (BadHeaderError).
    subject = " ".join(
        f"Vendor requested: {request.name or '(no name)'} (invoice {invoice})".split()
    )
    body = (
        f"{who} asks for a vendor to be added to the vendor master for invoice {invoice} "
        f"(#{invoice.pk}).\n\n"
        f"Name:   {request.name or '—'}\n"
        f"VAT id: {request.vat_id or '—'}\n"
        f"IBAN:   {request.iban or '—'}\n"
        + (f"\nComment: {request.comment}\n" if request.comment else "")
        + f"\nAdd or link it here: {url}\n"
    )
    sent = 0
    for admin in roles.vendor_admins().exclude(email=""):
        try:
            sent += send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [admin.email])
        except OSError:
            log.exception("could not mail vendor request %s to %s", request.pk, admin.email)
    return sent


def _in_review(invoice: Invoice) -> None:
    if invoice.status != Status.NEEDS_REVIEW:
        raise ValidationError(
            f"The vendor is settled while an invoice is in review; invoice {invoice} is "
            f"{invoice.get_status_display()}."
        )


def _must(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)
