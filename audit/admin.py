from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import transaction

from audit import changes
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


class AuditedAdmin:
    """A ModelAdmin mixin: every add, change and delete made in the Django admin is a change
    of master data in the hash chain (audit.changes.record_change), each field from and to,
    with the lines edited inline on the same page in the same event.

    `audit_kind` names the record as the API does ("vendor", "purchase_order"); `audit_lines`
    maps an inline's related name to the key of one of its rows ({"lines": line number});
    `audit_hidden` are fields written as changed without their values (a password hash).
    The values before are read from the database in save_model, the values after once
    save_related has saved the inlines and many-to-many fields."""

    audit_kind = ""
    audit_lines: dict = {}
    audit_hidden: tuple = ()

    def audit_key(self, obj) -> str:
        """The record's key in the events: its natural key where it has one."""
        return str(obj)

    def _audit_values(self, obj) -> dict:
        values = changes.values_of(obj, hidden=self.audit_hidden)
        for related_name, key_of in self.audit_lines.items():
            if obj is not None and obj.pk is not None:
                for row in getattr(obj, related_name).all():
                    values[f"{related_name}.{key_of(row)}"] = changes.values_of(row)
        return values

    def _audit(self, request, obj, result: str, changed: dict) -> None:
        changes.record_change(
            self.audit_kind or obj._meta.model_name,
            self.audit_key(obj),
            result,
            changed,
            actor=request.user.get_username(),
            source="admin",
            id=obj.pk,
        )

    def save_model(self, request, obj, form, change):
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        form._audit_before = self._audit_values(stored)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        after = self._audit_values(form.instance)
        changed = changes.diff(getattr(form, "_audit_before", {}), after)
        self._audit(request, form.instance, changes.UPDATED if change else changes.CREATED, changed)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """simple_history's "revert to this version" saves through save_model but never
        calls save_related, where the event is written: the change is recorded here."""
        stored = self.model._default_manager.filter(pk=unquote(object_id)).first()
        before = self._audit_values(stored)
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if request.method == "POST" and stored is not None:
            stored.refresh_from_db()
            changed = changes.diff(before, self._audit_values(stored))
            if changed:
                self._audit(request, stored, changes.UPDATED, changed)
        return response

    def delete_model(self, request, obj):
        with transaction.atomic():
            before, pk = self._audit_values(obj), obj.pk
            super().delete_model(request, obj)
            obj.pk = pk
            self._audit(request, obj, changes.DELETED, changes.diff(before, {}))

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "created_at", "actor", "action", "invoice_id"]
    list_filter = ["action"]
    search_fields = ["actor", "action", "invoice_id"]
