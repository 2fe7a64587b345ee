from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from audit.admin import AuditedAdmin, ReadOnlyAdmin
from matching.models import MatchRun, ToleranceRule


@admin.register(ToleranceRule)
class ToleranceRuleAdmin(AuditedAdmin, SimpleHistoryAdmin):
    """Tolerances as data: every change raises the version and is kept in the history, and
    is a masterdata.tolerance_rule_* event in the audit chain."""

    audit_kind = "tolerance_rule"

    list_display = [
        "__str__",
        "vendor",
        "category",
        "price_percent",
        "price_absolute",
        "quantity_percent",
        "total_absolute",
        "version",
        "updated_at",
    ]
    list_filter = ["category"]
    search_fields = ["vendor__name", "category"]


@admin.register(MatchRun)
class MatchRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Each run of the engine over an invoice, as it was: read-only."""

    list_display = ["invoice", "created_at", "purchase_orders", "found_by", "clean"]
    list_filter = ["clean", "found_by"]
    readonly_fields = [f.name for f in MatchRun._meta.fields]
