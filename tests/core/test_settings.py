import sys

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from core.checks import check_production_settings
from core.env import env_bool, env_decimal, env_int, env_str


def test_env_helpers_reject_bad_values_loudly(monkeypatch):
    monkeypatch.setenv("X_BOOL", "maybe")
    monkeypatch.setenv("X_INT", "ten")
    monkeypatch.setenv("X_DEC", "1,5")
    with pytest.raises(ImproperlyConfigured, match="X_BOOL"):
        env_bool("X_BOOL", False)
    with pytest.raises(ImproperlyConfigured, match="X_INT"):
        env_int("X_INT", 1)
    with pytest.raises(ImproperlyConfigured, match="X_DEC"):
        env_decimal("X_DEC", "1")


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-the-file\n")
    monkeypatch.setenv("SOME_SECRET_FILE", str(secret))
    assert env_str("SOME_SECRET", "default") == "from-the-file"
    monkeypatch.setenv("SOME_SECRET_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="SOME_SECRET_FILE"):
        env_str("SOME_SECRET")


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_production_refuses_development_defaults(settings, monkeypatch):
    settings.DEVELOPMENT = False
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    settings.ALLOWED_HOSTS = ["*"]
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}

    monkeypatch.setattr(sys, "argv", ["manage.py", "qcluster"])
    found = check_production_settings(None)

    assert {error.id for error in found} == {
        "ledgerline.E008",
        "ledgerline.E001",
        "ledgerline.E002",
        "ledgerline.E003",
    }
    assert all(error.level == checks.ERROR for error in found)


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
@pytest.mark.parametrize("command", ["migrate", "ingest", "check"])
def test_a_one_shot_command_warns_of_development_defaults_and_runs(settings, monkeypatch, command):
    """Batch jobs and the team's measures (shared/tools/touchless.py) migrate and ingest
    on a scratch SQLite file: named, not refused; the serving entry points refuse."""
    settings.DEVELOPMENT = False
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}
    monkeypatch.setattr(sys, "argv", ["manage.py", command])

    found = check_production_settings(None)

    assert {error.id for error in found} >= {"ledgerline.E001", "ledgerline.E003"}
    assert all(error.level == checks.WARNING for error in found)


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_production_with_real_values_passes(settings):
    settings.DEVELOPMENT = False
    settings.DEBUG = False
    settings.SECRET_KEY = "k3y-" + "x9Qa7Lm2" * 8
    settings.ALLOWED_HOSTS = ["ap.example.com"]
    settings.DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}
    assert check_production_settings(None) == []


def test_development_defaults_are_fine_in_development(settings):
    settings.DEVELOPMENT = True
    settings.DEBUG = True
    assert check_production_settings(None) == []


def test_the_erp_connector_settings_are_checked_at_start(settings):
    from core.checks import check_erp_connector

    assert check_erp_connector(None) == []  # the file connector needs nothing
    settings.ERP_CONNECTOR = "sap"
    assert [e.id for e in check_erp_connector(None)] == ["ledgerline.E004"]
    settings.ERP_CONNECTOR = "webhook"
    settings.ERP_WEBHOOK_URL = "https://erp.example/hook"
    settings.ERP_WEBHOOK_SECRET = ""
    (error,) = check_erp_connector(None)
    assert error.msg == "ERP_CONNECTOR=webhook needs ERP_WEBHOOK_SECRET."
    settings.ERP_CONNECTOR = "file"
    settings.ERP_FILE_FORMAT = "xml"
    assert [e.id for e in check_erp_connector(None)] == ["ledgerline.E006"]


def test_exchange_rates_are_read_and_bad_ones_refused(monkeypatch):
    from decimal import Decimal

    from core.env import env_rates

    monkeypatch.setenv("X_RATES", "usd=0.92, GBP=1.17")
    assert env_rates("X_RATES") == {"USD": Decimal("0.92"), "GBP": Decimal("1.17")}
    for bad in ("USD", "USD=abc", "USD=-1", "DOLLAR=1"):
        monkeypatch.setenv("X_RATES", bad)
        with pytest.raises(ImproperlyConfigured, match="CURRENCY=RATE"):
            env_rates("X_RATES")
