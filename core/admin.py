from django.contrib import admin, messages
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from audit.admin import ReadOnlyAdmin
from core import roles
from core.models import (
    ApiToken,
    Document,
    GoodsReceipt,
    GoodsReceiptLine,
    Invoice,
    InvoiceLine,
    Mailbox,
    MailMessage,
    OutboxMessage,
    OwnIdentity,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)


@admin.register(Vendor)
class VendorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "vat_id", "iban", "external_id", "currency", "automation_level"]
    list_filter = ["automation_level"]
    search_fields = ["name", "vat_id", "iban", "external_id"]
    # Moved on the trust ladder only from the vendor's page, where the reason is audited.
    readonly_fields = ["automation_level", "automation_changed_at"]


@admin.register(OwnIdentity)
class OwnIdentityAdmin(SimpleHistoryAdmin):
    """The company's own names, VAT ids, IBANs and addresses beyond the COMPANY_* settings:
    never taken for a vendor's. Extraction sees a change within a minute."""

    list_display = ["kind", "value", "note"]
    list_filter = ["kind"]
    search_fields = ["value", "note"]


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(SimpleHistoryAdmin):
    list_display = ["number", "vendor", "currency", "order_date", "status"]
    list_filter = ["status"]
    search_fields = ["number", "vendor__name"]
    inlines = [PurchaseOrderLineInline]


class GoodsReceiptLineInline(admin.TabularInline):
    model = GoodsReceiptLine
    extra = 0


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(SimpleHistoryAdmin):
    list_display = ["number", "purchase_order", "received_on"]
    search_fields = ["number", "purchase_order__number"]
    inlines = [GoodsReceiptLineInline]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read-only here: status changes go through the lifecycle, corrections through the
    invoice screen, so that each one is audited."""

    list_display = ["id", "invoice_number", "vendor", "total_amount", "currency", "status"]
    list_filter = ["status", "format", "exceptions__code"]
    search_fields = ["invoice_number", "vendor_name", "po_number"]
    inlines = [InvoiceLineInline]
    actions = ["reprocess"]

    @admin.action(
        description="Reprocess unreadable documents (after raising a limit or a fix)",
        permissions=["reprocess"],
    )
    def reprocess(self, request, queryset):
        from core.tasks import enqueue_invoice
        from extraction.services import quarantined, reprocess

        done = 0
        for invoice in quarantined(queryset):
            reprocess(invoice, actor=request.user)
            enqueue_invoice(invoice.pk)
            done += 1
        skipped = queryset.count() - done
        self.message_user(request, f"{done} invoice(s) queued to be read again.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} not waiting on an unreadable document were left as they are.",
                messages.WARNING,
            )

    def has_reprocess_permission(self, request):
        return roles.ADMIN in roles.roles_of(request.user)


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "channel", "content_type", "size", "received_at"]
    list_filter = ["channel", "content_type"]
    search_fields = ["original_name", "sha256"]
    exclude = ["words"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Mailbox)
class MailboxAdmin(SimpleHistoryAdmin):
    list_display = ["name", "username", "host", "folder", "enabled", "last_polled_at", "last_error"]
    readonly_fields = ["last_polled_at", "last_error"]


@admin.register(MailMessage)
class MailMessageAdmin(admin.ModelAdmin):
    """What was taken from the AP mailboxes; "needs attention" is the list a person works."""

    list_display = ["taken_at", "mailbox", "sender", "subject", "outcome", "reason", "handled_at"]
    list_filter = ["outcome", ("handled_at", admin.EmptyFieldListFilter), "mailbox"]
    search_fields = ["sender", "subject", "key"]
    readonly_fields = [f.name for f in MailMessage._meta.fields] + ["documents"]
    actions = ["mark_handled"]

    @admin.action(description="Mark handled")
    def mark_handled(self, request, queryset):
        count = queryset.filter(handled_at__isnull=True).update(
            handled_at=timezone.now(), handled_by=request.user
        )
        self.message_user(request, f"{count} message(s) marked handled.")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by `manage.py create_api_token NAME` (the secret is shown once)."""

    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["name", "prefix", "key_hash", "scopes", "created_at", "last_used_at"]
    actions = ["revoke"]

    @admin.action(description="Revoke")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"{count} token(s) revoked.")

    def has_add_permission(self, request):
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Postings to the ERP as they happened; retried and cancelled on the Outbox screen."""

    list_display = ["idempotency_key", "invoice", "connector", "state", "attempts",
                    "document_number", "created_at", "delivered_at"]  # fmt: skip
    list_filter = ["state", "connector"]
    search_fields = ["idempotency_key", "document_number"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
