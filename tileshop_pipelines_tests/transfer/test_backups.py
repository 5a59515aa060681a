"""Backups' names and retention (pure), then retention, refusals and integrity against the
S3-compatible server (moto's, through boto3): only our own backups are ever deleted, a backup is
never replaced, a failed dump uploads nothing, a corrupted download restores nothing."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from tileshop_pipelines.bootstrap import BucketSettings
from tileshop_pipelines.store import server
from tileshop_pipelines.transfer import backups
from tileshop_pipelines.transfer.backups import Backup, BackupError, backup_key, expired, parse_backup
from tileshop_pipelines.transfer.bucket import Bucket, BucketError, IncompleteUpload, StoredObject

PREFIX = "backups/"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def backup(text: str) -> Backup:
    return Backup(backup_key(PREFIX, at(text)), at(text))


# --- names -----------------------------------------------------------------------------------------
def test_a_backup_key_names_its_time_in_utc_and_reads_back():
    taken = dt.datetime(2026, 12, 7, 5, 0, 3, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    key = backup_key(PREFIX, taken)
    assert key == "backups/tileshop-20261207T110003Z.dump"
    assert parse_backup(PREFIX, key, 42) == Backup(key, at("2026-12-07 11:00:03"), 42)
    assert backup_key("", taken) == "tileshop-20261207T110003Z.dump"


@pytest.mark.parametrize(
    "key",
    [
        "backups/tileshop-20261207T110003Z.dump.partial",  # not the shape
        "backups/old/tileshop-20261207T110003Z.dump",  # a sub-folder's
        "other/tileshop-20261207T110003Z.dump",  # another prefix's
        "backups/tileshop-20261307T110003Z.dump",  # month 13: the shape of a time, not a time
        "backups/tileshop-20261207T110003Z.sql",
        "backups/notes.txt",
        "dagster/compute-logs/storage/1b2c/compute_logs/abc.err",
    ],
)
def test_keys_that_are_not_our_backups_are_not_read_as_backups(key):
    assert parse_backup(PREFIX, key) is None


def test_s3_urls():
    assert backups.parse_s3_url("s3://tileshop-prod/backups/tileshop-20261207T110003Z.dump") == (
        "tileshop-prod",
        "backups/tileshop-20261207T110003Z.dump",
    )
    assert backups.parse_s3_url("/tmp/tileshop.dump") is None
    for bad in ("s3://", "s3://bucket", "s3://bucket/", "s3:///key"):
        with pytest.raises(BackupError, match="s3://BUCKET/KEY"):
            backups.parse_s3_url(bad)


# --- retention (pure) ------------------------------------------------------------------------------
def test_retention_keeps_the_newest_of_each_of_the_last_n_days_with_backups():
    chosen = [
        backup(t)
        for t in (
            "2026-11-01 05:00:00",  # old
            "2026-11-20 05:00:00",  # old
            "2026-12-01 05:00:00",
            "2026-12-01 14:30:00",  # two on one day: the later is kept
            "2026-12-05 05:00:00",  # days 2-4 had none (failed): not counted
            "2026-12-06 05:00:00",
            "2026-12-06 05:00:01",
        )
    ]
    gone = expired(chosen, keep_days=3)
    assert [b.taken_at for b in gone] == [
        at("2026-11-01 05:00:00"),
        at("2026-11-20 05:00:00"),
        at("2026-12-01 05:00:00"),
        at("2026-12-06 05:00:00"),
    ]
    kept = {b.key for b in chosen} - {b.key for b in gone}
    assert kept == {
        backup_key(PREFIX, at(t)) for t in ("2026-12-01 14:30:00", "2026-12-05 05:00:00", "2026-12-06 05:00:01")
    }
    assert expired(chosen, keep_days=30) == [backup("2026-12-01 05:00:00"), backup("2026-12-06 05:00:00")]
    assert expired([], keep_days=1) == []
    assert [b.taken_at for b in expired(chosen, keep_days=1)] == sorted(b.taken_at for b in chosen)[:-1]
    with pytest.raises(ValueError, match="keep_days"):
        expired(chosen, keep_days=0)


def test_stale_uploads_are_our_backup_keys_begun_over_a_day_ago():
    now = at("2026-12-07 05:00:00")
    uploads = [
        IncompleteUpload(backup_key(PREFIX, at("2026-12-05 05:00:00")), "a", at("2026-12-05 05:00:00")),
        IncompleteUpload(backup_key(PREFIX, at("2026-12-07 04:00:00")), "b", at("2026-12-07 04:00:00")),
        IncompleteUpload("backups/someone-elses.bin", "c", at("2026-11-01 00:00:00")),
    ]
    assert [u.upload_id for u in backups.stale_uploads(uploads, PREFIX, now)] == ["a"]


def test_backups_among_a_listing_newest_first():
    listing = [
        StoredObject(backup_key(PREFIX, at(t)), n, at(t))
        for n, t in ((1, "2026-12-01 05:00:00"), (2, "2026-12-03 05:00:00"), (3, "2026-12-02 05:00:00"))
    ]
    listing.append(StoredObject("backups/readme.txt", 9, at("2026-12-09 00:00:00")))
    assert [b.size for b in backups.backups_among(listing, PREFIX)] == [2, 3, 1]


# --- against the S3 server -------------------------------------------------------------------------
@pytest.fixture
def bucket(s3, monkeypatch) -> Bucket:
    for name, value in s3.proxy_env().items():
        monkeypatch.setenv(name, value)
    return Bucket.configured(BucketSettings.load(s3.env(s3.new_bucket())))


FOREIGN = [
    "backups/old/tileshop-20201207T050000Z.dump",
    "backups/notes.txt",
    "tileshop-20201207T050000Z.dump",
    "dagster/compute-logs/storage/run/compute_logs/x.err",
    "backups/tileshop-20201207T050000Z.dump.partial",
]


def _put(s3, bucket: Bucket, keys) -> None:
    for key in keys:
        s3.client().put_object(Bucket=bucket.name, Key=key, Body=b"x")


def test_prune_deletes_only_expired_backups_and_never_anything_else(s3, bucket):
    dates = [
        "2026-11-01 05:00:00",
        "2026-12-04 05:00:00",
        "2026-12-05 05:00:00",
        "2026-12-05 09:00:00",
        "2026-12-06 05:00:00",
    ]
    _put(s3, bucket, [backup_key(PREFIX, at(t)) for t in dates] + FOREIGN)
    new = backup_key(PREFIX, at("2026-12-06 05:00:00"))
    report = backups.prune(bucket, PREFIX, 2, new_key=new, now=at("2026-12-06 05:00:10"))
    assert report["deleted"] == [backup_key(PREFIX, at(t)) for t in dates[:3]]
    assert sorted(s3.keys(bucket.name)) == sorted(FOREIGN + [backup_key(PREFIX, at("2026-12-05 09:00:00")), new])


def test_prune_deletes_nothing_unless_the_listing_shows_the_new_backup(s3, bucket):
    _put(s3, bucket, [backup_key(PREFIX, at("2026-11-01 05:00:00"))])
    with pytest.raises(BackupError, match="does not show .*nothing was deleted"):
        backups.prune(
            bucket, PREFIX, 1, new_key=backup_key(PREFIX, at("2026-12-06 05:00:00")), now=at("2026-12-06 05:00:10")
        )
    assert s3.keys(bucket.name) == [backup_key(PREFIX, at("2026-11-01 05:00:00"))]


def test_prune_never_deletes_the_new_backup_when_a_later_one_of_its_day_exists(s3, bucket):
    later, new = backup_key(PREFIX, at("2026-12-06 23:00:00")), backup_key(PREFIX, at("2026-12-06 05:00:00"))
    _put(s3, bucket, [later, new])
    with pytest.raises(BackupError, match="would delete the new backup"):
        backups.prune(bucket, PREFIX, 1, new_key=new, now=at("2026-12-06 05:00:10"))
    assert s3.keys(bucket.name) == sorted([later, new])


def test_prune_aborts_our_uploads_left_incomplete(s3, bucket):
    new = backup_key(PREFIX, at("2026-12-06 05:00:00"))
    _put(s3, bucket, [new])
    client = s3.client()
    ours = client.create_multipart_upload(Bucket=bucket.name, Key=backup_key(PREFIX, at("2026-12-04 05:00:00")))
    theirs = client.create_multipart_upload(Bucket=bucket.name, Key="backups/big-video.mp4")
    # begun "now" in the server's clock: a day later in prune's
    report = backups.prune(bucket, PREFIX, 7, new_key=new, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert report["aborted_uploads"] == [backup_key(PREFIX, at("2026-12-04 05:00:00"))]
    left = client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", [])
    assert [u["UploadId"] for u in left] == [theirs["UploadId"]]
    assert ours["UploadId"] not in {u["UploadId"] for u in left}


def test_a_backup_never_replaces_an_object(s3, bucket, tmp_path):
    now = at("2026-12-06 05:00:00")
    key = backup_key(PREFIX, now)
    s3.client().put_object(Bucket=bucket.name, Key=key, Body=b"the earlier backup")
    with pytest.raises(BackupError, match="exists; a backup never replaces one"):
        backups.back_up("postgresql://nobody@127.0.0.1:1/none", bucket, PREFIX, 7, tmp_path, now=now)
    assert s3.read(bucket.name, key) == b"the earlier backup"


def test_a_failed_dump_uploads_nothing(s3, bucket, make_database, tmp_path):
    missing = server.with_database(make_database(), "tileshop_no_such_database")
    with pytest.raises(Exception, match="tileshop_no_such_database"):
        backups.back_up(missing, bucket, PREFIX, 7, tmp_path / "work")
    assert s3.keys(bucket.name) == [] and bucket.incomplete_uploads("") == []
    assert list((tmp_path / "work").iterdir()) == []


def test_a_download_whose_hash_differs_restores_nothing(s3, bucket, make_database, tmp_path):
    key = backup_key(PREFIX, at("2026-12-06 05:00:00"))
    body = b"PGDMP not really a dump"
    s3.client().put_object(
        Bucket=bucket.name, Key=key, Body=body, Metadata={"sha256": hashlib.sha256(b"what was uploaded").hexdigest()}
    )
    target = make_database()
    with pytest.raises(BackupError, match="downloaded with sha256 .* its metadata says .*nothing was restored"):
        backups.restore_backup(bucket, key, target, tmp_path)
    with server.open_database(target) as conn:
        assert server.user_objects(conn, ["public"]) == {}
    assert list(tmp_path.iterdir()) == []  # the download was removed


def test_the_latest_backup_and_an_empty_folder(s3, bucket):
    with pytest.raises(BackupError, match=f"no backup in s3://{bucket.name}/backups/"):
        backups.latest_backup(bucket, PREFIX)
    _put(
        s3,
        bucket,
        [backup_key(PREFIX, at(t)) for t in ("2026-12-05 05:00:00", "2026-12-06 05:00:00")]
        + ["backups/tileshop-20991231T000000Z.dump.partial"],
    )
    assert backups.latest_backup(bucket, PREFIX).taken_at == at("2026-12-06 05:00:00")


def test_restoring_a_missing_object_names_it(bucket, make_database, tmp_path):
    with pytest.raises(BucketError, match=f"s3://{bucket.name}/backups/nothing.dump .*404"):
        backups.restore_backup(bucket, "backups/nothing.dump", make_database(), tmp_path)
