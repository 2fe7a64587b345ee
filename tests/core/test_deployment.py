"""Production-safe by default (issue 16): outside development (LEDGERLINE_DEV, which the
Makefile sets for `make run`) the entry points refuse the development key and DEBUG, DEBUG
is off unless turned on, and `check --deploy` has nothing to say.

Each test starts a fresh Python process, since settings are read once, at start-up, from
the environment. The PostgreSQL URL is never connected to: none of this needs a database.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

PRODUCTION = {
    "SECRET_KEY": "k3y-" + "x9Qa7Lm2Zr4Tw8Yp" * 4,
    "ALLOWED_HOSTS": "ap.example.com",
    "DATABASE_URL": "postgres://ledgerline:secret@db.invalid:5432/ledgerline",
}
SETTINGS_NAMES = [
    "DEBUG",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
]


def _run(tmp_path: Path, *args: str, timeout: int = 120, **env: str | None):
    """Run Python in the project with the environment of a fresh production machine
    (none of ours set), plus `env` (None: left unset)."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"LEDGERLINE_DEV", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"}
        and not key.startswith(("DJANGO_", "PYTEST_"))
    }
    clean |= {"LEDGERLINE_VAR_DIR": str(tmp_path / "var")}
    clean |= {key: value for key, value in env.items() if value is not None}
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


IMPORT_WSGI = (
    "import core.wsgi; from django.conf import settings; import json; "
    f"print(json.dumps({{name: getattr(settings, name) for name in {SETTINGS_NAMES!r}}}))"
)


def test_gunicorn_refuses_the_development_key(tmp_path):
    started = _run(tmp_path, "-c", IMPORT_WSGI, **(PRODUCTION | {"SECRET_KEY": None}))

    assert started.returncode != 0
    assert "ledgerline.E001" in started.stderr
    assert "For development, run `make run` or set LEDGERLINE_DEV=1" in started.stderr


def test_gunicorn_refuses_debug(tmp_path):
    started = _run(tmp_path, "-c", IMPORT_WSGI, **PRODUCTION, DEBUG="1")

    assert started.returncode != 0
    assert "ledgerline.E008" in started.stderr
    assert "ledgerline.E001" not in started.stderr


def test_production_is_the_default_debug_off_https_only(tmp_path):
    started = _run(tmp_path, "-c", IMPORT_WSGI, **PRODUCTION)

    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
    }


def test_make_run_keeps_its_development_defaults(tmp_path):
    started = _run(tmp_path, "-c", IMPORT_WSGI, LEDGERLINE_DEV="1")

    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout) == {
        "DEBUG": True,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 0,
    }


@pytest.mark.parametrize(
    ("env", "refusal"),
    [({"SECRET_KEY": None}, "ledgerline.E001"), ({"DEBUG": "1"}, "ledgerline.E008")],
)
def test_the_worker_refuses_the_development_key_and_debug(tmp_path, env, refusal):
    started = _run(tmp_path, "manage.py", "qcluster", "--run-once", **(PRODUCTION | env))

    assert started.returncode != 0
    assert refusal in started.stderr


def test_check_deploy_has_no_warning_for_a_production_configuration(tmp_path):
    checked = _run(
        tmp_path, "manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION
    )

    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout
    assert "WARNING" not in checked.stderr


# What a browser is sent in production: the headers of a fresh process's responses.
PRODUCTION_RESPONSE = """
import django, json
django.setup()
from django.test import Client
secure = Client(HTTP_HOST="ap.example.com").get("/login/", secure=True)
plain = Client(HTTP_HOST="ap.example.com").get("/login/")
print(json.dumps({
    "hsts": secure.headers.get("Strict-Transport-Security"),
    "csp": secure.headers.get("Content-Security-Policy"),
    "xfo": secure.headers.get("X-Frame-Options"),
    "cookies": {name: bool(morsel["secure"]) for name, morsel in secure.cookies.items()},
    "plain": [plain.status_code, plain.headers.get("Location")],
}))
"""


def test_production_responses_carry_hsts_csp_and_secure_cookies(tmp_path):
    answered = _run(
        tmp_path, "-c", PRODUCTION_RESPONSE, DJANGO_SETTINGS_MODULE="core.settings", **PRODUCTION
    )

    assert answered.returncode == 0, answered.stderr
    seen = json.loads(answered.stdout)
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "default-src 'self'" in seen["csp"]
    assert seen["xfo"] == "DENY"
    assert seen["cookies"] == {"csrftoken": True}
    assert seen["plain"] == [301, "https://ap.example.com/login/"]


def test_a_one_shot_command_runs_with_development_defaults_and_names_them(tmp_path):
    """migrate on a scratch SQLite file with no settings, as shared/tools/touchless.py runs
    the product: it runs, and says what a production process would refuse."""
    migrated = _run(
        tmp_path,
        "manage.py",
        "migrate",
        "--noinput",
        DATABASE_URL=f"sqlite:///{tmp_path / 'scratch.sqlite3'}",
        timeout=300,
    )

    assert migrated.returncode == 0, migrated.stderr
    assert "ledgerline.E001" in migrated.stderr  # named, as a warning
    assert "ledgerline.E003" in migrated.stderr
