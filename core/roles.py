"""Roles are Django groups with permissions; every screen asks these questions, nothing else.

The groups and their permissions are created by a migration (core 0002), so a fresh
database has them and an admin can still adjust them in the Django admin.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db.models import Q, QuerySet

CLERK, APPROVER, COMPLIANCE, ADMIN = "clerk", "approver", "compliance", "admin"
ROLES = (CLERK, APPROVER, COMPLIANCE, ADMIN)


def can_view_invoices(user: User | AnonymousUser) -> bool:
    return user.has_perm("core.view_invoice")


def can_upload(user: User | AnonymousUser) -> bool:
    return user.has_perm("core.upload_document")


def can_correct(user: User | AnonymousUser) -> bool:
    return user.has_perm("core.change_invoice")


def can_approve(user: User | AnonymousUser) -> bool:
    return user.has_perm("core.approve_invoice")


def approvers() -> QuerySet:
    """The active users who hold core.approve_invoice (through a group, given to them, or
    as superusers): the only people a delegation or an escalation may hand a decision to
    (issue 16)."""
    return users_holding("approve_invoice")


def can_accept_variance(user: User | AnonymousUser) -> bool:
    return user.has_perm("core.accept_variance")


def can_work_queue(user: User | AnonymousUser) -> bool:
    """Clerks (and admins) work exceptions: take, assign, hold, send for approval."""
    return user.has_perm("core.change_invoice")


def roles_of(user: User | AnonymousUser) -> list[str]:
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return [ADMIN]
    return sorted(name for name in user.groups.values_list("name", flat=True) if name in ROLES)


def can_add_vendor(user: User | AnonymousUser) -> bool:
    """Admins add vendors to the vendor master (from an invoice, the admin or the API)."""
    return user.has_perm("core.add_vendor")


def can_link_vendor(user: User | AnonymousUser) -> bool:
    """Who may say which vendor of the master an invoice is from: a decision about who is
    paid, so it takes core.change_vendor besides working the queue."""
    return user.has_perm("core.change_vendor") and can_work_queue(user)


def vendor_admins() -> QuerySet:
    """The active users who may add vendors (core.add_vendor through a group, given to
    them, or as superusers): the people a clerk's vendor request is sent to."""
    return users_holding("add_vendor")


def users_holding(codename: str) -> QuerySet:
    """The active users who hold the core permission `codename` (through a group, given to
    them, or as superusers), by username."""
    permission = Permission.objects.filter(content_type__app_label="core", codename=codename)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(user_permissions__in=permission)
            | Q(groups__permissions__in=permission)
        )
        .distinct()
        .order_by("username")
    )
