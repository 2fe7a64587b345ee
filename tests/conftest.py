import pytest
from django.contrib.auth.models import Group, User


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Documents and the ERP outbox go to a fresh folder per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ERP_OUTBOX_DIR = tmp_path / "outbox"


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
