from django.apps import AppConfig


class ExtractionConfig(AppConfig):
    name = "extraction"

    def ready(self):
        from extraction import checks  # noqa: F401  (registers the system checks)
