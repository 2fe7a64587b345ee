from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from approvals.models import Approval, ApprovalRoute, ApprovalRule, Delegation, ReportingLine
from audit.admin import AuditedAdmin, ReadOnlyAdmin
from core import roles


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(AuditedAdmin, SimpleHistoryAdmin):
    """The approval policy as data: rules in priority order; every change raises the
    version, kept in the history and in the audit chain, and each route records the
    version it used."""

    audit_kind = "approval_rule"

    list_display = [
        "name", "priority", "active", "is_default", "min_amount", "max_amount", "vendor",
        "chain_in_words", "version", "updated_at",
    ]  # fmt: skip
    list_filter = ["active", "is_default"]
    search_fields = ["name", "vendor__name", "cost_centers", "departments", "categories"]

    @admin.display(description="chain")
    def chain_in_words(self, rule):
        try:
            return "; then ".join(level.describe() for level in rule.facts().levels)
        except ValueError as exc:
            return f"invalid: {exc}"


class DecisionInline(admin.TabularInline):
    model = Approval
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "level", "decision", "user", "on_behalf_of", "capacity", "rule_version", "comment",
        "created_at",
    ]  # fmt: skip

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRoute)
class ApprovalRouteAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Each invoice's approval route as it happened: read-only."""

    list_display = ["invoice", "kind", "rule_name", "rule_version", "level", "state", "created_at"]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in ApprovalRoute._meta.fields]
    inlines = [DecisionInline]


@admin.register(Delegation)
class DelegationAdmin(AuditedAdmin, SimpleHistoryAdmin):
    """Out-of-office delegations. As on the Away screen, only approvers are offered (and
    the model's clean() refuses anyone else, whatever a form offered)."""

    list_display = ["principal", "delegate", "starts_on", "ends_on", "reason"]
    list_filter = ["starts_on"]
    search_fields = ["principal__username", "delegate__username"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in ("principal", "delegate"):
            kwargs["queryset"] = roles.approvers()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ReportingLine)
class ReportingLineAdmin(AuditedAdmin, SimpleHistoryAdmin):
    """Whom each person reports to: where their overdue approvals escalate."""

    audit_kind = "reporting_line"

    list_display = ["user", "manager"]
    search_fields = ["user__username", "manager__username"]
