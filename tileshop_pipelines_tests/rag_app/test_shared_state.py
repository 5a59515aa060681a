"""Several app processes sharing state through a real redis-server (Debian's package, started here
on a free port): one client spread over two `python -m rag_app` processes meets one rate limit,
and a question embedded by one process is not embedded again by the other."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import logging
import os
import shutil
import signal
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
from tileshop_pipelines_tests.rag_app.conftest import served_app, settings_for

from ..support.ports import free_port

pytestmark = pytest.mark.slow  # app processes and redis-server


BURST = 6


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """(URL, process) of a redis-server of this module's own."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed: `make test` installs Debian's redis-server package (see Makefile)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError as exc:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("redis-server did not start") from exc
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", proc
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def redis_url(redis_server) -> str:
    return redis_server[0]


class AppUrl(str):
    """An app process's base URL; `.metrics`: its /metrics listener's (METRICS_PORT)."""

    metrics: str


@contextlib.contextmanager
def app_processes(index_url: str, n: int, **env):
    """`n` app processes as deployed (`python -m rag_app`), each on free ports; yields AppUrls."""
    base_env = {
        **os.environ,
        "DATABASE_URL": index_url,
        "ANTHROPIC_API_KEY": "",
        "TILESHOP_ANALYTICS": "off",
        "PYTHONPATH": str(PROJECT_ROOT),
        **env,
    }
    procs, urls = [], []
    try:
        for _ in range(n):
            port, metrics_port = free_port(), free_port()
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "rag_app", "--port", str(port), "--log-level", "warning"],
                    env={**base_env, "METRICS_PORT": str(metrics_port)},
                    cwd=PROJECT_ROOT,
                    stdout=subprocess.DEVNULL,
                )
            )
            url = AppUrl(f"http://127.0.0.1:{port}")
            url.metrics = f"http://127.0.0.1:{metrics_port}/metrics"
            urls.append(url)
        for proc, url in zip(procs, urls, strict=True):
            wait_until_serving(proc, f"{url}/api/system/health", "the app", 120)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def lookups(base: AppUrl) -> dict[str, float]:
    text = httpx.get(base.metrics).text
    found = {}
    for line in text.splitlines():
        if line.startswith("tileshop_query_embedding_lookups_total{"):
            found[line.split('source="')[1].split('"')[0]] = float(line.split()[-1])
    return found


