"""The app's metrics and monitoring rollups under made-up requests, through a real uvicorn server:
every label and rollup key comes from a closed set."""

from __future__ import annotations

import datetime as dt
import secrets
import time

import httpx

from tileshop_pipelines.store import db

from .conftest import served_app, settings_for

JUNK_REQUESTS = 300
METHOD_CHARS = 2048


def junk_method() -> str:
    return "X" + secrets.token_hex(METHOD_CHARS // 2)[: METHOD_CHARS - 1].upper()


def test_made_up_methods_and_paths_add_no_label_and_no_rollup_key(index_url):
    started = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    with served_app(index_url, settings_for(analytics_flush_s=0.2)) as base, httpx.Client(base_url=base) as client:
        client.get("/api/products/search", params={"q": "white tile"})
        client.request("BREW", "/nowhere")  # one of each label value first: later growth is the junk's
        client.request("BREW", "/api/chat")
        before = len(client.get("/metrics").content)
        statuses = set()
        for i in range(JUNK_REQUESTS):
            path = "/api/chat" if i % 3 == 0 else f"/no/such/{secrets.token_hex(8)}"  # matched route and not
            statuses.add(client.request(junk_method(), path).status_code)
        metrics = client.get("/metrics").text
        time.sleep(1.0)  # two background flushes
    assert statuses <= {404, 405}
    assert len(metrics.encode()) - before < 2_000, "junk requests grew /metrics"
    methods = {line.split('method="')[1].split('"')[0] for line in metrics.splitlines()
               if line.startswith("tileshop_http_requests_total{")}
    assert methods <= {"GET", "POST", "OTHER"}
    with db.connect(index_url) as conn:
        keys = conn.execute("SELECT DISTINCT method, route FROM request_rollups WHERE minute >= %s", (started,)).fetchall()
        junk = conn.execute("SELECT coalesce(sum(requests), 0) FROM request_rollups WHERE minute >= %s AND method = 'OTHER'",
                            (started,)).fetchone()[0]
    assert {m for m, _ in keys} <= {"GET", "POST", "OTHER"}
    assert all(r.startswith("/") or r == "unmatched" for _, r in keys)
    # Other tests share this database: the junk's own keys are the two its made-up methods can reach.
    assert {key for key in keys if key[0] == "OTHER"} <= {("OTHER", "/api/chat"), ("OTHER", "unmatched")}
    assert junk == JUNK_REQUESTS + 2  # every request still counted, under one key per route
