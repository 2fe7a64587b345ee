"""System checks with ids for misconfiguration, and the refusal of development defaults
outside development.

Development is said explicitly: LEDGERLINE_DEV=1 (settings.DEVELOPMENT), which the
Makefile sets for `make run`. Any other process is taken for production, and
`development_defaults_left` names what it must not run with (issue 16: gunicorn with the
development key served forged approve links). The deployment entry points refuse them:
`qcluster` (and runserver) through the system checks, core/wsgi.py (gunicorn, any WSGI
server) by calling `refuse_development_defaults` at import, since a WSGI server runs no
system checks. One-shot commands (migrate, ingest, check) warn and run: SERVING_COMMANDS.
"""

import sys

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_HINT = "For development, run `make run` or set LEDGERLINE_DEV=1."


def development_defaults_left() -> list[Error]:
    """The development defaults left in a production process (empty in development):
    E008 DEBUG on, E001 the development or a weak SECRET_KEY, E002 ALLOWED_HOSTS empty or
    '*', E003 SQLite."""
    if settings.DEVELOPMENT:
        return []
    errors = []
    if settings.DEBUG:
        errors.append(
            Error(
                "DEBUG is on outside development: error pages would show settings and code.",
                hint=f"Unset DEBUG (it is off unless turned on). {DEVELOPMENT_HINT}",
                id="ledgerline.E008",
            )
        )
    key = settings.SECRET_KEY
    if key == settings.DEV_SECRET_KEY or len(key) < 50 or len(set(key)) < 5:
        errors.append(
            Error(
                "SECRET_KEY is the development default or too weak outside development.",
                hint="Set SECRET_KEY (or SECRET_KEY_FILE) to 50+ random characters. "
                + DEVELOPMENT_HINT,
                id="ledgerline.E001",
            )
        )
    if not settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "ALLOWED_HOSTS is empty or '*' outside development.",
                hint="Set ALLOWED_HOSTS to the host names the app is served under.",
                id="ledgerline.E002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error(
                "SQLite is the embedded demo database; production runs on PostgreSQL.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/name. "
                + DEVELOPMENT_HINT,
                id="ledgerline.E003",
            )
        )
    return errors


# The manage.py commands that serve or do the work (requests, queued tasks, mail, ERP
# postings): outside development they refuse the development defaults, as core/wsgi.py does
# for gunicorn. A one-shot command (migrate, ingest, check, a report) serves nobody: it
# names the defaults left as warnings and runs, so batch jobs and the team's own measures
# (shared/tools/touchless.py: migrate and ingest on a scratch SQLite file) can run the
# product as it ships.
SERVING_COMMANDS = frozenset({"qcluster", "runserver", "rundemo"})


@register(Tags.security, deploy=False)
def check_production_settings(app_configs, **kwargs):
    """The development defaults left outside development: errors in a process that serves
    (`serving_command`), the same findings as warnings in a one-shot command."""
    errors = development_defaults_left()
    if serving_command(sys.argv):
        return errors
    return [Warning(error.msg, hint=error.hint, id=error.id) for error in errors]


def serving_command(argv: list[str]) -> bool:
    """Whether `argv` (sys.argv) runs manage.py with one of SERVING_COMMANDS."""
    return len(argv) > 1 and argv[1] in SERVING_COMMANDS


def refuse_development_defaults() -> None:
    """Raise ImproperlyConfigured naming each development default left outside development
    (see `development_defaults_left`); for entry points that run no system checks."""
    errors = development_defaults_left()
    if errors:
        raise ImproperlyConfigured(
            "Refusing to start with development defaults:\n"
            + "\n".join(f"{error.id}: {error.msg} {error.hint}" for error in errors)
        )


@register()
def check_erp_connector(app_configs, **kwargs):
    """The ERP connector's settings, checked at start rather than at the first posting."""
    kind = settings.ERP_CONNECTOR
    needs = {
        "file": [],
        "webhook": ["ERP_WEBHOOK_URL", "ERP_WEBHOOK_SECRET"],
        "odoo": ["ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_PASSWORD"],
    }
    if kind not in needs:
        return [
            Error(
                f"ERP_CONNECTOR={kind!r} is not a connector.",
                hint="Use file, webhook or odoo.",
                id="ledgerline.E004",
            )
        ]
    errors = [
        Error(
            f"ERP_CONNECTOR={kind} needs {name}.",
            hint=f"Set {name} (or {name}_FILE for a secret).",
            id="ledgerline.E005",
        )
        for name in needs[kind]
        if not getattr(settings, name)
    ]
    if kind == "file" and settings.ERP_FILE_FORMAT not in ("json", "csv"):
        errors.append(
            Error(
                f"ERP_FILE_FORMAT={settings.ERP_FILE_FORMAT!r} is not json or csv.",
                id="ledgerline.E006",
            )
        )
    return errors
