"""The object storage bucket through boto3's S3 client: Fly's Tigris (`fly storage create`) or any
S3, at the endpoint and with the keys of bootstrap.BucketSettings. Only what the backups need:
list, upload, read an object's size and metadata, download, delete, and the multipart uploads left
incomplete. Every failure is a BucketError naming the bucket and the key, never a key's secret.

An upload is one PUT, or above MULTIPART_BYTES a multipart upload that S3 completes only when every
part arrived (boto3 aborts it on an error): an object is either whole under its key or absent.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tileshop_pipelines.bootstrap import BucketSettings

MULTIPART_BYTES = 64 * 1024 * 1024  # parts of this size too: a 1 GB dump is 16 parts
DELETE_BATCH = 1000  # DeleteObjects' limit per request


class BucketError(RuntimeError):
    """A bucket operation that failed; the message names the bucket and the key."""


@dataclasses.dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: dt.datetime


@dataclasses.dataclass(frozen=True)
class IncompleteUpload:
    key: str
    upload_id: str
    initiated: dt.datetime


class Bucket:
    """One bucket of the configured endpoint."""

    def __init__(self, name: str, settings: BucketSettings, part_bytes: int = MULTIPART_BYTES) -> None:
        self.name = name
        self.endpoint_url = settings.endpoint_url
        self._client = boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url,
            region_name=settings.region or None,
            aws_access_key_id=_value(settings.access_key_id),
            aws_secret_access_key=_value(settings.secret_access_key),
            # Virtual-hosted addressing (bucket.endpoint/key): Tigris answers nothing else for buckets
            # created since 2025-02-19, and boto3 sends path-style to an endpoint_url unless told.
            config=Config(
                s3={"addressing_style": "virtual"},
                retries={"mode": "standard", "max_attempts": 5},
                connect_timeout=10,
                read_timeout=60,
            ),
        )
        self._transfer = TransferConfig(multipart_threshold=part_bytes, multipart_chunksize=part_bytes)

    @classmethod
    def configured(cls, settings: BucketSettings, **options) -> Bucket:
        """BUCKET_NAME's bucket; a BucketError when none is configured."""
        if not settings.configured:
            raise BucketError(
                "no bucket is configured: set BUCKET_NAME and AWS_ENDPOINT_URL_S3 (and the keys); "
                "on Fly `fly storage create` sets them (docs/DEPLOY.md)"
            )
        return cls(settings.bucket_name, settings, **options)

    def url(self, key: str) -> str:
        return f"s3://{self.name}/{key}"

    def _failed(self, what: str, key: str | None, exc: Exception) -> BucketError:
        where = self.url(key) if key is not None else f"s3://{self.name}"
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            detail = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
        else:
            detail = f"{type(exc).__name__}: {exc}"
        return BucketError(f"{what} {where} (endpoint {self.endpoint_url or 'AWS default'}) failed: {detail}")

    def list(self, prefix: str) -> list[StoredObject]:
        """Every object whose key starts with `prefix`."""
        found = []
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix):
                found += [StoredObject(o["Key"], o["Size"], o["LastModified"]) for o in page.get("Contents", [])]
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("listing", prefix, exc) from exc
        return found

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.name, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise self._failed("reading", key, exc) from exc
        except BotoCoreError as exc:
            raise self._failed("reading", key, exc) from exc
        return True

    def head(self, key: str) -> tuple[int, dict[str, str]]:
        """(size, user metadata) of the object `key`."""
        try:
            head = self._client.head_object(Bucket=self.name, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("reading", key, exc) from exc
        return head["ContentLength"], head.get("Metadata", {})

    def upload(
        self, path: Path, key: str, metadata: dict[str, str], progress: Callable[[int], None] | None = None
    ) -> None:
        """The file `path` as the object `key` with `metadata`; `progress(bytes)` as parts go."""
        try:
            self._client.upload_file(
                str(path), self.name, key, ExtraArgs={"Metadata": metadata}, Config=self._transfer, Callback=progress
            )
        except (BotoCoreError, ClientError, S3UploadFailedError) as exc:
            raise self._failed("uploading to", key, exc) from exc

    def download(self, key: str, path: Path, progress: Callable[[int], None] | None = None) -> None:
        try:
            self._client.download_file(self.name, key, str(path), Config=self._transfer, Callback=progress)
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("downloading", key, exc) from exc

    def delete(self, keys: Iterable[str]) -> None:
        """Delete exactly these keys; a BucketError naming those S3 refused."""
        keys = list(keys)
        for i in range(0, len(keys), DELETE_BATCH):
            batch = keys[i : i + DELETE_BATCH]
            try:
                answer = self._client.delete_objects(
                    Bucket=self.name, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
                )
            except (BotoCoreError, ClientError) as exc:
                raise self._failed("deleting from", batch[0], exc) from exc
            if errors := answer.get("Errors"):
                raise BucketError(
                    f"deleting from s3://{self.name} failed for "
                    + ", ".join(f"{e['Key']} ({e.get('Code')})" for e in errors)
                )

    def incomplete_uploads(self, prefix: str) -> builtins.list[IncompleteUpload]:  # (list: the method above)
        """Multipart uploads under `prefix` begun and neither completed nor aborted."""
        found = []
        try:
            for page in self._client.get_paginator("list_multipart_uploads").paginate(Bucket=self.name, Prefix=prefix):
                found += [IncompleteUpload(u["Key"], u["UploadId"], u["Initiated"]) for u in page.get("Uploads", [])]
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("listing the uploads of", prefix, exc) from exc
        return found

    def abort(self, upload: IncompleteUpload) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self.name, Key=upload.key, UploadId=upload.upload_id)
        except (BotoCoreError, ClientError) as exc:
            raise self._failed("aborting the upload of", upload.key, exc) from exc


def _value(secret) -> str | None:
    return secret.get_secret_value() if secret is not None else None
