from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts payable"

    def ready(self):
        from core import (
            checks,  # noqa: F401  (registers the system checks)
            signin,  # noqa: F401  (audits sign-in lockouts)
        )
