"""`manage.py train_field_model`: train the field ranker and save it in the repository.

    manage.py train_field_model --real ../shared/data/realdev --real ../shared/data/wild-dev \
        --scans ../shared/data/realdev --scans ../shared/data/scan-dev

Trains on the labelled real sets given, their scans read by OCR (--scans: scanned and
photographed invoices, and the page-1 pictures of a set's PDFs; the first run reads each
page by OCR, about a minute a page on two cores, later ones take them from the OCR cache),
the generated corpus (unless --no-corpus) and the invoices clerks corrected (unless
--no-corrections), prints the cross-validated accuracy per field of the rules and of the
model (no layout or issuer in the training and the scored fold at once) with a reliability
table, for text layers and scans apart, then fits on everything and writes the model
(extraction/model/field_ranker.json by default) with the date and data hash. Without
scans, or with too few to calibrate on, scans keep the rules (FieldModel.reads_scans).
"""

import itertools
from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from extraction.candidates import RANKED_FIELDS
from extraction.ranker import KINDS, MODEL_PATH
from extraction.training import (
    corpus_documents,
    correction_documents,
    cross_validate,
    load_labelled_set,
    load_scanned_set,
    train,
)

BUCKETS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99, 1.01)


class Command(BaseCommand):
    help = "Train the field ranker from labelled documents and clerk corrections."

    def add_arguments(self, parser):
        parser.add_argument("--real", action="append", default=[], metavar="SET_DIR")
        parser.add_argument(
            "--scans",
            action="append",
            default=[],
            metavar="SET_DIR",
            help="a labelled set whose images (or PDFs' page-1 images) are read by OCR",
        )
        parser.add_argument("--no-corpus", action="store_true")
        parser.add_argument("--no-corrections", action="store_true")
        parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
        parser.add_argument("--out", type=Path, default=MODEL_PATH)

    def handle(self, *args, **options):
        real = []
        for path in options["real"]:
            try:
                real += load_labelled_set(Path(path))
            except FileNotFoundError as exc:
                raise CommandError(f"{path} is not a labelled set: {exc}") from exc
        for path in options["scans"]:
            try:
                real += load_scanned_set(Path(path))
            except FileNotFoundError as exc:
                raise CommandError(f"{path} is not a labelled set: {exc}") from exc
        if not options["no_corrections"]:
            try:
                real += correction_documents()
            except DatabaseError as exc:
                self.stderr.write(f"clerk corrections left out (database: {exc})")
        extra = [] if options["no_corpus"] else corpus_documents()
        if not real:
            raise CommandError("no labelled real documents: give --real SET_DIR")
        scans = sum(d.method == "ocr" for d in real)
        self.stdout.write(
            f"{len(real)} real documents ({scans} of them scans) in "
            f"{len({d.group for d in real})} groups, {len(extra)} generated"
        )
        if not options["no_cv"]:
            for kinds in (("rules",), KINDS):
                try:
                    answers = cross_validate(real, extra, kinds)
                except ValueError as exc:
                    raise CommandError(f"{exc} (or give --no-cv)") from exc
                for method, what in (("text", "text layers"), ("ocr", "scans")):
                    chosen = [answer for answer in answers if answer.method == method]
                    if chosen:
                        self.report(f"{' + '.join(kinds)}, {what}", chosen)
        model = train([*real, *extra])
        model.save(options["out"])
        self.stdout.write(f"kinds chosen: {model.about['kinds']}")
        self.stdout.write(f"saved {options['out']} ({options['out'].stat().st_size:,} bytes)")

    def report(self, title, answers):
        """Per-field accuracy, confident-but-wrong and the reliability table."""
        self.stdout.write(f"\n== cross-validated by layout/issuer: {title}")
        per_field = defaultdict(lambda: [0, 0])
        buckets = defaultdict(lambda: [0, 0])
        confident = wrong = 0
        for answer in answers:
            if answer.truth is None:
                continue
            per_field[answer.field][0] += answer.right
            per_field[answer.field][1] += 1
            confident += answer.confidence >= 0.6
            wrong += answer.confidence >= 0.6 and not answer.right
            low = max(b for b in BUCKETS if b <= answer.confidence)
            buckets[low][0] += 1
            buckets[low][1] += answer.right
        for name in RANKED_FIELDS:
            right, count = per_field[name]
            self.stdout.write(
                f"  {name:16} {right:3}/{count:<3} {100 * right / max(count, 1):5.1f}%"
            )
        right = sum(v[0] for v in per_field.values())
        count = sum(v[1] for v in per_field.values())
        self.stdout.write(f"  overall          {right}/{count} {100 * right / max(count, 1):.1f}%")
        self.stdout.write(
            f"  confidence >= 0.6: {confident} answers, {wrong} wrong "
            f"({100 * wrong / max(confident, 1):.1f}%)"
        )
        self.stdout.write("  reliability: confidence bucket -> answers, observed accuracy")
        for low, high in itertools.pairwise(BUCKETS):
            count, right = buckets[low]
            if count:
                self.stdout.write(
                    f"    [{low:.2f}, {min(high, 1):.2f}) {count:4}  {100 * right / count:5.1f}%"
                )
