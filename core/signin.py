"""Sign-in throttling, by django-axes: after SIGNIN_FAILURE_LIMIT wrong passwords for one
username, that username cannot sign in (not even with the right password) for
SIGNIN_LOCKOUT_MINUTES, on the sign-in page and the admin's alike; each lockout is an
audit event `signin.locked_out` in the hash chain.

Axes counts the failures Django's `authenticate()` reports for a request (both sign-in
forms pass theirs); `SignInThrottle` stands first in AUTHENTICATION_BACKENDS and refuses a
locked-out username before any password is checked. An admin lifts a lockout early in the
admin (Axes: Access attempts) or with `manage.py axes_reset_username NAME`.
"""

from axes.backends import AxesStandaloneBackend
from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver

from audit import chain


class SignInThrottle(AxesStandaloneBackend):
    """Axes' check, for sign-ins that come with a request. `authenticate()` without one
    (the test client's `login()`, a shell) comes from no sign-in form: there is nothing
    to throttle, and it is left to the next backend instead of being an error."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


@receiver(user_locked_out, dispatch_uid="core.signin.audit_lockout")
def audit_lockout(sender, request, username: str, ip_address: str, **kwargs) -> None:
    """One audit event when a username is locked out: at the failure that reaches the limit.
    Axes sends the signal again for every attempt while it is locked (each counted as one
    more failure, which extends the lockout); those are refused without a password check
    and not logged here, so hammering a locked account cannot flood the chain. (An audit
    record of the library's event, not a step of the invoice workflow: a signal is the only
    hook axes gives for it.)"""
    failures = getattr(request, "axes_failures_since_start", None)
    if failures != settings.AXES_FAILURE_LIMIT:  # refused while already locked out
        return
    chain.record(
        "signin.locked_out",
        actor="system:signin",
        payload={
            "username": username or "",
            "ip_address": ip_address or "",
            "path": request.path,
            "failures": failures,
            "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
    )
