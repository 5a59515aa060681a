"""The bucket through the real boto3 client against the S3-compatible server (moto's, on
127.0.0.1): an object whole with its metadata, multipart uploads, deletes of exactly the keys
named, errors naming the bucket and key without the secret, and an upload killed mid-way leaving
no object behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tileshop_pipelines.bootstrap import BucketSettings
from tileshop_pipelines.transfer.bucket import Bucket, BucketError

from ..support.ports import free_port
from ..support.s3_server import SECRET_ACCESS_KEY

PART = 5 * 1024 * 1024  # S3's smallest part
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bucket(s3, monkeypatch) -> Bucket:
    for name, value in s3.proxy_env().items():
        monkeypatch.setenv(name, value)
    return Bucket.configured(BucketSettings.load(s3.env(s3.new_bucket())), part_bytes=PART)


def test_upload_head_download_keep_bytes_and_metadata(bucket, tmp_path):
    data = os.urandom(3 * PART + 12345)  # multipart: four parts
    (tmp_path / "in").write_bytes(data)
    seen = []
    bucket.upload(tmp_path / "in", "backups/a.dump", {"sha256": "abc"}, progress=seen.append)
    assert sum(seen) == len(data)
    assert bucket.head("backups/a.dump") == (len(data), {"sha256": "abc"})
    assert bucket.exists("backups/a.dump") and not bucket.exists("backups/b.dump")
    bucket.download("backups/a.dump", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == data
    assert [(o.key, o.size) for o in bucket.list("backups/")] == [("backups/a.dump", len(data))]
    assert bucket.incomplete_uploads("") == []


def test_delete_removes_exactly_the_keys_named(s3, bucket):
    for key in ("backups/1", "backups/2", "backups/3", "other/1"):
        s3.client().put_object(Bucket=bucket.name, Key=key, Body=b"x")
    bucket.delete(["backups/1", "backups/3"])
    assert s3.keys(bucket.name) == ["backups/2", "other/1"]
    bucket.delete([])
    assert s3.keys(bucket.name) == ["backups/2", "other/1"]


@pytest.mark.slow  # 1,005 puts: ~6 s
def test_listing_pages_through_more_than_one_answer(s3, bucket):
    client = s3.client()
    for i in range(1005):  # list_objects_v2 answers 1,000 at most
        client.put_object(Bucket=bucket.name, Key=f"many/{i:04d}", Body=b"")
    assert len(bucket.list("many/")) == 1005


def test_the_stand_in_answers_virtual_hosted_requests_only_as_tigris_does(s3, bucket):
    """Why Bucket (and bootstrap's AWS config for Dagster) ask boto3 for virtual-hosted addressing:
    boto3's default for an endpoint_url, path-style, finds no bucket at Tigris (new buckets) or here."""
    import boto3
    from botocore.exceptions import ClientError

    path_style = boto3.client(
        "s3", endpoint_url=s3.endpoint_url, region_name="auto", aws_access_key_id="a", aws_secret_access_key="b"
    )
    with pytest.raises(ClientError, match="NoSuchBucket"):
        path_style.list_objects_v2(Bucket=bucket.name)
    assert bucket.list("") == []


def test_errors_name_the_bucket_and_key_never_the_secret(s3, monkeypatch):
    for name, value in s3.proxy_env().items():
        monkeypatch.setenv(name, value)
    missing = Bucket("tileshop-no-such-bucket", BucketSettings.load(s3.env("tileshop-no-such-bucket")))
    with pytest.raises(BucketError, match=r"listing s3://tileshop-no-such-bucket/backups/ .*NoSuchBucket") as caught:
        missing.list("backups/")
    assert SECRET_ACCESS_KEY not in str(caught.value)
    down = {**s3.env("tileshop-x"), "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{free_port()}"}
    unreachable = Bucket("tileshop-x", BucketSettings.load(down))
    with pytest.raises(BucketError, match=r"reading s3://tileshop-x/k \(endpoint http://127.0.0.1:\d+\)") as caught:
        unreachable.head("k")
    assert SECRET_ACCESS_KEY not in str(caught.value)


def test_no_bucket_configured_says_what_to_set():
    with pytest.raises(BucketError, match="BUCKET_NAME and AWS_ENDPOINT_URL_S3.*fly storage create"):
        Bucket.configured(BucketSettings.load({}))


UPLOADER = """
import sys, time
from pathlib import Path
from tileshop_pipelines.bootstrap import bucket_settings
from tileshop_pipelines.transfer.bucket import Bucket
# a slow network: each chunk the transfer reads waits a little
Bucket.configured(bucket_settings(), part_bytes=int(sys.argv[3])).upload(
    Path(sys.argv[1]), sys.argv[2], {"sha256": "x"}, progress=lambda n: time.sleep(0.02))
print("completed")
"""


@pytest.mark.slow
def test_an_upload_killed_midway_leaves_no_object(s3, tmp_path):
    """SIGKILL while parts are arriving: the key never appears (S3 completes a multipart upload only
    when asked); the incomplete upload is left for retention to abort (test_backups)."""
    name = s3.new_bucket()
    source = tmp_path / "big.dump"
    source.write_bytes(os.urandom(8 * PART))
    key = "backups/tileshop-20261206T050000Z.dump"
    child = subprocess.Popen(
        [sys.executable, "-c", UPLOADER, str(source), key, str(PART)],
        env={**os.environ, **s3.env(name), "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = s3.client()
    deadline = time.monotonic() + 60
    parts = 0
    while not parts and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
            parts = len(client.list_parts(Bucket=name, Key=key, UploadId=upload["UploadId"]).get("Parts", []))
    os.kill(child.pid, signal.SIGKILL)
    out, err = child.communicate()
    assert parts, f"no part arrived before the upload ended: {out} {err}"
    assert "completed" not in out
    assert s3.keys(name) == []
    assert [u["Key"] for u in client.list_multipart_uploads(Bucket=name)["Uploads"]] == [key]
