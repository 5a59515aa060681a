"""Admission control: past the searches-in-flight limit a request is refused at once (503 with
Retry-After), never queued; the admitted ones finish."""

from __future__ import annotations

import asyncio
import time

import httpx
import psycopg
import pytest

from rag_app.admission import AdmissionGate, Overloaded

from ..support.ports import free_port
from .conftest import served_app, settings_for


def test_gate_admits_up_to_its_limit_and_frees_places_on_error():
    gate = AdmissionGate(limit=2, retry_after_s=3)
    with gate.admit(), gate.admit():
        assert gate.in_flight == 2
        with pytest.raises(Overloaded) as refused:
            with gate.admit():
                pass
        assert refused.value.retry_after_s == 3 and "2 searches already in flight" in str(refused.value)
    assert gate.in_flight == 0
    with pytest.raises(RuntimeError):
        with gate.admit():
            raise RuntimeError("the search failed")
    assert gate.in_flight == 0  # a failed search gives its place back
    with gate.admit():
        assert gate.in_flight == 1


def test_gate_refuses_a_limit_below_one():
    with pytest.raises(ValueError, match="at least 1"):
        AdmissionGate(limit=0)


@pytest.mark.slow
def test_a_full_app_sheds_with_503_and_the_admitted_searches_finish(index_url):
    """Two searches are admitted and held up by a real lock on the products table; every other
    request, chat, streamed chat or search, is refused at once, and succeeds once the lock goes."""
    settings = settings_for(max_in_flight_searches=2, db_pool_size=4)
    metrics_port = free_port()
    scrape = f"http://127.0.0.1:{metrics_port}/metrics"  # the app's metrics listener, as deployed
    with served_app(index_url, settings, metrics_port=metrics_port) as base, psycopg.connect(index_url) as locker:

        async def scenario():
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                await client.post("/api/chat", json={"query": "warm the encoder and vocabulary"})
                locker.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
                held = [
                    asyncio.create_task(client.get("/api/products/search", params={"q": f"white tile {i}"}))
                    for i in range(2)
                ]
                deadline = time.monotonic() + 20
                while "tileshop_query_embedding_duration_seconds_count 3.0" not in (await client.get(scrape)).text:
                    assert time.monotonic() < deadline, "the held searches never reached the database"
                    await asyncio.sleep(0.02)  # both held searches are past the encoder, at the lock
                held_metrics = (await client.get(scrape)).text
                refused = [
                    await client.post("/api/chat", json={"query": "grout for marble"}),
                    await client.post("/api/chat/stream", json={"query": "grout for marble"}),
                    await client.get("/api/products/search", params={"q": "blue tile"}),
                    await client.get("/api/products/search", params={"color": "White"}),
                ]
                assert not any(task.done() for task in held)
                locker.rollback()  # the lock goes
                finished = await asyncio.gather(*held)
                after = await client.post("/api/chat/stream", json={"query": "grout for marble"})
                metrics = (await client.get(scrape)).text
                return refused, finished, after, metrics, held_metrics

        refused, finished, after, metrics, held_metrics = asyncio.run(scenario())
    assert "tileshop_searches_in_flight 2.0" in held_metrics  # the gate's count, as /metrics reports it
    assert 'tileshop_db_pool_connections{state="in_use"} 2.0' in held_metrics  # both held searches hold one
    assert "tileshop_searches_in_flight 0.0" in metrics
    for response in refused:
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "1"
        assert response.headers["content-type"] == "application/json"
        assert "at capacity" in response.json()["detail"]
    assert [r.status_code for r in finished] == [200, 200]
    assert all(r.json()["products"] for r in finished)
    assert after.status_code == 200 and "event: products" in after.text
    assert "tileshop_requests_shed_total 4.0" in metrics
