"""Database backups in the object storage bucket: the whole database dumped (dumps.dump) and
uploaded by a daily schedule (defs/backups.py), older backups pruned by a retention rule, and a
backup restored by `tileshop db restore s3://BUCKET/KEY` or `--latest-backup`.

- A backup is the key `<prefix>tileshop-<UTC time, YYYYmmddTHHMMSSZ>.dump`: pg_dump's custom format
  of the whole database (Dagster's storage too), its sha256 in the object's metadata. Only keys of
  exactly that shape directly under the prefix are backups: retention reads and deletes nothing
  else (Dagster's compute logs, anyone's other files, a sub-folder's keys).
- Retention keeps the newest backup of each of the `keep_days` most recent days (UTC) that have one
  and deletes the others. Days that have a backup, not calendar days: a week of failed backups never
  expires the last good ones.
- Nothing partial looks whole: the dump is complete on local disk before a byte is uploaded; the
  upload completes under its key or not at all (bucket.py); a key already there is never
  overwritten; the stored object's size and hash are checked, and retention deletes only once the
  listing shows the new backup. A multipart upload of ours left incomplete (a killed run) is
  aborted after a day.
- A restore downloads the object, checks its sha256, then restores it as `tileshop db restore FILE`
  does (dumps.restore: into an empty database unless `force`, in one transaction).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from tileshop_pipelines.transfer import dumps
from tileshop_pipelines.transfer.bucket import Bucket, IncompleteUpload, StoredObject

logger = logging.getLogger(__name__)

_NAME = re.compile(r"tileshop-(\d{8}T\d{6}Z)\.dump")
TIME_FORMAT = "%Y%m%dT%H%M%SZ"
SHA256 = "sha256"  # the object's metadata key holding the dump's hash
STALE_UPLOAD = dt.timedelta(days=1)  # a backup's upload takes minutes; one begun a day ago was killed


class BackupError(RuntimeError):
    """A backup or a restore from the bucket that cannot proceed; the message names the object."""


@dataclasses.dataclass(frozen=True)
class Backup:
    key: str
    taken_at: dt.datetime
    size: int = 0


# --- names and retention (pure) -------------------------------------------------------------------
def backup_key(prefix: str, taken_at: dt.datetime) -> str:
    """The key of a backup taken at `taken_at` under `prefix` (a folder: "" or ending in "/")."""
    return f"{prefix}tileshop-{taken_at.astimezone(dt.UTC).strftime(TIME_FORMAT)}.dump"


def parse_backup(prefix: str, key: str, size: int = 0) -> Backup | None:
    """The backup `key` names, or None when it is not one of ours directly under `prefix`."""
    if not key.startswith(prefix) or not (match := _NAME.fullmatch(key[len(prefix) :])):
        return None
    try:
        taken_at = dt.datetime.strptime(match.group(1), TIME_FORMAT).replace(tzinfo=dt.UTC)
    except ValueError:  # the shape of a time, not a time (month 13)
        return None
    return Backup(key, taken_at, size)


def backups_among(objects: Iterable[StoredObject], prefix: str) -> list[Backup]:
    """The backups among a listing's objects, newest first."""
    found = [b for o in objects if (b := parse_backup(prefix, o.key, o.size)) is not None]
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def expired(backups: Iterable[Backup], keep_days: int) -> list[Backup]:
    """The backups retention deletes, oldest first: all but the newest of each of the `keep_days`
    most recent days that have a backup."""
    if keep_days < 1:
        raise ValueError(f"keep_days must be at least 1, got {keep_days}")
    backups = sorted(backups, key=lambda b: b.taken_at, reverse=True)
    newest_of_day: dict[dt.date, Backup] = {}
    for backup in backups:
        newest_of_day.setdefault(backup.taken_at.date(), backup)
    kept = {newest_of_day[day].key for day in sorted(newest_of_day, reverse=True)[:keep_days]}
    return [b for b in reversed(backups) if b.key not in kept]


def stale_uploads(
    uploads: Iterable[IncompleteUpload], prefix: str, now: dt.datetime, older_than: dt.timedelta = STALE_UPLOAD
) -> list[IncompleteUpload]:
    """Incomplete multipart uploads of backup keys begun more than `older_than` before `now`."""
    return [u for u in uploads if parse_backup(prefix, u.key) is not None and now - u.initiated > older_than]


