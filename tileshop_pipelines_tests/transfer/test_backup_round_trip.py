"""The backup's round trip through the S3-compatible server (moto's, spoken to by the real boto3
client, virtual-hosted as Tigris wants: support/s3_server.py): a database the pipeline filled ->
the `database_backup` job, run by Dagster on an instance configured as the image's (its compute
logs in the bucket) -> `tileshop db restore --latest-backup` into a new database -> `tileshop
transfer verify` finds them equal. Retention, through the job, over earlier backups of chosen
dates and objects that are not backups."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import boto3
import dagster as dg
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.store import db, server
from tileshop_pipelines.transfer import dumps
from tileshop_pipelines.transfer.backups import backup_key
from tileshop_pipelines.transfer.verify import verify

from ..support.s3_server import SECRET_ACCESS_KEY
from ..support.sample_site import environment

pytestmark = pytest.mark.slow  # a dump, Dagster runs, tileshop in processes, verify's model

N_PRODUCTS = 60  # the session's materialized catalog (test_pipeline, test_round_trip)
ROOT = Path(__file__).resolve().parents[2]
PREFIX = "backups/"
KEEP_DAYS = 3
# Objects in the bucket that are not backups: retention leaves every one alone.
FOREIGN = [
    "backups/notes.txt",
    "backups/archive/tileshop-20250101T050000Z.dump",
    "tileshop-20250101T050000Z.dump",
    "backups/tileshop-20250101T050000Z.dump.partial",
]


def _tileshop(*argv: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", *argv],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture(scope="module")
def source(materialized_site, make_database, tmp_path_factory) -> str:
    """A copy of the materialized site's database (records, vectors, Dagster's history of the
    pipeline's runs): the backup's source, which nothing else changes."""
    site = materialized_site(N_PRODUCTS, 7)
    path = tmp_path_factory.mktemp("site") / "site.dump"
    dumps.dump(site.database_url, path)
    copy = make_database()
    dumps.restore(path, copy)
    return copy


@pytest.fixture(scope="module")
def backed_up(source, s3, make_database, tmp_path_factory) -> dict:
    """The bucket holding earlier backups of chosen dates and foreign objects, then the
    database_backup job run by Dagster over `source`. Dagster's own storage for this run is another
    database, so the source stays exactly what the backup holds."""
    bucket = s3.new_bucket()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today = now.replace(hour=0, minute=0, second=0)
    earlier = {
        name: backup_key(PREFIX, when)
        for name, when in {
            "today_earlier": max(today, now - dt.timedelta(minutes=5)),
            "yesterday_late": today - dt.timedelta(hours=2),
            "yesterday_early": today - dt.timedelta(hours=20),
            "two_days_ago": today - dt.timedelta(days=2),
            "five_days_ago": today - dt.timedelta(days=5),
            "forty_days_ago": today - dt.timedelta(days=40),
        }.items()
    }
    for key in [*earlier.values(), *FOREIGN]:
        s3.client().put_object(Bucket=bucket, Key=key, Body=b"an earlier object")
    home = tmp_path_factory.mktemp("backup_home")
    env = {
        **s3.env(bucket),
        "TILESHOP_HOME": str(home),
        "DATABASE_URL": source,
        "TILESHOP_AUTOMATION": "off",
        "DAGSTER_PG_URL": bootstrap.dagster_storage_url(make_database()),
        "TILESHOP_BACKUP_KEEP_DAYS": str(KEEP_DAYS),
    }
    with environment(env), pytest.MonkeyPatch.context() as patch:
        # Dagster's compute log manager uses boto3's default session: made anew, as in a fresh
        # process, it reads the AWS config bootstrap writes (virtual-hosted addressing, the region).
        patch.setattr(boto3, "DEFAULT_SESSION", None)
        for name in ("DAGSTER_HOME", "AWS_CONFIG_FILE"):
            os.environ.pop(name, None)
        env.update(bootstrap.configure_environment(db.database_url()))
        from tileshop_pipelines.definitions import defs

        with warnings.catch_warnings(), dg.DagsterInstance.get() as instance:
            warnings.simplefilter("ignore")
            compute_logs = type(instance.compute_log_manager).__name__
            result = (
                defs()
                .resolve_job_def("database_backup")
                .execute_in_process(
                    instance=instance, run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}}
                )
            )
    assert result.success
    output = result.output_for_node("back_up_database")
    metadata = {
        k: v.value
        for k, v in next(
            e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"
        ).event_specific_data.metadata.items()
    }
    return {
        "bucket": bucket,
        "env": env,
        "earlier": earlier,
        "url": output,
        "metadata": metadata,
        "run_id": result.run_id,
        "compute_logs": compute_logs,
    }


def test_the_job_uploads_a_whole_dump_and_retention_keeps_n_days(backed_up, s3):
    bucket, earlier, metadata = backed_up["bucket"], backed_up["earlier"], backed_up["metadata"]
    key = backed_up["url"].removeprefix(f"s3://{bucket}/")
    assert re.fullmatch(r"backups/tileshop-\d{8}T\d{6}Z\.dump", key)
    body = s3.read(bucket, key)
    assert body.startswith(b"PGDMP") and len(body) == metadata["bytes"] > 100_000
    head = s3.client().head_object(Bucket=bucket, Key=key)
    assert head["Metadata"]["sha256"] == metadata["sha256"]
    # kept: the new backup, the newest of yesterday and of two days ago (3 days that have backups)
    kept = sorted([key, earlier["yesterday_late"], earlier["two_days_ago"]])
    assert sorted(s3.keys(bucket, PREFIX)) == sorted([*kept, *(k for k in FOREIGN if k.startswith(PREFIX))])
    assert s3.keys(bucket, "tileshop-") == ["tileshop-20250101T050000Z.dump"]
    assert sorted(metadata["deleted"]) == sorted(
        earlier[n] for n in ("today_earlier", "yesterday_early", "five_days_ago", "forty_days_ago")
    )
    print(
        f"\nbackup: {metadata['bytes']:,} bytes, dump {metadata['dump_s']:.2f} s, upload {metadata['upload_s']:.2f} s"
    )


def test_the_runs_output_lands_in_the_bucket(backed_up, s3):
    """The instance as bootstrap configures it with a bucket: Dagster's S3 compute log manager; the
    run's stderr (our log lines) is an object under dagster/compute-logs/, no secret in it."""
    assert backed_up["compute_logs"] == "S3ComputeLogManager"
    bucket, run_id = backed_up["bucket"], backed_up["run_id"]
    keys = s3.keys(bucket, f"dagster/compute-logs/storage/{run_id}/")
    assert keys and all(k.endswith((".err", ".out")) for k in keys)  # empty .out skipped
    stderr = b"".join(s3.read(bucket, k) for k in keys if k.endswith(".err")).decode()
    assert f"uploaded {backed_up['url']}" in stderr and "dumped " in stderr
    assert SECRET_ACCESS_KEY not in stderr


