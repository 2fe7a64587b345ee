"""A clerk's request that a vendor be added to the vendor master (issue 19).

An invoice whose vendor is not in the master waits with VENDOR_UNKNOWN; only an admin
(core.add_vendor) adds vendors. A clerk records a request on the invoice, with what the
invoice says of the vendor and a comment; admins find the open requests on the exception
line and on the vendor requests list (core.vendor_views), and the request is closed when
an admin adds or links the invoice's vendor, or when matching again finds the vendor in the
master (added in the admin or by the ERP; matching.services.record, resolved_by empty).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.models.invoices import Invoice
from core.models.masterdata import Vendor


class VendorRequestQuerySet(models.QuerySet):
    def open(self):
        """Requests no admin has acted on yet, oldest first."""
        return self.filter(state=VendorRequest.State.OPEN).order_by("created_at", "pk")


class VendorRequest(models.Model):
    """One request to add the vendor an invoice names; `state` goes open -> done when an
    admin adds the vendor or links the invoice to one already in the master (`vendor`)."""

    class State(models.TextChoices):
        OPEN = "open", "open"
        DONE = "done", "done"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="vendor_requests")
    # What the invoice says of the vendor when the request was made (BT-27, BT-31, BG-5).
    name = models.CharField(max_length=200, blank=True)
    vat_id = models.CharField("VAT id", max_length=32, blank=True)
    iban = models.CharField("IBAN", max_length=34, blank=True)
    comment = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="vendor_requests",
    )
    created_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    vendor = models.ForeignKey(
        Vendor, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="vendor_requests_resolved",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = VendorRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Vendor request for {self.name or 'an unnamed vendor'} (invoice #{self.invoice_id})"