def parse_s3_url(text: str) -> tuple[str, str] | None:
    """(bucket, key) of `s3://BUCKET/KEY`; None when `text` is not an s3:// URL."""
    if not text.startswith("s3://"):
        return None
    name, _, key = text.removeprefix("s3://").partition("/")
    if not name or not key:
        raise BackupError(f"{text!r} is not an object's URL: s3://BUCKET/KEY")
    return name, key


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _progress(what: str, total: int, log: Callable[[str], None]) -> Callable[[int], None]:
    """boto3's transfer callback (bytes since the last call) logging each quarter of `total`."""
    done = [0, 0]  # bytes, quarters logged

    def advance(n: int) -> None:
        done[0] += n
        quarter = min(4, done[0] * 4 // max(total, 1))
        if quarter > done[1]:
            done[1] = quarter
            log(f"{what}: {done[0]:,} of {total:,} bytes")

    return advance


# --- backing up -----------------------------------------------------------------------------------
def back_up(
    database_url: str,
    bucket: Bucket,
    prefix: str,
    keep_days: int,
    workdir: Path,
    *,
    now: dt.datetime | None = None,
    log: Callable[[str], None] = logger.info,
) -> dict:
    """Dump the database at `database_url`, upload it as a new backup, then apply retention."""
    taken_at = now or dt.datetime.now(dt.UTC)
    key = backup_key(prefix, taken_at)
    if bucket.exists(key):
        raise BackupError(f"{bucket.url(key)} exists; a backup never replaces one")
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / key.rsplit("/", 1)[-1]
    try:
        dumped = dumps.dump(database_url, path)
        log(
            f"dumped {dumped['dbname']} (PostgreSQL {dumped['dumped_from']}): {dumped['bytes']:,} bytes "
            f"in {dumped['seconds']:.1f} s"
        )
        digest = sha256_of(path)
        started = time.perf_counter()
        bucket.upload(
            path,
            key,
            {SHA256: digest, "dumped-from": dumped["dumped_from"]},
            progress=_progress(f"uploading {bucket.url(key)}", dumped["bytes"], log),
        )
        uploaded_s = time.perf_counter() - started
    finally:
        path.unlink(missing_ok=True)
    size, metadata = bucket.head(key)
    if size != dumped["bytes"] or metadata.get(SHA256) != digest:
        raise BackupError(
            f"{bucket.url(key)} holds {size:,} bytes with sha256 {metadata.get(SHA256)}, the dump "
            f"{dumped['bytes']:,} with {digest}: nothing was deleted"
        )
    log(f"uploaded {bucket.url(key)} in {uploaded_s:.1f} s")
    pruned = prune(bucket, prefix, keep_days, new_key=key, now=taken_at)
    for gone in pruned["deleted"]:
        log(f"retention ({keep_days} days): deleted {bucket.url(gone)}")
    return {
        "key": key,
        "url": bucket.url(key),
        "bytes": size,
        "sha256": digest,
        "dumped_from": dumped["dumped_from"],
        "tables": dumped["tables"],
        "dump_s": dumped["seconds"],
        "upload_s": round(uploaded_s, 3),
        **pruned,
    }


def prune(bucket: Bucket, prefix: str, keep_days: int, *, new_key: str, now: dt.datetime) -> dict:
    """Delete the backups retention expires, and our uploads left incomplete; only once the listing
    shows `new_key`, and never `new_key` itself."""
    backups = backups_among(bucket.list(prefix), prefix)
    if new_key not in {b.key for b in backups}:
        raise BackupError(f"the listing of s3://{bucket.name}/{prefix} does not show {new_key}: nothing was deleted")
    gone = expired(backups, keep_days)
    if new_key in {b.key for b in gone}:  # a later-dated backup of the same day (a clock moved back)
        raise BackupError(
            f"retention would delete the new backup {new_key} (a backup of the same day is dated "
            "later: a clock moved?): nothing was deleted"
        )
    bucket.delete(b.key for b in gone)
    stale = stale_uploads(bucket.incomplete_uploads(prefix), prefix, now)
    for upload in stale:
        bucket.abort(upload)
    return {
        "kept": [b.key for b in backups if b not in gone],
        "deleted": [b.key for b in gone],
        "aborted_uploads": [u.key for u in stale],
    }


# --- restoring ------------------------------------------------------------------------------------
def latest_backup(bucket: Bucket, prefix: str) -> Backup:
    backups = backups_among(bucket.list(prefix), prefix)
    if not backups:
        raise BackupError(f"no backup in s3://{bucket.name}/{prefix} (keys tileshop-<time>.dump)")
    return backups[0]


def restore_backup(
    bucket: Bucket,
    key: str,
    target_url: str,
    workdir: Path,
    *,
    force: bool = False,
    log: Callable[[str], None] = logger.info,
) -> dict:
    """Download the object `key`, check its hash, restore it into `target_url` (dumps.restore)."""
    size, metadata = bucket.head(key)
    workdir.mkdir(parents=True, exist_ok=True)
    name = key.rsplit("/", 1)[-1]
    partial = workdir / f"{name}.partial"
    path = workdir / name
    if path.exists():
        raise BackupError(f"{path} exists (another restore under way?); remove it to restore {bucket.url(key)}")
    try:
        started = time.perf_counter()
        bucket.download(key, partial, progress=_progress(f"downloading {bucket.url(key)}", size, log))
        downloaded_s = time.perf_counter() - started
        expected = metadata.get(SHA256)
        if expected is not None and (actual := sha256_of(partial)) != expected:
            raise BackupError(
                f"{bucket.url(key)} downloaded with sha256 {actual}, its metadata says {expected}: nothing was restored"
            )
        partial.replace(path)
        report = dumps.restore(path, target_url, force=force)
    finally:
        partial.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
    return {
        **report,
        "file": bucket.url(key),
        "bytes": size,
        "download_s": round(downloaded_s, 3),
        "sha256": "checked" if expected is not None else "not in the object's metadata: unchecked",
    }
