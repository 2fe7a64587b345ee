from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.models import (
    Document,
    GoodsReceipt,
    GoodsReceiptLine,
    Invoice,
    InvoiceLine,
    PurchaseOrder,
    PurchaseOrderLine,
    Vendor,
)


@admin.register(Vendor)
class VendorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "vat_id", "iban", "external_id", "currency"]
    search_fields = ["name", "vat_id", "iban", "external_id"]


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
class InvoiceAdmin(SimpleHistoryAdmin):
    """Read-only here: status changes go through the lifecycle, corrections through the
    invoice screen, so that each one is audited."""

    list_display = ["id", "invoice_number", "vendor", "total_amount", "currency", "status"]
    list_filter = ["status", "format"]
    search_fields = ["invoice_number", "vendor_name", "po_number"]
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
