"""Extraction on real documents, cross-validated, and end to end.

For the real labelled sets ../shared/data/realdev and ../shared/data/wild-dev (beside the
repository; a set that is not there is said and skipped):

1. field accuracy per field, overall, and the share of confident answers (at or above
   EXTRACTION_MIN_CONFIDENCE) that are wrong, judged as the team's score.py judges (only
   fields whose truth is printed on the text layer count; tests/benchmarks/realsets.py);
   then a reliability table: answers by confidence bucket, how many and how many right.
   Side by side: the rules alone, and the learned ranker cross-validated by layout (each
   document read by a model trained without its fold's layouts, plus the generated
   corpus), and the shipped model (trained on these documents too: in-sample, but what
   ../shared/tools/score.py and touchless.py see, so the figures can be checked against
   them). The generated corpus and the blind held-out v2 set, rules alone and with the
   shipped model, for comparison.
2. the same on scans read by OCR (the project's engine): ../shared/data/scan-dev's scanned
   and photographed invoices and realdev's 200 dpi page-1 pictures (fields printed on page
   1), every field of the truth counted; the cross-validated ranker's folds hold each
   layout's PDF and picture together. The OCR's words are kept in BENCH_CACHE_DIR/ocr, so
   only the first run reads the pages (minutes; OCR speed is bench_ocr_real.py's figure).
3. end to end (tests/benchmarks/endtoend.py, touchless.py's definitions): every document
   through `ingest --sync` on a fresh database with clean master data from its truth; the
   touchless rate (posted with no person, every checked field right) and the false
   auto-approval rate (posted with no person, a field wrong or missing), per set, for the
   same three ways of reading, with a table per document.

Run with `make bench`; prints its figures. Not a test: no assertions, no pass/fail.
Scratch (databases, media, ERP outbox) lives in a temporary folder, removed at the end.
"""

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

