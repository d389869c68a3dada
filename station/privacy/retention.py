"""Privacy retention: the station keeps only the customer data it needs, for as long as set.

With `[privacy] retention_days = N` (N > 0), `purge_expired` clears the customer's name
from RMAs last changed more than N days ago and deletes the image files of photos taken
more than N days ago. Everything that explains a decision stays: the RMA number, order
number and lines, every receipt, unit, inspection and disposition, and each Photo row with
its kind, size and SHA-256, so the hash still proves what was photographed.

Photos live content-addressed in the photos folder (station.ports.photo_files).
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from station.audit import chain as audit
from station.ports.photo_files import SHA256_HEX, photo_path, thumbnail_path
from station.runtime.context import StationContext
from station.store.models import Photo, Rma

log = logging.getLogger(__name__)

PURGED_ACTION = "privacy.purged"
ACTOR_NAME = "retention"

@dataclass(frozen=True)
class PurgeSummary:
    """What one run removed. `photo_files_deleted` counts files (a photo and its thumbnail
    are two); `bytes_freed` is their size on disk; `cutoff` is None when retention is off."""

    customer_fields_cleared: int
    photo_files_deleted: int
    bytes_freed: int
    cutoff: datetime | None


@dataclass(frozen=True)
class _DoomedFile:
    path: Path
    size: int


def purge_expired(ctx: StationContext, photos_dir: Path) -> PurgeSummary:
    """Clear expired customer names and delete expired photo files; audited, idempotent.

    The cutoff is `ctx.clock() - retention_days`; nothing happens when retention_days is 0.

    Order and crash-safety. One local transaction clears the names (a single bulk UPDATE),
    works out which photo files are due and still present, and records one
    "privacy.purged" audit event with those counts. The files are deleted only after that
    transaction has committed:

    * if the transaction fails, nothing at all has changed and the run can simply be
      repeated;
    * if the station dies (or a file cannot be removed) after the commit, the files left
      behind are still expired and still present, so the next run deletes them and records
      them in its own event. Clearing a name that is already NULL and deleting a file that
      is already gone are both no-ops, so a repeated run converges.

    So a deletion is never unaudited; at worst, after a crash, an event counts files that
    the next run counts again. The returned summary counts what this run actually removed.
    Deleting before the commit would instead risk a deletion with no audit event at all,
    and would hold the database's write lock while the disk is busy.

    A run that finds nothing to do records no event, so a second run is a no-op.

    Photo files are shared by content: a file is kept while any photo taken on or after the
    cutoff has the same hash. A path whose real location (after following symlinks) is not
    inside `photos_dir` is never touched; a symlink inside it is removed, never its target.
    (A photo with byte-identical content stored in the moment between the commit and the
    deletions would lose its file; distinct camera frames never share a hash in practice.)
    """
    days = ctx.config.privacy.retention_days
    if days <= 0:
        return PurgeSummary(0, 0, 0, None)
    now = ctx.clock()
    cutoff = now - timedelta(days=days)
    root = photos_dir.resolve()

    with ctx.sessions.begin() as session:
        cleared = _clear_customer_names(session, cutoff)
        doomed = _expired_photo_files(session, photos_dir, root, cutoff)
        planned_bytes = sum(f.size for f in doomed)
        if cleared or doomed:
            audit.record(
                session, station_code=ctx.station_code, actor=None, actor_name=ACTOR_NAME,
                action=PURGED_ACTION, subject=f"retention {days} days",
                data={"customer_fields_cleared": cleared, "photo_files_deleted": len(doomed),
                      "bytes_freed": planned_bytes, "cutoff": cutoff, "retention_days": days},
                now=now,
            )

    deleted = freed = 0
    for doomed_file in doomed:
        if _delete(root, doomed_file.path):
            deleted += 1
            freed += doomed_file.size
    if deleted < len(doomed):
        log.warning("retention: %d of %d expired photo files were not deleted by this run; "
                    "the next run tries again", len(doomed) - deleted, len(doomed))
    if cleared or doomed:
        log.info("retention: cleared %d customer names, deleted %d photo files (%d bytes) "
                 "older than %s", cleared, deleted, freed, cutoff.isoformat())
    return PurgeSummary(cleared, deleted, freed, cutoff)


def _clear_customer_names(session: Session, cutoff: datetime) -> int:
    """NULL the name on every RMA last changed before the cutoff; one statement, bound cutoff.

    `updated_at`, `version` and `change_seq` are left alone: they describe the central
    record, and an RMA changed centrally later is pulled again with its new name and date.
    """
    result = session.execute(
        update(Rma)
        .where(Rma.updated_at < cutoff, Rma.customer_name.is_not(None))
        .values(customer_name=None)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount


def _expired_photo_files(
    session: Session, photos_dir: Path, root: Path, cutoff: datetime
) -> list[_DoomedFile]:
    """The files, still on disk and safe to delete, of hashes only expired photos use."""
    expired = select(Photo.sha256).where(Photo.taken_at < cutoff)
    still_needed = select(Photo.sha256).where(Photo.taken_at >= cutoff)
    hashes: list[str] = list(session.scalars(expired.except_(still_needed)))
    tree = _PhotoTree(root)
    doomed: list[_DoomedFile] = []
    for sha in hashes:
        if not SHA256_HEX.fullmatch(sha):
            log.warning("retention: photo row with malformed sha256 %r skipped", sha[:80])
            continue
        for path in (photo_path(photos_dir, sha), thumbnail_path(photos_dir, sha)):
            size = tree.deletable_size(path)
            if size is not None:
                doomed.append(_DoomedFile(path, size))
    return doomed


def _inside(root: Path, path: Path) -> bool:
    """Whether the path's real location, every symlink followed, is inside `root`."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # unreadable, or a symlink loop
        return False


