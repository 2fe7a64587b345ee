import pytest
from django.contrib.auth.models import Group, User

from extraction import parties


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Documents and the ERP outbox go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ERP_OUTBOX_DIR = tmp_path / "outbox"
    # A fresh OCR cache per test: a result cached by an earlier run must not stand in for
    # the engine the test means to exercise.
    # Likewise the default cache (short-lived counts on the screens).
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"default-{tmp_path.name}",
        },
        "ocr": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"ocr-{tmp_path.name}",
        },
    }


@pytest.fixture(autouse=True)
def _own_identity(request, monkeypatch):
    """The company's own identity is read afresh in each test (a process keeps the admin's
    rows for a minute). Tests without the database see the settings alone, as `manage.py
    extract` does before `migrate`."""
    parties.clear_cache()
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if not uses_db:
        monkeypatch.setattr(parties, "admin_identities", tuple)


def _user(username: str, role: str | None) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "test-pass-123")
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def clerk(db):
    return _user("clara", "clerk")


@pytest.fixture
def approver(db):
    return _user("arnold", "approver")


@pytest.fixture
def compliance(db):
    return _user("connie", "compliance")


@pytest.fixture
def outsider(db):
    return _user("oscar", None)


@pytest.fixture
def role_groups(transactional_db):
    """Transactional tests (live server, threads) flush the database afterwards, and with it
    the groups that migration core 0002 created; this runs that migration's code again,
    against the historical models it was written for."""
    import importlib

    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    loader = MigrationExecutor(connection).loader
    state = loader.project_state(("core", "0002_roles"))
    importlib.import_module("core.migrations.0002_roles").create_roles(state.apps, None)
    for app, name, function in (
        ("core", "0011_accept_variance_role", "grant"),
        ("core", "0013_automation_level_role", "grant"),
        ("core", "0016_erp_schedules_and_roles", "create"),
        ("approvals", "0004_default_policy_and_schedule", "create"),
        ("core", "0028_left_out_files_and_admin_role", "grant"),
    ):
        state = loader.project_state((app, name))
        getattr(importlib.import_module(f"{app}.migrations.{name}"), function)(state.apps, None)