SETS = ("realdev", "wild-dev")
SCAN_SETS = ("realdev", "scan-dev")  # their images, read by OCR
RULES = "rules alone"
RANKER = "ranker (cross-val.)"
SHIPPED = "shipped model"


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    scratch = Path(tempfile.mkdtemp(prefix="ledgerline-bench-real-"))
    # Everything the product writes goes to the scratch folder, never to var/.
    os.environ["LEDGERLINE_VAR_DIR"] = str(scratch / "var")
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'migrated.sqlite3'}"
    os.environ["ERP_CONNECTOR"] = "file"
    for name in ("MEDIA_ROOT", "ERP_OUTBOX_DIR", "EMAIL_FILE_PATH"):
        os.environ.pop(name, None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    # LightGBM's OpenMP threads spin while they wait; on two busy cores that made training
    # ten times slower. Passive waiting changes no result.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # The scans' OCR is kept between runs (the page's pixels and the engine are its key).
    os.environ.setdefault("OCR_CACHE_DIR", str(_cache_dir() / "ocr"))
    import django

    django.setup()
    try:
        run(scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run(scratch: Path) -> None:
    from django.conf import settings

    from tests.benchmarks.realsets import load_set, sets_dir

    began = time.perf_counter()
    labelled = {}
    for name in SETS:
        folder = sets_dir() / name
        if (folder / "files").is_dir():
            labelled[name] = load_set(folder)
            print(f"{name}: {len(labelled[name])} documents ({folder})")
        else:
            print(f"{name}: the set is not there ({folder}); left out")
    using, why_not = _ranker_api()
    models, model_note = {}, why_not
    scans = _scans()
    if labelled and using is not None:
        models, model_note = cross_validated_models(labelled, scans)
    print(f"ranker: {model_note}")
    shipped = _shipped_model()
    if shipped is None:
        print("shipped model: none (the product reads with the rules alone)")
    else:
        about = shipped.about
        print(
            f"shipped model: trained {about.get('trained_at', '?')} on "
            f"{about.get('documents', '?')} documents ({about.get('real_documents', '?')} real)"
        )
    min_confidence = settings.EXTRACTION_MIN_CONFIDENCE
    ways = readings(using, models, shipped)

    if labelled:
        field_accuracy(labelled, ways, models, min_confidence)
    if scans:
        scan_accuracy(scans, ways, min_confidence)
    generated_sets(using, shipped, min_confidence)
    if labelled:
        end_to_end(labelled, ways, scratch)
    print(f"\nbench_real: {time.perf_counter() - began:.0f} s in all")


def _ranker_api():
    """(`extraction.ranker.using`, None), or (None, why it is not there yet)."""
    try:
        from extraction.ranker import using
    except ImportError as exc:
        return None, f"extraction.ranker.using is not there ({exc}): rules alone only"
    return using, None


def reading(using, model=None):
    """How a document is read: `using(model)` (None: rules alone); without the ranker the
    product reads with its rules alone anyway."""
    return using(model) if using is not None else contextlib.nullcontext()


def _cache_dir() -> Path:
    default = Path(tempfile.gettempdir()) / "ledgerline-bench-cache"
    return Path(os.environ.get("BENCH_CACHE_DIR", default))


def _scans() -> list:
    """The labelled scans of SCAN_SETS read by OCR (extraction.training.load_scanned_set),
    or [] where the sets or the loader are not there."""
    try:
        from extraction.training import load_scanned_set
    except ImportError as exc:
        print(f"scans: extraction.training.load_scanned_set is not there ({exc}); left out")
        return []
    from tests.benchmarks.realsets import sets_dir

    began = time.perf_counter()
    scans = []
    for name in SCAN_SETS:
        folder = sets_dir() / name
        if (folder / "truth.jsonl").exists():
            found = load_scanned_set(folder)
            scans += found
            print(f"{name}: {len(found)} scans read by OCR")
        else:
            print(f"{name}: the set is not there ({folder}); its scans left out")
    if scans:
        print(f"  ({time.perf_counter() - began:.0f} s to read them; cache {_cache_dir() / 'ocr'})")
    return scans


def cross_validated_models(labelled, scans=()) -> tuple[dict, str]:
    """{document file name: the model trained without its fold}, and what was done.

    Training takes minutes, so each fold's model is kept in BENCH_CACHE_DIR under the hash
    of the extraction code and of the documents it was trained on: a run after a change to
    either trains again; BENCH_RETRAIN=1 always does."""
    try:
        from extraction.ranker import FieldModel
        from extraction.training import (
            corpus_documents,
            data_hash,
            folds,
            load_labelled_set,
            train,
        )
    except ImportError as exc:
        return {}, f"extraction.training is not there ({exc}): no cross-validated column"
    from tests.benchmarks.realsets import sets_dir

    began = time.perf_counter()
    cache = _cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    retrain = os.environ.get("BENCH_RETRAIN") == "1"
    code = _extraction_code_hash()
    documents = [d for name in labelled for d in load_labelled_set(sets_dir() / name)]
    documents += scans
    corpus = corpus_documents()
    models, shown = {}, []
    for number, (training, held_out) in enumerate(folds(documents), start=1):
        started = time.perf_counter()
        key = hashlib.sha256(f"{code} {data_hash(training + corpus)}".encode()).hexdigest()
        kept = cache / f"field-model-{key[:24]}.json"
        if kept.exists() and not retrain:
            model, how = FieldModel.load(kept), "cached"
        else:
            model, how = train(training + corpus), "trained"
            model.save(kept)
        for doc in held_out:
            models[doc.name] = model
        groups = sorted({d.group for d in held_out})
        shown.append(
            f"  fold {number}: {len(held_out)} held out ({', '.join(groups)}); model of "
            f"{len(training)} real + {len(corpus)} generated, {how} in "
            f"{time.perf_counter() - started:.1f} s"
        )
    print("\n".join(shown))
    return models, (
        f"{len(models)} documents read by a model trained without their layout "
        f"({time.perf_counter() - began:.0f} s to load the sets and train; cache {cache})"
    )


def _extraction_code_hash() -> str:
    """What the models depend on besides their data: the extraction package's code."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[2] / "extraction"
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    return digest.hexdigest()


def _read(path: Path):
    from extraction.extract import extract_path
    from extraction.types import UnreadableDocument

    try:
        return extract_path(path).as_json()
    except UnreadableDocument:
        return None


def readings(using, models, shipped) -> dict:
    """{title: a function of a document's file name giving the context to read it in}."""
    ways = {RULES: lambda name: reading(using, None)}
    if models:
        ways[RANKER] = lambda name: reading(using, models.get(name))
    if shipped is not None:
        # What the product reads with when nobody says; what score.py and touchless.py see.
        ways[SHIPPED] = lambda name: contextlib.nullcontext()
    return ways


def field_accuracy(labelled, ways, models, min_confidence) -> None:
    from tests.benchmarks.realsets import FIELDS, Tally, print_accuracy, print_reliability

    began = time.perf_counter()
    tallies: dict[str, dict[str, Tally]] = {}
    changed, answers = 0, 0  # fields the ranker answered differently from the rules
    for set_name, docs in labelled.items():
        tallies[set_name] = {title: Tally(min_confidence) for title in ways}
        for doc in docs:
            reports = {}
            for title, context in ways.items():
                with context(doc.file):
                    reports[title] = _read(doc.path)
                tallies[set_name][title].add(doc.truth, reports[title], doc.text)
            if RANKER in reports:
                before, after = (
                    (r or {}).get("fields", {}) for r in (reports[RULES], reports[RANKER])
                )
                answers += len(FIELDS)
                changed += sum(before.get(n) != after.get(n) for n in FIELDS)
    print(f"\n=== field accuracy on real documents (text layer; min confidence {min_confidence})")
    for set_name, columns in tallies.items():
        print(f"\n{set_name} ({len(labelled[set_name])} documents)")
        print_accuracy(columns)
    both = {title: _merged(t[title] for t in tallies.values()) for title in ways}
    if len(tallies) > 1:
        print(f"\nall real documents ({sum(len(d) for d in labelled.values())})")
        print_accuracy(both)
    print("\nreliability, every field of every real document")
    print_reliability(both)
    unmodelled = [d.file for docs in labelled.values() for d in docs if d.file not in models]
    if models and unmodelled:
        print(f"in no fold, so read by the rules alone: {', '.join(unmodelled)}")
    if models:
        print(
            f"the cross-validated ranker answered {changed} of {answers} fields differently "
            "from the rules" + (" (is the model wired into the readers?)" if not changed else "")
        )
    if SHIPPED in ways:
        print(
            f"{SHIPPED}: trained on these documents too, so in-sample here: not a measure of "
            "layouts never seen, but what score.py and touchless.py measure on this code"
        )
    print(f"({time.perf_counter() - began:.0f} s)")


def scan_accuracy(scans, ways, min_confidence) -> None:
    """Field accuracy on the scans, each read by OCR the product's way, in the same ways
    (rules, cross-validated ranker, shipped model) as the text layers."""
    from tests.benchmarks.realsets import Tally, print_accuracy, print_reliability

    began = time.perf_counter()
    print(f"\n=== field accuracy on real scans (read by OCR; min confidence {min_confidence})")
    both = {title: Tally(min_confidence) for title in ways}
    for set_name in SCAN_SETS:
        docs = [d for d in scans if d.group.startswith(f"{set_name}:")]
        if not docs:
            continue
        columns = {title: Tally(min_confidence) for title in ways}
        for doc in docs:
            for title, context in ways.items():
                with context(doc.name):
                    report = _read(doc.path)
                # An image has no text layer: every field of the truth counts.
                columns[title].add(doc.truth, report, None)
                both[title].add(doc.truth, report, None)
        print(f"\n{set_name} scans ({len(docs)})")
        print_accuracy(columns)
    print("\nreliability, every field of every scan")
    print_reliability(both)
    print(f"({time.perf_counter() - began:.0f} s)")


def _merged(tallies):
    tallies = list(tallies)
    merged = tallies[0]
    for tally in tallies[1:]:
        merged = merged.merge(tally)
    return merged


def generated_sets(using, shipped, min_confidence) -> None:
    from extraction.extract import extract_source
    from extraction.types import SourceFile, UnreadableDocument
    from tests.benchmarks.realsets import Tally, page_text, print_accuracy
    from tests.corpus import generate
    from tests.corpus.heldout2 import heldout2_items
    from tests.corpus.scoring import truth

    began = time.perf_counter()
    titles = [RULES, SHIPPED] if shipped is not None else [RULES]
    print("\n=== generated documents (text PDFs), the same measures")
    for set_title, items in (
        ("generated corpus (tests/corpus; the shipped model trains on it)", generate()),
        ("held-out v2 (blind)", heldout2_items()),
    ):
        columns = {title: Tally(min_confidence) for title in titles}
        for item in items:
            true = {
                name: value.isoformat() if hasattr(value, "isoformat") else str(value)
                for name, value in truth(item.invoice).items()
                if value not in (None, "")
            }
            text = page_text(item.pdf)
            for title, tally in columns.items():
                # The shipped model is what the product reads with when nobody says.
                context = reading(using, None) if title == RULES else contextlib.nullcontext()
                with context:
                    try:
                        report = extract_source(SourceFile(f"{item.name}.pdf", item.pdf)).as_json()
                    except UnreadableDocument:
                        report = None
                tally.add(true, report, text)
        print(f"\n{set_title}: {len(items)} documents")
        print_accuracy(columns)
    print(f"({time.perf_counter() - began:.0f} s)")


def _shipped_model():
    try:
        from extraction.ranker import active_model
    except ImportError:
        return None
    return active_model()


def end_to_end(labelled, ways, scratch: Path) -> None:
    from tests.benchmarks.endtoend import make_template, print_outcomes, run_document

    began = time.perf_counter()
    template = make_template(scratch)
    print("\n=== end to end: ingest --sync, one fresh database a document, clean master data")
    summary = []
    for set_name, docs in labelled.items():
        for title, context in ways.items():
            started = time.perf_counter()
            outcomes = []
            for doc in docs:
                with context(doc.file):
                    outcomes.append(run_document(doc, template, scratch))
            seconds = time.perf_counter() - started
            print_outcomes(f"{set_name}, {title} ({seconds / len(docs):.2f} s/doc)", outcomes)
            right = sum(o.kind == "touchless_right" for o in outcomes)
            false = sum(o.kind == "false_auto" for o in outcomes)
            summary.append((set_name, title, right, false, len(outcomes)))
    print("\nend to end, in short")
    print(f"  {'set':<10} {'reading':<20} {'touchless':>16} {'false auto-approval':>22}")
    for set_name, title, right, false, n in summary:
        print(
            f"  {set_name:<10} {title:<20} {f'{right}/{n} {right / n:.1%}':>16} "
            f"{f'{false}/{n} {false / n:.1%}':>22}"
        )
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
