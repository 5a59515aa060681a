"""Guards: admin bearer token, per-client rate limits, body and query size limits, CORS."""

from __future__ import annotations

import select
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from rag_app.security import RateLimiter

from .conftest import ADMIN, ADMIN_TOKEN, app_client, metrics_text, served_app, settings_for


def test_token_bucket_refills_at_the_sustained_rate():
    limiter = RateLimiter(per_minute=60, burst=2)
    assert limiter.take("a", now=0.0) == 0 and limiter.take("a", now=0.0) == 0
    assert limiter.take("a", now=0.0) == pytest.approx(1.0)  # one token per second
    assert limiter.take("b", now=0.0) == 0  # per client
    assert limiter.take("a", now=1.0) == 0


def test_rate_limit_answers_429_with_retry_after(index_url):
    with app_client(index_url, settings_for(rate_limit_per_minute=6, rate_limit_burst=3)) as client:
        codes = [client.get("/api/products/search", params={"color": "White"}).status_code for _ in range(3)]
        limited = client.post("/api/chat", json={"query": "white tile"})
        assert codes == [200, 200, 200]
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert "rate limit" in limited.json()["detail"]
        # liveness stays reachable under the limit
        assert client.get("/api/system/health").status_code == 200
        assert "tileshop_requests_rate_limited_total 1.0" in metrics_text(client.app)


