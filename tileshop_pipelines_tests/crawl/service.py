"""Start the crawl service as it is deployed (`python -m crawler`, real uvicorn) for a test."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import httpx

from tileshop_pipelines import bootstrap

from ..support.ports import free_port

TOKEN = "test-token-0f3a"
# The sample catalog and the crafted sites listen on 127.0.0.1: the tests name it explicitly.
LOCAL_SITE = {"CRAWLER_ALLOWED_HOSTS": "127.0.0.1,localhost", "CRAWLER_PERMITTED_ADDRESSES": "127.0.0.1"}


@contextlib.contextmanager
def crawl_service(**env: str):
    """The service's base URL, with CRAWLER_TOKEN and `env` set (and nothing else of CRAWLER_*)."""
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLER_")}
    full = {**clean, "CRAWLER_TOKEN": TOKEN, "PYTHONPATH": str(bootstrap.PROJECT_ROOT), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=full,
        cwd=bootstrap.PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the crawl service did not start"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def post_crawl(url: str, body: dict, **kwargs) -> httpx.Response:
    return httpx.post(f"{url}/crawl", json=body, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60, **kwargs)
