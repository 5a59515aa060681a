"""The S3-compatible server the tests use in place of Fly's Tigris: moto's server mode on 127.0.0.1
(a port of its own), spoken to by the real boto3 client over HTTP. Its buckets live in memory in
this process; each test makes buckets of its own (`new_bucket`).

Tigris answers only virtual-hosted requests (https://BUCKET.fly.storage.tigris.dev/KEY) for buckets
created since 2025-02-19. So does this stand-in as the code sees it: its endpoint is
http://s3.tigris.test:PORT, a name no DNS answers, and the clients reach it through moto itself
as their HTTP proxy (`env`: HTTP_PROXY), which serves BUCKET.s3.tigris.test by its Host header; a
path-style request there finds no bucket. Only the operator's client (`client`) talks to
127.0.0.1 directly (NO_PROXY)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

# Any keys do for moto; these are what the settings are given, and what the log tests look for.
ACCESS_KEY_ID = "tid_testaccesskey0000"
SECRET_ACCESS_KEY = "tsec_test-secret-access-key-000000000000"


@dataclass
class S3Server:
    port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://s3.tigris.test:{self.port}"

    def proxy_env(self) -> dict[str, str]:
        """HTTP through moto (the per-bucket host names); 127.0.0.1 and localhost directly."""
        proxy, direct = f"http://127.0.0.1:{self.port}", "127.0.0.1,localhost,::1"
        return {"HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": direct, "no_proxy": direct}

    def client(self):
        """A boto3 client as an operator's (the buckets are created with it, as `fly storage create` does)."""
        return boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET_ACCESS_KEY,
        )

    def new_bucket(self) -> str:
        name = f"tileshop-test-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str) -> dict[str, str]:
        """The variables `fly storage create` sets, for `bucket` on this server (region `auto`, as
        Tigris), and the proxy that reaches it."""
        return {
            "BUCKET_NAME": bucket,
            "AWS_ENDPOINT_URL_S3": self.endpoint_url,
            "AWS_REGION": "auto",
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            **self.proxy_env(),
        }

    def read(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    try:
        yield S3Server(port)
    finally:
        server.stop()
