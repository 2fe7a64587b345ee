"""`manage.py prepare_ocr`: load the OCR networks now, exporting them to ONNX where no export
is cached (OCR_MODELS_DIR), so that the first scanned page does not wait for it.

`make run` calls it; a worker that starts without it exports on its first page instead.
"""

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the OCR networks, exporting them to ONNX once (cached under OCR_MODELS_DIR)."
    # Nothing here needs the database.
    requires_system_checks = []
    requires_migrations_checks = False

    def handle(self, **options):
        from extraction.ocr.easyocr_engine import prepare  # loads torch: only when run

        started = time.perf_counter()
        runtime = prepare()
        seconds = time.perf_counter() - started
        self.stdout.write(f"OCR networks ready on {runtime} ({seconds:.0f} s)")
