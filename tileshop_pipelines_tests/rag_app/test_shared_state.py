"""Several app processes sharing state through a real redis-server (Debian's package, started here
on a free port): one client spread over two `python -m rag_app` processes meets one rate limit,
and a question embedded by one process is not embedded again by the other."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import time
import uuid

import httpx
import numpy as np
import pytest
import redis

from rag_app.query_embedding import cache_key
from tileshop_pipelines.bootstrap import PROJECT_ROOT
from tileshop_pipelines.processes import wait_until_serving

from ..support.ports import free_port

pytestmark = pytest.mark.slow  # app processes and redis-server


BURST = 6


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: `make test` installs Debian's redis-server package (see Makefile)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@contextlib.contextmanager
def app_processes(index_url: str, n: int, **env):
    """`n` app processes as deployed (`python -m rag_app`), each on a free port; yields base URLs."""
    base_env = {**os.environ, "DATABASE_URL": index_url, "ANTHROPIC_API_KEY": "", "TILESHOP_ANALYTICS": "off",
                "PYTHONPATH": str(PROJECT_ROOT), **env}
    procs, urls = [], []
    try:
        for _ in range(n):
            port = free_port()
            procs.append(subprocess.Popen([sys.executable, "-m", "rag_app", "--port", str(port), "--log-level", "warning"],
                                          env=base_env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL))
            urls.append(f"http://127.0.0.1:{port}")
        for proc, url in zip(procs, urls):
            wait_until_serving(proc, f"{url}/api/system/health", "the app", 120)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def lookups(base: str) -> dict[str, float]:
    text = httpx.get(f"{base}/metrics").text
    found = {}
    for line in text.splitlines():
        if line.startswith("tileshop_query_embedding_lookups_total{"):
            found[line.split('source="')[1].split('"')[0]] = float(line.split()[-1])
    return found


def test_two_processes_share_the_rate_limit_and_the_embedding_cache(index_url, redis_url):
    limits = {"TILESHOP_RATE_LIMIT_PER_MINUTE": "1", "TILESHOP_RATE_LIMIT_BURST": str(BURST)}
    with app_processes(index_url, 2, REDIS_URL=redis_url, **limits) as (a, b):
        # one client (127.0.0.1) alternating between the two processes: one bucket of BURST
        statuses = [httpx.get(f"{(a, b)[i % 2]}/api/products/search", params={"q": "white tile"}).status_code
                    for i in range(BURST + 4)]
        assert statuses == [200] * BURST + [429] * 4
        refused = httpx.get(f"{a}/api/products/search", params={"q": "white tile"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1

    question = f"porcelain floor tile {uuid.uuid4().hex[:6]}"
    with app_processes(index_url, 2, REDIS_URL=redis_url) as (a, b):
        assert httpx.post(f"{a}/api/chat", json={"query": question}, timeout=60).status_code == 200
        stored = redis.Redis.from_url(redis_url).get(
            "tileshop:query-embedding:all-MiniLM-L6-v2:" + hashlib.sha256(cache_key(question).encode()).hexdigest())
        vector = np.frombuffer(stored, dtype=np.float32)
        assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
        before = lookups(b)
        assert httpx.post(f"{b}/api/chat", json={"query": f"  {question} "}, timeout=60).status_code == 200
        after = lookups(b)
        assert after.get("shared", 0) - before.get("shared", 0) == 1  # b found a's vector
        assert after.get("model", 0) == before.get("model", 0)  # and did not embed it again
        assert lookups(a).get("model") == 1


def test_without_redis_each_process_limits_on_its_own(index_url):
    with app_processes(index_url, 2, TILESHOP_RATE_LIMIT_PER_MINUTE="1", TILESHOP_RATE_LIMIT_BURST=str(BURST)) as (a, b):
        statuses = [httpx.get(f"{(a, b)[i % 2]}/api/products/search", params={"q": "white tile"}).status_code
                    for i in range(2 * BURST + 2)]
    assert statuses == [200] * (2 * BURST) + [429] * 2


def test_redis_down_fails_open(index_url):
    with app_processes(index_url, 1, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
                       TILESHOP_RATE_LIMIT_PER_MINUTE="1", TILESHOP_RATE_LIMIT_BURST="1") as (a,):
        # no Redis: requests go ahead (the limit cannot be shared) and questions are embedded here
        assert [httpx.get(f"{a}/api/products/search", params={"q": "white tile"}).status_code
                for _ in range(3)] == [200] * 3
        assert httpx.post(f"{a}/api/chat", json={"query": "white tile"}, timeout=60).status_code == 200