def test_two_processes_share_the_rate_limit_and_the_embedding_cache(index_url, redis_url):
    limits = {"TILESHOP_RATE_LIMIT_PER_MINUTE": "1", "TILESHOP_RATE_LIMIT_BURST": str(BURST)}
    with app_processes(index_url, 2, REDIS_URL=redis_url, **limits) as (a, b):
        # one client (127.0.0.1) alternating between the two processes: one bucket of BURST
        statuses = [
            httpx.get(f"{(a, b)[i % 2]}/api/products/search", params={"q": "white tile"}).status_code
            for i in range(BURST + 4)
        ]
        assert statuses == [200] * BURST + [429] * 4
        refused = httpx.get(f"{a}/api/products/search", params={"q": "white tile"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1

    question = f"porcelain floor tile {uuid.uuid4().hex[:6]}"
    with app_processes(index_url, 2, REDIS_URL=redis_url) as (a, b):
        assert httpx.post(f"{a}/api/chat", json={"query": question}, timeout=60).status_code == 200
        stored = redis.Redis.from_url(redis_url).get(
            "tileshop:query-embedding:all-MiniLM-L6-v2:" + hashlib.sha256(cache_key(question).encode()).hexdigest()
        )
        vector = np.frombuffer(stored, dtype=np.float32)
        assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
        before = lookups(b)
        assert httpx.post(f"{b}/api/chat", json={"query": f"  {question} "}, timeout=60).status_code == 200
        after = lookups(b)
        assert after.get("shared", 0) - before.get("shared", 0) == 1  # b found a's vector
        assert after.get("model", 0) == before.get("model", 0)  # and did not embed it again
        assert lookups(a).get("model") == 1


def test_without_redis_each_process_limits_on_its_own(index_url):
    with app_processes(index_url, 2, TILESHOP_RATE_LIMIT_PER_MINUTE="1", TILESHOP_RATE_LIMIT_BURST=str(BURST)) as (
        a,
        b,
    ):
        statuses = [
            httpx.get(f"{(a, b)[i % 2]}/api/products/search", params={"q": "white tile"}).status_code
            for i in range(2 * BURST + 2)
        ]
    assert statuses == [200] * (2 * BURST) + [429] * 2


def test_redis_down_the_process_s_own_limit_decides(index_url):
    with app_processes(
        index_url,
        1,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",
        TILESHOP_RATE_LIMIT_PER_MINUTE="1",
        TILESHOP_RATE_LIMIT_BURST="4",
    ) as (a,):
        # no Redis: this process's own bucket decides, and questions are embedded here
        assert [httpx.get(f"{a}/api/products/search", params={"q": "white tile"}).status_code for _ in range(3)] == [
            200
        ] * 3
        assert httpx.post(f"{a}/api/chat", json={"query": "white tile"}, timeout=60).status_code == 200
        assert httpx.get(f"{a}/api/products/search", params={"q": "white tile"}).status_code == 429
        scraped = httpx.get(a.metrics).text
        assert (
            'tileshop_redis_fallbacks_total{reason="timeout",use="rate_limit"}' in scraped
            or 'reason="unavailable",use="rate_limit"' in scraped
        )


CONCURRENT = 300
OWN_BURST = 30


def hammer(base: str, client_ip: str, n: int = CONCURRENT) -> collections.Counter:
    """`n` concurrent searches of one client (named in Fly-Client-IP, as Fly's proxy would); statuses."""

    async def run():
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            return await asyncio.gather(
                *(
                    client.get("/api/products/search", params={"q": "white tile"}, headers={"Fly-Client-IP": client_ip})
                    for _ in range(n)
                )
            )

    return collections.Counter(r.status_code for r in asyncio.run(run()))


def fallbacks(metrics_url: str) -> dict[tuple[str, str], float]:
    found = {}
    for line in httpx.get(metrics_url).text.splitlines():
        if line.startswith("tileshop_redis_fallbacks_total{"):
            labels = dict(part.split("=") for part in line[line.index("{") + 1 : line.index("}")].split(","))
            found[(labels["use"].strip('"'), labels["reason"].strip('"'))] = float(line.split()[-1])
    return found


def test_one_client_s_concurrent_requests_meet_its_burst_whatever_redis_does(index_url, redis_server, caplog):
    url, proc = redis_server
    settings = settings_for(
        redis_url=url,
        rate_limit_per_minute=1,
        rate_limit_burst=OWN_BURST,
        analytics=False,
        fly_app_name="tileshop-test",
        redis_max_connections=8,
    )
    control = redis.Redis.from_url(url)
    metrics_port = free_port()
    with (
        served_app(index_url, settings, metrics_port=metrics_port) as base,
        caplog.at_level(logging.WARNING, logger="rag_app.shared_state"),
    ):
        answering = hammer(base, "203.0.113.1")
        proc.send_signal(signal.SIGSTOP)  # frozen: connections time out, requests queue for the pool
        try:
            frozen = hammer(base, "203.0.113.2")
        finally:
            proc.send_signal(signal.SIGCONT)
        control.config_set("maxmemory", 1)  # out of memory (noeviction): the bucket's writes are refused
        try:
            out_of_memory = hammer(base, "203.0.113.3")
        finally:
            control.config_set("maxmemory", 0)
        counted = fallbacks(f"http://127.0.0.1:{metrics_port}/metrics")
    assert (answering[200], frozen[200], out_of_memory[200]) == (OWN_BURST,) * 3, (answering, frozen, out_of_memory)
    assert answering[429] == frozen[429] == out_of_memory[429] == CONCURRENT - OWN_BURST
    assert counted.get(("rate_limit", "out_of_memory")) == OWN_BURST
    # the frozen server's 30, and any that waited too long for a connection while 300 arrived at once
    assert (
        sum(
            n for (use, reason), n in counted.items() if use == "rate_limit" and reason in ("timeout", "pool_exhausted")
        )
        >= OWN_BURST
    )
    assert any("this process's own limit decides" in r.getMessage() for r in caplog.records)


def test_the_shared_embedding_cache_is_bounded_and_redis_memory_settings_are_checked(index_url, redis_url, caplog):
    control = redis.Redis.from_url(url := redis_url)
    question = f"glass subway tile {uuid.uuid4().hex[:6]}"
    settings = settings_for(redis_url=url, analytics=False)
    # Debian's redis-server as started here: no maxmemory, noeviction
    with caplog.at_level(logging.WARNING, logger="rag_app.shared_state"), served_app(index_url, settings) as base:
        assert httpx.post(f"{base}/api/chat", json={"query": question}, timeout=60).status_code == 200
    warned = [r.getMessage() for r in caplog.records if r.name == "rag_app.shared_state"]
    assert any("no maxmemory" in m for m in warned) and any("'noeviction'" in m for m in warned), warned
    key = "tileshop:query-embedding:all-MiniLM-L6-v2:" + hashlib.sha256(cache_key(question).encode()).hexdigest()
    assert 0 < control.ttl(key) <= 86_400  # a day, not a week
    assert control.memory_usage(key) < 2_000  # bytes a question (a 384-float vector and its key)

    caplog.clear()
    control.config_set("maxmemory", "64mb")
    control.config_set("maxmemory-policy", "allkeys-lru")
    try:
        with caplog.at_level(logging.WARNING, logger="rag_app.shared_state"), served_app(index_url, settings):
            pass
    finally:
        control.config_set("maxmemory", 0)
        control.config_set("maxmemory-policy", "noeviction")
    assert not [r for r in caplog.records if r.name == "rag_app.shared_state"]
