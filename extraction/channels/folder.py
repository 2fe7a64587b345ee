"""The scanner folder: files dropped into INTAKE_FOLDER are taken once they are complete.

A scanner or a file share writes a file over seconds, so a file is taken only when it has
not changed for INTAKE_SETTLE_SECONDS and its size is the same before and after reading
it. Several workers may poll the same folder: each file is claimed by renaming it into
`.processing/` (a rename is atomic, so exactly one worker gets it), taken, and moved to
`archive/YYYY-MM-DD/`. A file refused at the door (over MAX_STORED_BYTES) goes to
`refused/` beside a note with the reason. A worker that dies holding a file leaves it in
`.processing/`; after CLAIM_LEASE_SECONDS the next pass puts it back, and taking it again
creates nothing twice (the same bytes are the same document).
"""

import logging
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.models import Document
from extraction.channels.files import LeftOut, keep_left_out, take
from extraction.intake import RefusedFile, check_stored_size

log = logging.getLogger(__name__)
ACTOR = "system:folder"
PROCESSING, ARCHIVE, REFUSED = ".processing", "archive", "refused"
# Names a writer uses while a file is incomplete, and hidden files.
_IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial")


@dataclass
class FolderResult:
    taken: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # still being written
    refused: list[str] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)
    invoice_ids: list[int] = field(default_factory=list)


def poll_folder(folder: str | Path | None = None) -> FolderResult:
    root = Path(folder or settings.INTAKE_FOLDER)
    if not str(root) or not root.is_dir():
        raise ImproperlyConfigured(f"INTAKE_FOLDER {str(root)!r} is not a folder")
    processing = root / PROCESSING
    processing.mkdir(exist_ok=True)
    _recover_abandoned(root, processing)
    result = FolderResult()
    for path in sorted(root.iterdir()):
        if path.is_file() and not _skipped_name(path.name):
            _take(path, root, processing, result)
    return result


def _take(path: Path, root: Path, processing: Path, result: FolderResult) -> None:
    try:
        before = path.stat()
    except FileNotFoundError:
        return  # taken by another worker since the listing
    if time.time() - before.st_mtime < settings.INTAKE_SETTLE_SECONDS:
        result.waiting.append(path.name)
        return
    claimed = processing / f"{uuid.uuid4().hex}--{path.name}"
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return  # another worker claimed it first
    try:
        check_stored_size(path.name, before.st_size)  # before reading it into memory
    except RefusedFile as exc:
        refused = [LeftOut(path.name, str(exc))]  # its bytes stay in refused/, not stored
        _refuse(claimed, root, path.name, refused)
        keep_left_out(
            refused,
            channel=Document.Channel.FOLDER,
            actor=ACTOR,
            source={"folder": str(root), "file": path.name, "kept_in": REFUSED},
        )
        result.left_out.append(refused[0].as_dict())
        result.refused.append(path.name)
        return
    data = claimed.read_bytes()
    after = claimed.stat()
    if after.st_size != before.st_size or after.st_mtime != before.st_mtime:
        os.rename(claimed, path)  # still growing: back where it was, for a later pass
        result.waiting.append(path.name)
        return
    taken = take(
        path.name,
        data,
        channel=Document.Channel.FOLDER,
        actor=ACTOR,
        source={"folder": str(root), "file": path.name},
    )
    result.invoice_ids += [received.invoice.pk for received in taken.received]
    result.left_out += [item.as_dict() for item in taken.left_out]
    if taken.received:
        _move(claimed, root / ARCHIVE / timezone.localdate().isoformat(), path.name)
        result.taken.append(path.name)
    else:
        _refuse(claimed, root, path.name, taken.left_out)
        result.refused.append(path.name)


def _refuse(claimed: Path, root: Path, name: str, left_out: list[LeftOut]) -> None:
    """Nothing in the file could be taken (too large, or a zip of other things): it is
    kept aside in refused/, with the reasons beside it."""
    target = _move(claimed, root / REFUSED, name)
    reasons = "".join(f"{item.name}: {item.rule}\n" for item in left_out)
    target.with_name(target.name + ".reason.txt").write_text(reasons or "nothing to take\n")


def _recover_abandoned(root: Path, processing: Path) -> None:
    """Files a dead worker left claimed go back to be taken again."""
    deadline = time.time() - settings.CLAIM_LEASE_SECONDS
    for claimed in processing.iterdir():
        try:
            # The claim's time is the rename's: it changes the file's ctime, not its mtime.
            if claimed.stat().st_ctime < deadline:
                original = claimed.name.split("--", 1)[-1]
                os.rename(claimed, _free_name(root, original))
                log.warning("folder intake: %s was abandoned by a worker; retaking it", original)
        except FileNotFoundError:
            continue


def _move(path: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, name)
    shutil.move(path, target)
    return target


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    counter = 1
    while target.exists():
        target = folder / f"{Path(name).stem}-{counter}{Path(name).suffix}"
        counter += 1
    return target


def _skipped_name(name: str) -> bool:
    return name.startswith((".", "~")) or name.lower().endswith(_IN_PROGRESS_SUFFIXES)
