from core import roles as role_checks


def roles(request):
    """What the navigation may offer; the views check again on every request."""
    user = request.user
    return {
        "can_upload": role_checks.can_upload(user),
        "can_approve": role_checks.can_approve(user),
        "can_correct": role_checks.can_correct(user),
        "user_roles": role_checks.roles_of(user),
    }
