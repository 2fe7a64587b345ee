from django.contrib import admin

from audit.models import AuditEvent


class ReadOnlyAdmin:
    """Records that change only through their own code paths (each audited): the admin
    shows them and never adds, edits or deletes one."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "created_at", "actor", "action", "invoice_id"]
    list_filter = ["action"]
    search_fields = ["actor", "action", "invoice_id"]
