from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Accounts payable"

    def ready(self):
        from django.conf import settings

        from core import (
            checks,  # noqa: F401  (registers the system checks)
            formatting,
            queues,  # noqa: F401  (registers the OCR cluster check)
            signin,  # noqa: F401  (audits sign-in lockouts)
        )

        # One locale for every amount and date people read (an unknown one stops the start).
        formatting.set_locale(settings.LEDGERLINE_LOCALE)
