"""Invoices and their lifecycle.

Every status change goes through `Invoice.transition()`: it runs in a transaction, locks
the row, checks the move against TRANSITIONS and writes exactly one audit event saying who
or what moved it, why, and with which inputs. Nothing else assigns `status`.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.utils import timezone
from simple_history.models import HistoricalRecords

from audit import chain
from core.document_types import DOCUMENT_KINDS
from core.identifiers import invoice_number_key
from core.models.documents import Document
from core.models.masterdata import PurchaseOrder, Vendor
from core.money import MONEY, QUANTITY, RATE, UNIT_PRICE, currency_field
from core.validators import visible_text

# Sent after a transition commits: invoice_id, source and target statuses.
status_changed = Signal()


class Status(models.TextChoices):
    RECEIVED = "received"
    EXTRACTED = "extracted"
    MATCHED = "matched"
    NEEDS_REVIEW = "needs_review", "needs review"
    PENDING_APPROVAL = "pending_approval", "pending approval"
    APPROVED = "approved"
    POSTED = "posted"
    PAID = "paid"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


# The lifecycle of DESIGN.md. Anything not listed here is illegal.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.EXTRACTED, Status.NEEDS_REVIEW}),
    Status.EXTRACTED: frozenset({Status.MATCHED, Status.NEEDS_REVIEW}),
    Status.MATCHED: frozenset({Status.APPROVED, Status.PENDING_APPROVAL, Status.NEEDS_REVIEW}),
    # Back to extracted: a clerk corrected fields and the invoice is matched again.
    # Back to received: an admin reprocesses a document that could not be read.
    Status.NEEDS_REVIEW: frozenset(
        {
            Status.RECEIVED,
            Status.EXTRACTED,
            Status.PENDING_APPROVAL,
            Status.APPROVED,
            Status.REJECTED,
            Status.DUPLICATE,
        }
    ),
    Status.PENDING_APPROVAL: frozenset({Status.APPROVED, Status.REJECTED, Status.NEEDS_REVIEW}),
    Status.APPROVED: frozenset({Status.POSTED}),
    Status.POSTED: frozenset({Status.PAID}),
}
TERMINAL = frozenset({Status.PAID, Status.REJECTED, Status.DUPLICATE})
NEEDS_A_HUMAN = frozenset({Status.NEEDS_REVIEW, Status.PENDING_APPROVAL})


class IllegalTransition(Exception):
    def __init__(self, invoice_id, current, target):
        super().__init__(f"Invoice {invoice_id} cannot go from {current} to {target}.")
        self.current = current
        self.target = target


def actor_name(actor) -> str:
    """A user's username, or a system component's name as given ("system:pipeline")."""
    return actor if isinstance(actor, str) else actor.get_username()


class InvoiceQuerySet(models.QuerySet):
    def needing_a_human(self):
        return self.filter(status__in=NEEDS_A_HUMAN)

    def claim(self, pk: int, status: str, worker: str) -> bool:
        """Compare-and-set: take the invoice for `worker` if it is still in `status` and
        nobody holds a live claim. A crashed worker's claim expires after the lease.

        Taking over a claim that expired instead of being released (`claimed_until` still
        set: `release` clears it) adds one to `crashed_runs`, in the same UPDATE: the run
        before died holding the invoice. The extraction stage stops reading a document
        once that count reaches MAX_CRASHED_RUNS (extraction.services)."""
        now = timezone.now()
        return (
            self.filter(pk=pk, status=status)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .update(
                claimed_by=worker,
                claimed_until=now + timedelta(seconds=settings.CLAIM_LEASE_SECONDS),
                crashed_runs=Case(
                    When(claimed_until__isnull=False, then=F("crashed_runs") + 1),
                    default=F("crashed_runs"),
                    output_field=models.PositiveSmallIntegerField(),
                ),
            )
            == 1
        )

    def renew(self, pk: int, worker: str) -> bool:
        """Extend `worker`'s claim by another CLAIM_LEASE_SECONDS from now (the heartbeat of
        a stage still running, core.pipeline); False when the claim is no longer its own."""
        until = timezone.now() + timedelta(seconds=settings.CLAIM_LEASE_SECONDS)
        return self.filter(pk=pk, claimed_by=worker).update(claimed_until=until) == 1

    def preceding(self, invoice: "Invoice") -> "InvoiceQuerySet":
        """The vendor's other invoices under the number `invoice` names as the one it
        credits or corrects (BT-25), compared as duplicates are (the indexed normalised
        number); none for an invoice without a vendor or such a number."""
        key = invoice_number_key(invoice.preceding_invoice_number)
        if not key or invoice.vendor_id is None:
            return self.none()
        return self.filter(vendor_id=invoice.vendor_id, normalised_number=key).exclude(
            pk=invoice.pk
        )

    def release(self, pk: int, worker: str) -> None:
        self.filter(pk=pk, claimed_by=worker).update(claimed_by="", claimed_until=None)


class Invoice(models.Model):
    Status = Status

    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="invoice")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    # The header fields of the `extract` contract, as read (and later corrected).
    format = models.CharField(max_length=32, blank=True)
    document_type = models.CharField(
        max_length=16,
        choices=[("invoice", "invoice"), ("credit_note", "credit note")],
        default="invoice",
    )
    # What the paper is: an invoice, or a till receipt (a non-PO expense already paid;
    # core.document_types.Kind.RECEIPT, read by extraction.receipts).
    document_kind = models.CharField(max_length=16, choices=DOCUMENT_KINDS, default="invoice")
    # Refused with bidi controls or control characters where a clerk types it (the fields
    # form); as read from a document it is kept as found, for the clerk to see.
    vendor_name = models.CharField(max_length=200, blank=True, validators=[visible_text])
    vendor_vat_id = models.CharField("vendor VAT id", max_length=32, blank=True)
    vendor_iban = models.CharField("vendor IBAN", max_length=34, blank=True)
    invoice_number = models.CharField(max_length=64, blank=True, db_index=True)
    invoice_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    currency = currency_field(blank=True)
    net_amount = models.DecimalField(**MONEY, null=True, blank=True)
    tax_amount = models.DecimalField(**MONEY, null=True, blank=True)
    total_amount = models.DecimalField(**MONEY, null=True, blank=True)
    po_number = models.CharField("PO number", max_length=64, blank=True)
    # The invoice number as duplicates are compared (core.identifiers.invoice_number_key):
    # set on every save, indexed with the vendor so the check is a lookup, not a scan.
    normalised_number = models.CharField(max_length=64, blank=True, editable=False)
    # The rest of the EN 16931 model, where the document states it (e-invoices; None or ""
    # where it does not). BT-3 as stated; `document_type` is its direction.
    type_code = models.CharField("type code (BT-3)", max_length=8, blank=True)
    line_total_amount = models.DecimalField("sum of line net amounts (BT-106)", **MONEY,
                                            null=True, blank=True)  # fmt: skip
    allowance_total_amount = models.DecimalField("sum of allowances (BT-107)", **MONEY,
                                                 null=True, blank=True)  # fmt: skip
    charge_total_amount = models.DecimalField("sum of charges (BT-108)", **MONEY, null=True,
                                              blank=True)  # fmt: skip
    prepaid_amount = models.DecimalField("paid amount (BT-113)", **MONEY, null=True, blank=True)
    rounding_amount = models.DecimalField("rounding amount (BT-114)", **MONEY, null=True,
                                          blank=True)  # fmt: skip
    amount_due = models.DecimalField("amount due (BT-115)", **MONEY, null=True, blank=True)
    # XRechnung extension: Σ third party payments (BT-DEX-002), added to the amount due.
    third_party_payment_amount = models.DecimalField(
        "third party payments (BT-DEX-002)", **MONEY, null=True, blank=True
    )
    period_start = models.DateField("invoicing period start (BT-73)", null=True, blank=True)
    period_end = models.DateField("invoicing period end (BT-74)", null=True, blank=True)
    preceding_invoice_number = models.CharField("preceding invoice (BT-25)", max_length=64,
                                                blank=True)  # fmt: skip
    preceding_invoice_date = models.DateField("preceding invoice date (BT-26)", null=True,
                                              blank=True)  # fmt: skip
    # What extraction found a person must be told about how the document was read
    # (ExtractionResult.problems: exception dicts, EINVOICE_UNUSABLE); matching raises them.
    reading_problems = models.JSONField(default=list, blank=True)
    confidence = models.JSONField(default=dict, blank=True)
    provenance = models.JSONField(default=dict, blank=True)
    erp_reference = models.CharField(
        "ERP reference", max_length=200, blank=True, help_text="Where posting put the invoice"
    )

    # The work queue: who is on it, and whether it is held (waiting on the vendor, say).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_invoices",
    )
    hold_reason = models.CharField(max_length=300, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Operational, not business history: which worker holds the invoice and until when.
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # Runs that died holding the claim (the process killed, not an exception: its lease ran
    # out unreleased), counted by `claim`, since intake or the last reprocess.
    crashed_runs = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords(
        excluded_fields=["claimed_by", "claimed_until", "crashed_runs", "updated_at"]
    )
    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("approve_invoice", "Can approve or reject invoices"),
            ("upload_document", "Can upload invoice documents"),
            ("accept_variance", "Can accept a variance with a reason"),
        ]
        # The work queue pages through these by keyset: by (status, id), and by amount (no
        # amount sorts as zero) over the invoices waiting for a person only, so the largest
        # or smallest 50 are read off the index instead of sorting 20,000 rows.
        indexes = [
            models.Index(fields=["status", "-id"], name="invoice_queue_by_age"),
            models.Index(
                Coalesce("total_amount", Value(Decimal(0))),
                F("id"),
                name="invoice_queue_by_amount",
                condition=Q(status__in=sorted(NEEDS_A_HUMAN)),
            ),
            # The duplicate checks (matching.duplicates): same vendor and number; same
            # vendor and total.
            models.Index(fields=["vendor", "normalised_number"], name="invoice_dup_by_number"),
            models.Index(fields=["vendor", "total_amount"], name="invoice_dup_by_total"),
        ]

    def __str__(self):
        return self.invoice_number or f"Invoice #{self.pk}"

    def save(self, *args, **kwargs):
        """Saves, keeping `normalised_number` the key of `invoice_number` (also when
        `update_fields` names the number)."""
        self.normalised_number = invoice_number_key(self.invoice_number)
        fields = kwargs.get("update_fields")
        if fields is not None and "invoice_number" in fields:
            kwargs["update_fields"] = {*fields, "normalised_number"}
        super().save(*args, **kwargs)

    @property
    def is_terminal(self):
        return self.status in TERMINAL

    @property
    def version(self) -> int:
        """Changes whenever the invoice is saved: its latest history row."""
        return (
            self.history.order_by("-history_id").values_list("history_id", flat=True).first() or 0
        )

    def open_exceptions(self):
        return self.exceptions.filter(resolved_at__isnull=True)

    def transition(self, target: str, *, actor, reason: str, inputs=None, **changes) -> None:
        """Move to `target` if the lifecycle allows it from the current state.

        `changes` are field values saved in the same transaction; `inputs` are the numbers and
        rules that decided the move, kept in the audit event.
        """
        with transaction.atomic():
            locked = Invoice.objects.select_for_update().get(pk=self.pk)
            if target not in TRANSITIONS.get(locked.status, ()):
                raise IllegalTransition(self.pk, locked.status, target)
            source = locked.status
            locked.status = target
            for name, value in changes.items():
                setattr(locked, name, value)
            locked._change_reason = reason[:100]  # the history column is short; audit has it all
            locked.save()
            chain.record(
                f"invoice.{target}",
                actor=actor_name(actor),
                invoice_id=self.pk,
                payload={"from": source, "to": target, "reason": reason, "inputs": inputs or {}},
            )
            if target == Status.APPROVED:
                # The posting is written with the approval, in this transaction: an approved
                # invoice is never without its way to the ERP (core.erp.posting).
                from core.erp.posting import write_posting

                write_posting(locked)
            # Other apps react once the move is committed (approvers are mailed, ...).
            transaction.on_commit(
                lambda: status_changed.send(
                    Invoice, invoice_id=self.pk, source=source, target=target
                )
            )
        self.refresh_from_db()

    def send_to_review(
        self, exceptions: list[dict], *, actor, reason: str, inputs=None, **changes
    ) -> None:
        """Needs a person: record each exception (code, sentence, numbers) with the move."""
        with transaction.atomic():
            self.transition(
                Status.NEEDS_REVIEW,
                actor=actor,
                reason=reason,
                inputs={**(inputs or {}), "exceptions": exceptions},
                **changes,
            )
            InvoiceException.objects.bulk_create(
                InvoiceException(
                    invoice=self,
                    code=item["code"],
                    message=item["message"],
                    details=item.get("details", {}),
                )
                for item in exceptions
            )


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    item_code = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=500, blank=True)
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit_price = models.DecimalField(**UNIT_PRICE, null=True, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True)
    tax_rate = models.DecimalField(**RATE, null=True, blank=True)
    tax_category = models.CharField("VAT category (BT-151)", max_length=4, blank=True)
    # Sub-lines (extraction.types.LineItem): the line's id (BT-126), its parent's, its
    # status (DETAIL, GROUP, INFORMATION or ""), and whether the invoice's sums count it.
    line_id = models.CharField("line id (BT-126)", max_length=64, blank=True)
    parent_line_id = models.CharField(max_length=64, blank=True)
    line_status = models.CharField(max_length=16, blank=True)
    counted = models.BooleanField(default=True)
    period_start = models.DateField("line period start (BT-134)", null=True, blank=True)
    period_end = models.DateField("line period end (BT-135)", null=True, blank=True)
    # Coded by a clerk on an invoice without a purchase order (else the PO line's).
    cost_center = models.CharField(max_length=32, blank=True)
    gl_account = models.CharField("GL account", max_length=32, blank=True)
    # The ERP's tax code the line is booked with (e.g. "V19"), coded with the GL account.
    tax_code = models.CharField(max_length=16, blank=True)
    # The purchase order line this line bills, set by matching; what earlier invoices
    # billed of a PO line is the sum over these.
    po_line = models.ForeignKey(
        "core.PurchaseOrderLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoice_lines",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["invoice", "position"]

    def __str__(self):
        return f"{self.position}. {self.description}"


class InvoiceAllowanceCharge(models.Model):
    """An allowance or charge as the document states it (extraction.types.AllowanceCharge):
    on the document (BG-20/BG-21, `line` empty) or on one line (BG-27/BG-28)."""

    invoice = models.ForeignKey(
        Invoice, on_delete=models.CASCADE, related_name="allowances_charges"
    )
    line = models.ForeignKey(
        InvoiceLine,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="allowances_charges",
    )
    position = models.PositiveIntegerField()
    charge = models.BooleanField(help_text="True for a charge, False for an allowance")
    amount = models.DecimalField(**MONEY)
    base_amount = models.DecimalField(**MONEY, null=True, blank=True)
    percent = models.DecimalField(**RATE, null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    reason_code = models.CharField(max_length=8, blank=True)
    tax_category = models.CharField("VAT category", max_length=4, blank=True)
    tax_rate = models.DecimalField(**RATE, null=True, blank=True)

    class Meta:
        ordering = ["invoice", "line", "position"]

    def __str__(self):
        kind = "Charge" if self.charge else "Allowance"
        return f"{kind} {self.amount} {self.reason}".strip()


class InvoiceTaxSubtotal(models.Model):
    """One row of the VAT breakdown as the document states it (EN 16931 BG-23)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="tax_breakdown")
    category = models.CharField("VAT category (BT-118)", max_length=4)
    rate = models.DecimalField("VAT rate (BT-119)", **RATE, null=True, blank=True)
    taxable_amount = models.DecimalField("taxable amount (BT-116)", **MONEY, null=True,
                                         blank=True)  # fmt: skip
    tax_amount = models.DecimalField("VAT amount (BT-117)", **MONEY, null=True, blank=True)
    exemption_reason = models.CharField(max_length=300, blank=True)
    exemption_reason_code = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["invoice", "id"]

    def __str__(self):
        return f"{self.category} {self.rate}%: {self.tax_amount} on {self.taxable_amount}"


class InvoiceException(models.Model):
    """Why an invoice needs a person: one typed finding with a sentence and its numbers.

    (An AP "exception", not a Python one.) Codes are a fixed vocabulary owned by the stage
    that raises them: UNREADABLE from extraction, PO_NOT_FOUND, PRICE_VARIANCE, ... from
    matching.
    """

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="exceptions")
    code = models.CharField(max_length=32, db_index=True)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["invoice", "created_at", "id"]
        indexes = [models.Index(fields=["code", "resolved_at"], name="exception_open_by_code")]

    def __str__(self):
        return f"{self.code}: {self.message}"
