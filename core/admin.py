from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import Group, User
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from approvals.chains import reroute_for_rates
from audit import changes
from audit.admin import AuditedAdmin, ReadOnlyAdmin
from core import roles
from core.exchange_rates import rate_key
from core.models import (
    ApiToken,
    Document,
    ExchangeRate,
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
from core.validators import visible_text

# Users and their roles (groups, core.roles) are audited like master data: who may approve
# is as much a control as whom the company pays.
admin.site.unregister(User)
admin.site.unregister(Group)


class UserNamesForm(UserChangeForm):
    """A person's names refuse bidi controls and control characters (core.validators), as
    every other name does; the username's own validator already allows none."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("first_name", "last_name"):
            if name in self.fields:
                self.fields[name].validators.append(visible_text)


@admin.register(User)
class AuditedUserAdmin(AuditedAdmin, UserAdmin):
    audit_kind = "user"
    form = UserNamesForm
    audit_hidden = ("password",)

    def audit_key(self, obj) -> str:
        return obj.get_username()

    def user_change_password(self, request, id, form_url=""):
        """The admin's own page for setting a password saves without save_model: audited
        here, the password as "(hidden)"."""
        user = self.get_object(request, unquote(id))
        before = self._audit_values(user)
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST":
            user.refresh_from_db()
            changed = changes.diff(before, self._audit_values(user))
            if changed:
                self._audit(request, user, changes.UPDATED, changed)
        return response


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdmin, GroupAdmin):
    audit_kind = "role"


@admin.register(Vendor)
class VendorAdmin(AuditedAdmin, SimpleHistoryAdmin):
    """Vendors as the API keeps them; every change (bank details included) is a
    masterdata.vendor_* event, each field from and to. An IBAN changed here is the one
    invoices are compared with: an invoice asking for payment elsewhere is held with
    BANK_DETAILS_CHANGED and needs two approvers (matching.engine)."""

    audit_kind = "vendor"
    list_display = ["name", "vat_id", "iban", "external_id", "currency", "automation_level"]
    list_filter = ["automation_level"]
    search_fields = ["name", "vat_id", "iban", "external_id"]
    # Moved on the trust ladder only from the vendor's page, where the reason is audited.
    readonly_fields = ["automation_level", "automation_changed_at"]

    def audit_key(self, obj) -> str:
        return obj.external_id or f"#{obj.pk}"


@admin.register(OwnIdentity)
class OwnIdentityAdmin(AuditedAdmin, SimpleHistoryAdmin):
    """The company's own names, VAT ids, IBANs and addresses beyond the COMPANY_* settings:
    never taken for a vendor's. Extraction sees a change within a minute."""

    audit_kind = "own_identity"

    list_display = ["kind", "value", "note"]
    list_filter = ["kind"]
    search_fields = ["value", "note"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(AuditedAdmin, SimpleHistoryAdmin):
    """Exchange rates into the company currency, by the day they are valid from: approval
    routing converts an invoice with the rate valid on its invoice date (core.exchange_rates)
    and says which one on the invoice. Imported in bulk with `manage.py import_exchange_rates
    FILE` (the ECB's reference rates, or currency,rate,date). A rate added or changed here
    routes again the invoices waiting for approval in that currency that nobody has decided
    on yet, where the policy now gives another route (approvals.chains.reroute_for_rates)."""

    audit_kind = "exchange_rate"
    list_display = ["currency", "base_currency", "rate", "valid_from", "source"]
    list_filter = ["currency", "base_currency"]
    search_fields = ["currency", "source"]
    date_hierarchy = "valid_from"

    def audit_key(self, obj) -> str:
        return rate_key(obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # A rate re-keyed to another currency no longer converts the old one's invoices.
        before = form.initial.get("currency") if change else None
        self._reroute(request, {obj.currency, before} - {None, ""})

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._reroute(request, [obj.currency])

    def delete_queryset(self, request, queryset):
        currencies = set(queryset.values_list("currency", flat=True))
        super().delete_queryset(request, queryset)
        self._reroute(request, currencies)

    def _reroute(self, request, currencies) -> None:
        moved = reroute_for_rates(currencies, actor=request.user.get_username())
        if moved:
            self.message_user(
                request,
                f"{len(moved)} invoice(s) waiting for approval were routed again with the "
                "new rate.",
            )


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    extra = 0


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(AuditedAdmin, SimpleHistoryAdmin):
    audit_kind = "purchase_order"
    audit_lines = {"lines": lambda line: line.line_no}
    list_display = ["number", "vendor", "currency", "order_date", "status"]
    list_filter = ["status"]
    search_fields = ["number", "vendor__name"]
    inlines = [PurchaseOrderLineInline]


class GoodsReceiptLineInline(admin.TabularInline):
    model = GoodsReceiptLine
    extra = 0


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(AuditedAdmin, SimpleHistoryAdmin):
    audit_kind = "receipt"
    # Keyed by the PO line it receives, as the API names a receipt's lines.
    audit_lines = {"lines": lambda line: line.po_line.line_no}
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
class MailboxAdmin(AuditedAdmin, SimpleHistoryAdmin):
    audit_kind = "mailbox"
    audit_hidden = ("password",)
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
