"""A clerk corrects extracted fields: the invoice changes, the audit trail says from what to
what and by whom, and the vendor's profile learns where the right value stands. A
correction does not settle a reading problem (Invoice.reading_problems, EINVOICE_UNUSABLE):
changing one field is no proof that all were checked; a clerk confirms that on its own
(approvals.triage.confirm_reading)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from approvals import trust
from audit import chain
from core.models import Document, Invoice, Status
from core.models.invoices import actor_name
from extraction.layout import Word
from extraction.learning import learn_hint
from extraction.models import VendorProfile
from extraction.types import field_label
from extraction.vendors import recognise_vendor

CORRECTABLE = (Status.NEEDS_REVIEW,)
VENDOR_KEYS = ("vendor_name", "vendor_vat_id", "vendor_iban")


def lock_for_correction(invoice: Invoice, what: str) -> Invoice:
    """The invoice's row, locked for the rest of the caller's transaction, once it is in
    review (CORRECTABLE). Asked on the locked row, not the caller's copy: another person
    may have sent the invoice on meanwhile. ValidationError "<what> while an invoice is in
    review; …" otherwise ("Fields can be corrected"). For header fields, lines and their
    coding."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if locked.status not in CORRECTABLE:
        raise ValidationError(
            f"{what} while an invoice is in review; this one is {locked.get_status_display()}."
        )
    return locked


def correct_fields(invoice: Invoice, user, changes: dict) -> list[str]:
    """Apply the changed values; returns the names of the fields that really changed.
    ValidationError when the invoice is not in review (lock_for_correction)."""
    with transaction.atomic():
        locked = lock_for_correction(invoice, "Fields can be corrected")
        before = {name: getattr(locked, name) for name in changes}
        changed = [name for name, value in changes.items() if before[name] != value]
        if not changed:
            return []
        for name in changed:
            setattr(locked, name, changes[name])
            locked.confidence[name] = 1.0
            locked.provenance[name] = {"page": None, "bbox": None, "method": "clerk"}
        if any(name in VENDOR_KEYS for name in changed):
            locked.vendor = recognise_vendor(
                vat_id=locked.vendor_vat_id, iban=locked.vendor_iban, name=locked.vendor_name
            ).vendor
        locked._change_reason = "Fields corrected by " + actor_name(user)
        locked.save()
        learned = _learn(locked, changed)
        reason = f"Corrected {', '.join(map(field_label, changed))}"
        chain.record(
            "invoice.fields_corrected",
            actor=actor_name(user),
            invoice_id=locked.pk,
            payload={
                "reason": reason,
                "fields": {name: {"from": before[name], "to": changes[name]} for name in changed},
                "learned": learned,
                "vendor_id": locked.vendor_id,
            },
        )
        # A correction means the vendor's invoices are not read right yet: one step down
        # the trust ladder, at once.
        trust.demote(
            locked.vendor,
            actor=user,
            reason=f"Invoice {locked} needed a correction ({', '.join(changed)})",
            invoice_id=locked.pk,
        )
    invoice.refresh_from_db()
    return changed


def _learn(invoice: Invoice, changed: list[str]) -> list[str]:
    """Teach the vendor's profile where each corrected value stands on this document."""
    if invoice.vendor is None:
        return []
    stored = Document.objects.values_list("words", flat=True).get(pk=invoice.document_id)
    words = [Word(text, page, x0, top, x1, bottom) for text, page, x0, top, x1, bottom in stored]
    profile, _ = VendorProfile.objects.get_or_create(vendor=invoice.vendor)
    learned = []
    for name in changed:
        hint = learn_hint(name, getattr(invoice, name), words)
        if hint:
            profile.hints[name] = {**hint, "learned_from": invoice.pk}
            learned.append(name)
    if learned:
        profile.save()
    return learned
