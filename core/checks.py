"""System checks that refuse a production start with development defaults."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def check_production_settings(app_configs, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    key = settings.SECRET_KEY
    if key == settings.DEV_SECRET_KEY or len(key) < 50 or len(set(key)) < 5:
        errors.append(
            Error(
                "SECRET_KEY is the development default or too weak while DEBUG is off.",
                hint="Set SECRET_KEY (or SECRET_KEY_FILE) to 50+ random characters.",
                id="ledgerline.E001",
            )
        )
    if not settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        errors.append(
            Error(
                "ALLOWED_HOSTS is empty or '*' while DEBUG is off.",
                hint="Set ALLOWED_HOSTS to the host names the app is served under.",
                id="ledgerline.E002",
            )
        )
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(
            Error(
                "SQLite is the embedded demo database; production runs on PostgreSQL.",
                hint="Set DATABASE_URL=postgres://user:password@host:5432/name.",
                id="ledgerline.E003",
            )
        )
    return errors


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
