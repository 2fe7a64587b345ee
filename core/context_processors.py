from core import roles as role_checks


def roles(request):
    """What the navigation may offer; the views check again on every request."""
    user = request.user
    return {
        "can_upload": role_checks.can_upload(user),
        "can_approve": role_checks.can_approve(user),
        "can_correct": role_checks.can_correct(user),
        "user_roles": role_checks.roles_of(user),
        "intake_attention": _intake_attention(user),
        "audit_alert": _audit_alert(user),
    }


def _audit_alert(user):
    """The last verification of the audit chain, when it failed; for those who read the
    log (compliance, admins). Cached a minute: it changes once a night."""
    if not user.has_perm("audit.view_auditevent"):
        return None
    from django.core.cache import cache

    from audit.models import ChainCheck

    def latest():
        check = ChainCheck.objects.first()
        return check if check is not None and not check.ok else False

    return cache.get_or_set("audit:alert", latest, 60) or None


def _intake_attention(user) -> int:
    if not role_checks.can_view_invoices(user):
        return 0
    from django.core.cache import cache

    from core.intake_views import needs_attention

    # On every page, for everyone: a count that may lag half a minute is fine.
    return cache.get_or_set("intake:attention", needs_attention, 30)