def test_body_size_limit_by_content_length_and_chunked(index_url):
    with app_client(index_url, settings_for(max_body_bytes=4096)) as client:
        big = {"query": "tile", "conversation_history": [{"role": "user", "content": "x" * 3000}] * 2}
        response = client.post("/api/chat", json=big)
        assert response.status_code == 413 and "4096 bytes" in response.json()["detail"]

        def chunks():
            yield b'{"query": "tile", "conversation_history": ['
            for _ in range(10):
                yield b'{"role": "user", "content": "' + b"y" * 1000 + b'"},'
            yield b'{"role": "user", "content": "end"}]}'

        chunked = client.post("/api/chat", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413
        assert client.post("/api/chat", json={"query": "white tile"}).status_code == 200


def test_query_over_2000_characters_is_422(offline_client):
    response = offline_client.post("/api/chat", json={"query": "a" * 2001})
    assert response.status_code == 422 and "2000" in response.text
    assert offline_client.post("/api/chat", json={"query": "a" * 2000}).status_code == 200


@pytest.mark.parametrize("path, method", [("/api/acquisition/start", "POST"), ("/api/acquisition/status", "GET")])
def test_admin_endpoints_need_the_bearer_token(offline_client, path, method):
    assert offline_client.request(method, path).status_code == 401
    wrong = offline_client.request(method, path, headers={"Authorization": "Bearer " + "x" * len(ADMIN_TOKEN)})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert offline_client.request(method, path, headers={"Authorization": ADMIN_TOKEN}).status_code == 401
    # With the right token the request reaches Dagster, which these settings point at a closed port.
    right = offline_client.request(method, path, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert right.status_code == 502 and "unreachable" in right.json()["detail"]


def test_admin_endpoints_disabled_without_a_token(index_url):
    with app_client(index_url, settings_for(admin_token=None)) as client:
        response = client.post("/api/acquisition/start", headers={"Authorization": "Bearer anything"})
        assert response.status_code == 403 and "TILESHOP_ADMIN_TOKEN" in response.json()["detail"]


def test_cors_only_for_configured_origins(index_url):
    settings = settings_for(cors_origins=("https://shop.example",))
    with app_client(index_url, settings) as client:
        allowed = client.options(
            "/api/chat", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
        )
        assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
        other = client.get("/api/system/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with app_client(index_url, settings_for()) as client:
        default = client.get("/api/system/health", headers={"Origin": "https://shop.example"})
        assert "access-control-allow-origin" not in default.headers


def test_rate_limit_is_per_client_over_real_http(index_url):
    """Over a real socket the client address is the key: a flood from one address is cut off."""
    with served_app(index_url, settings_for(rate_limit_per_minute=60, rate_limit_burst=5)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            codes = [client.get("/api/products/search", params={"color": "Blue"}).status_code for _ in range(8)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}


def test_detailed_health_needs_the_admin_token_and_liveness_says_only_up(offline_client, index_url):
    anonymous = offline_client.get("/api/system/detailed-health")
    assert anonymous.status_code == 401 and "components" not in anonymous.text
    wrong = offline_client.get("/api/system/detailed-health", headers={"Authorization": "Bearer " + "x" * 32})
    assert wrong.status_code == 401 and "components" not in wrong.text
    assert "components" in offline_client.get("/api/system/detailed-health", headers=ADMIN).json()
    assert offline_client.get("/api/system/health").json() == {"status": "ok"}
    with app_client(index_url, settings_for(admin_token=None)) as client:
        assert client.get("/api/system/detailed-health", headers=ADMIN).status_code == 403


def test_x_forwarded_for_never_picks_the_rate_limit_bucket(index_url):
    """Over a real uvicorn from loopback (which uvicorn's proxy-headers default trusts): a client
    sending a new X-Forwarded-For, or a Fly-Client-IP while no Fly proxy is configured, each time
    is still one client."""
    with served_app(index_url, settings_for(rate_limit_per_minute=60, rate_limit_burst=3)) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            codes = [
                client.get(
                    "/api/products/search",
                    params={"color": "Blue"},
                    headers={"X-Forwarded-For": f"10.0.0.{i}", "Fly-Client-IP": f"10.1.0.{i}"},
                ).status_code
                for i in range(6)
            ]
    assert codes == [200] * 3 + [429] * 3


def test_behind_fly_the_client_is_fly_client_ip(index_url):
    settings = settings_for(rate_limit_per_minute=60, rate_limit_burst=3, fly_app_name="tileshop-rag")
    with served_app(index_url, settings) as base:
        with httpx.Client(base_url=base, timeout=30) as client:

            def search(headers):
                return client.get("/api/products/search", params={"color": "Blue"}, headers=headers).status_code

            shoppers = [search({"Fly-Client-IP": f"203.0.113.{i}"}) for i in range(6)]  # one proxy, six shoppers
            one = [search({"Fly-Client-IP": "198.51.100.7", "X-Forwarded-For": f"10.0.0.{i}"}) for i in range(5)]
    assert shoppers == [200] * 6
    assert one == [200] * 3 + [429] * 2


def _raw_request(base: str, head: bytes, chunk: int = 16 * 1024) -> tuple[bytes, int]:
    """Send `head` in chunks until the server answers; returns (its answer, bytes sent)."""
    parts = urlsplit(base)
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        while sent < len(head):
            try:
                sock.sendall(head[sent : sent + chunk])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(head[sent : sent + chunk])
            if select.select([sock], [], [], 0.01)[0]:
                break  # the server answered before the head was complete
        answer = b""
        try:
            while data := sock.recv(65536):  # to the close: every answer here closes the connection
                answer += data
        except ConnectionResetError:
            pass
    return answer, sent


def _head(headers: list[tuple[str, str]]) -> bytes:
    lines = [
        "GET /api/products/search?color=Blue HTTP/1.1",
        "Host: 127.0.0.1",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_header_count_and_size_limits_over_a_real_socket(index_url):
    with served_app(index_url, settings_for()) as base:
        with httpx.Client(base_url=base, timeout=30) as client:

            def search(headers):
                return client.get("/api/products/search", params={"color": "Blue"}, headers=headers)

            # The app's limits: 100 headers, 16 KB of names and values (httpx adds 5 headers of its own).
            assert search({f"x-h{i}": "v" for i in range(90)}).status_code == 200
            too_many = search({f"x-h{i}": "v" for i in range(101)})
            assert too_many.status_code == 431 and "at most 100" in too_many.json()["detail"]
            assert search({"x-big": "v" * 12_000}).status_code == 200
            too_big = search({"x-big": "v" * 20_000})
            assert too_big.status_code == 431 and "at most 16384" in too_big.json()["detail"]
        # Heads past the parser's bound are refused as they arrive, never read whole.
        for head in (
            _head([("x-big", "v" * 1_000_000)]),
            _head([(f"x-h{i}", "v") for i in range(20_000)]),
            _head([("x-big", "v" * 50_000_000)]),
        ):
            started = time.monotonic()
            answer, sent = _raw_request(base, head)
            assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
            assert sent <= 256 * 1024 and time.monotonic() - started < 10
        with httpx.Client(base_url=base, timeout=30) as client:  # and the server goes on serving
            assert client.get("/api/products/search", params={"color": "Blue"}).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/", "/static/chat.js", "/api/system/health", "/api/products/search?color=Blue", "/api/products/search", "/docs"],
)
def test_every_answer_forbids_framing_and_sniffing(offline_client, path):
    response = offline_client.get(path)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    if path == "/":  # the chat page runs only its own script
        assert "'unsafe-inline'" not in policy and "script-src" not in policy and "default-src 'self'" in policy


def test_headers_also_on_refusals(index_url):
    with app_client(index_url, settings_for()) as client:
        refused = client.get("/api/products/search", headers={f"x-h{i}": "v" for i in range(101)})
        assert refused.status_code == 431 and refused.headers["x-frame-options"] == "DENY"