def test_restore_latest_backup_into_a_new_database_is_verified_equal(backed_up, source, make_database, s3):
    target = make_database()
    out = _tileshop("db", "restore", "--latest-backup", "--to", target, env=backed_up["env"])
    assert out.returncode == 0, out.stderr
    figures = re.search(r"downloaded ([\d,]+) bytes in ([\d.]+) s, sha256 checked\) into .* in ([\d.]+) s", out.stdout)
    assert out.stdout.startswith(f"restored {backed_up['url']} ") and figures, out.stdout
    report = verify(source, target)
    assert report["ok"], report["differences"]
    with server.open_database(target) as conn:  # Dagster's history came along, in the same database
        assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] >= 3
    assert not list((Path(backed_up["env"]["TILESHOP_HOME"]) / "backups").iterdir())  # the download is gone
    print(
        f"\nrestore: download {figures.group(2)} s, pg_restore {figures.group(3)} s; verify: "
        f"{report['compared']['rows']} hashed rows, {report['compared']['tables']} tables equal"
    )
    # the same object by its URL into the now non-empty database: refused, left as it was
    again = _tileshop("db", "restore", backed_up["url"], "--to", target, env=backed_up["env"])
    assert again.returncode == 2 and "is not empty" in again.stderr
    assert verify(source, target)["ok"]


def test_backups_lists_what_retention_kept(backed_up):
    out = _tileshop("db", "backups", "--json", env=backed_up["env"])
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert [b["url"] for b in listed][0] == backed_up["url"] and len(listed) == KEEP_DAYS
    assert [b["taken_at"] for b in listed] == sorted((b["taken_at"] for b in listed), reverse=True)


def test_restore_arguments_and_a_missing_bucket(backed_up, make_database):
    both = _tileshop(
        "db", "restore", backed_up["url"], "--latest-backup", "--to", make_database(), env=backed_up["env"]
    )
    assert both.returncode == 2 and "one of FILE, s3://BUCKET/KEY or --latest-backup" in both.stderr
    no_bucket = {**backed_up["env"], "BUCKET_NAME": ""}
    out = _tileshop("db", "restore", "--latest-backup", "--to", make_database(), env=no_bucket)
    assert out.returncode == 2 and "no bucket is configured" in out.stderr