class _PhotoTree:
    """The photos folder as one run sees it, each sub-folder listed and resolved once.

    Listing a folder once instead of a failing stat per expired file, and resolving a
    folder once instead of every file in it, keeps runs over 100k expired photos quick
    while the database's write lock is held.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._names: dict[Path, frozenset[str] | None] = {}
        self._folder_inside: dict[Path, bool] = {}

    def _may_hold(self, path: Path) -> bool:
        folder = path.parent
        if folder not in self._names:
            try:
                self._names[folder] = frozenset(os.listdir(folder))
            except FileNotFoundError:
                self._names[folder] = frozenset()
            except OSError:
                self._names[folder] = None  # unreadable: let lstat decide and report
        names = self._names[folder]
        return names is None or path.name in names

    def _inside(self, path: Path, *, is_link: bool) -> bool:
        if is_link:
            return _inside(self.root, path)
        folder = path.parent
        if folder not in self._folder_inside:
            self._folder_inside[folder] = _inside(self.root, folder)
        return self._folder_inside[folder]

    def deletable_size(self, path: Path) -> int | None:
        """The file's size if it is there and may be deleted; None if gone or to be left."""
        if not self._may_hold(path):
            return None  # never stored, or deleted by an earlier run (the usual case)
        try:
            info = path.lstat()
        except FileNotFoundError:
            return None
        except OSError as error:
            log.warning("retention: cannot inspect %s (%s); left in place", path, error.strerror)
            return None
        is_link = stat.S_ISLNK(info.st_mode)
        if not (is_link or stat.S_ISREG(info.st_mode)):
            log.warning("retention: %s is not a file; left in place", path)
            return None
        if not self._inside(path, is_link=is_link):
            log.warning("retention: %s leads outside %s; left in place", path, self.root)
            return None
        return info.st_size


def _delete(root: Path, path: Path) -> bool:
    """Unlink one file (a symlink itself, never its target); True if this call removed it."""
    if not _inside(root, path):  # checked again: the folder may have changed since planning
        log.warning("retention: %s leads outside %s; left in place", path, root)
        return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False  # removed meanwhile by someone else; nothing left to do
    except OSError as error:
        log.warning("retention: cannot delete %s (%s)", path, error.strerror)
        return False
    return True


def clear_expired_customer_names(
    sessions: sessionmaker[Session], retention_days: int, now: datetime
) -> int:
    """The customer-name part of the rule, for the embedded central database on this PC.

    It keeps no audit chain of this station (that arrives by sync), so the station's own
    purge records the event; a PostgreSQL central database is purged by its operator.
    """
    if retention_days <= 0:
        return 0
    with sessions.begin() as session:
        return _clear_customer_names(session, now - timedelta(days=retention_days))
