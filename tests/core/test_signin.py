"""Sign-in throttling (core.signin, django-axes) through the real sign-in views: the
sign-in page and the admin's."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit import chain
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

RIGHT = "test-pass-123"


def _sign_in(client, url: str, username: str, password: str):
    return client.post(url, {"username": username, "password": password})


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_after_n_wrong_passwords_the_right_one_is_refused_and_the_lockout_audited(
    client, clerk, settings, url
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, url, "clara", "wrong")

    response = _sign_in(client, url, "clara", RIGHT)

    assert response.status_code == 429
    assert "Too many wrong passwords" in response.content.decode()
    assert not _signed_in(client)
    event = AuditEvent.objects.get(action="signin.locked_out")
    assert event.payload["username"] == "clara"
    assert event.payload["failures"] == settings.AXES_FAILURE_LIMIT
    assert event.payload["path"] == url
    assert chain.verify().ok


def test_attempts_while_locked_out_add_no_audit_events(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT + 10):
        _sign_in(client, reverse("login"), "clara", "wrong")
    assert AuditEvent.objects.filter(action="signin.locked_out").count() == 1


def test_the_lockout_ends_after_the_cool_off(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, reverse("login"), "clara", "wrong")
    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    with time_machine.travel(later):
        response = _sign_in(client, reverse("login"), "clara", RIGHT)
    assert response.status_code == 302
    assert _signed_in(client)


def test_a_success_before_the_limit_clears_the_count(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, reverse("login"), "clara", "wrong")
    assert _sign_in(client, reverse("login"), "clara", RIGHT).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, reverse("login"), "clara", "wrong")
    assert _sign_in(client, reverse("login"), "clara", RIGHT).status_code == 302
    assert not AuditEvent.objects.filter(action="signin.locked_out").exists()


def test_the_test_clients_login_still_signs_in(client, clerk):
    """authenticate() without a request (client.login) is not a sign-in form: not throttled,
    and not an error."""
    assert client.login(username="clara", password=RIGHT)
    assert not client.login(username="clara", password="wrong")
