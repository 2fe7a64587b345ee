"""`manage.py train_receipt_calibration`: measure the receipt rules on labelled receipts,
cross-validated by shop, and save the calibration of their confidence in the repository.

    manage.py train_receipt_calibration ../shared/data/sroie-dev

Reads each receipt's image through the product's image path (the configured OCR engine,
its cache: set OCR_CACHE_DIR to keep the readings between runs), or with --line-truth the
receipts' line truth instead; prints per field the answers right and the share of
confident answers (>= EXTRACTION_MIN_CONFIDENCE) that are wrong, each answer's confidence
coming from a calibration fitted on other shops only (extraction.receipt_calibration);
then fits on all of them and writes extraction/model/receipt_calibration.json (unless
--no-save).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from extraction.receipt_calibration import cross_validate, fit_all, load_receipts, summary
from extraction.receipts import CALIBRATION_PATH, FIELDS


class Command(BaseCommand):
    help = "Measure the receipt rules by shop and save their confidence calibration."

    def add_arguments(self, parser):
        parser.add_argument("set_dir", type=Path, help="a SROIE-style folder (img/, key/)")
        parser.add_argument("--line-truth", action="store_true", help="read box/, not img/")
        parser.add_argument("--no-save", action="store_true")
        parser.add_argument("--out", type=Path, default=CALIBRATION_PATH)

    def handle(self, *args, **options):
        folder = options["set_dir"]
        words_of = None if options["line_truth"] else _ocr_words(folder, self.stdout)
        try:
            receipts = load_receipts(folder, words_of)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        minimum = settings.EXTRACTION_MIN_CONFIDENCE
        fields, (wrong, confident) = summary(receipts, cross_validate(receipts), minimum)
        for name in FIELDS:
            right, judged = fields[name]
            self.stdout.write(f"{name:<14} {right}/{judged} right ({right / judged:.0%})")
        right = sum(r for r, _ in fields.values())
        judged = sum(j for _, j in fields.values())
        self.stdout.write(
            f"all fields     {right}/{judged} right ({right / max(judged, 1):.0%}); confident "
            f"(>= {minimum}) wrong: {wrong}/{confident}, cross-validated by shop"
        )
        if options["no_save"]:
            return
        import json

        calibration = fit_all(receipts)
        options["out"].parent.mkdir(parents=True, exist_ok=True)
        options["out"].write_text(json.dumps(calibration, indent=1, sort_keys=True) + "\n")
        self.stdout.write(f"wrote {options['out']}")


def _ocr_words(folder: Path, stdout):
    """The words OCR reads on img/STEM.jpg, as the image reader reads them."""
    from extraction.ocr import read_pages
    from extraction.readers.image import image_page, image_page_sizes

    def words_of(stem: str):
        path = folder / "img" / f"{stem}.jpg"
        if not path.exists():
            return None
        data = path.read_bytes()
        count = len(image_page_sizes(data))
        pages = ((*image_page(data, index), index + 1) for index in range(count))
        words = read_pages(((image, number, dpi) for image, dpi, number in pages), total=count)
        stdout.write(f"  read {path.name}: {len(words)} words")
        return words

    return words_of
