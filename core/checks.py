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
