"""Fixtures of the app's tests: the Anthropic stand-in, app clients (the sample index, `index_url`, is
the root conftest's: the assistant's tests search it too)."""

from __future__ import annotations

import contextlib
import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from rag_app.config import MAX_REQUEST_LINE_BYTES, Settings, load_settings
from rag_app.main import create_app
from tileshop_pipelines.serving.metrics_server import serve_metrics
from tileshop_pipelines.serving.server import server_config

from .anthropic_standin import AnthropicStandIn

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}  # the admin endpoints' header


@pytest.fixture(scope="session")
def anthropic_standin():
    with AnthropicStandIn() as server:
        yield server


@pytest.fixture
def standin(anthropic_standin):
    anthropic_standin.reset()
    yield anthropic_standin
    anthropic_standin.reset()


def settings_for(**overrides) -> Settings:
    """Test settings: generous rate limits unless a test sets its own; Dagster nowhere by default.
    Never the shell's environment: an ANTHROPIC_API_KEY there does not turn Claude on."""
    base = {
        "rate_limit_per_minute": 100_000,
        "rate_limit_burst": 10_000,
        "admin_token": ADMIN_TOKEN,
        "dagster_graphql_url": "http://127.0.0.1:9/graphql",
    }
    return load_settings({}, **{**base, **overrides})


def claude_settings(standin: AnthropicStandIn, **overrides) -> Settings:
    return settings_for(
        **{
            "anthropic_api_key": standin.api_key,
            "anthropic_base_url": standin.base_url,
            "claude_max_retries": 2,
            "claude_timeout_s": 5.0,
            **overrides,
        }
    )


@contextlib.contextmanager
def app_client(index_url: str, settings: Settings):
    with TestClient(create_app(settings, database_url=index_url)) as client:
        yield client


@pytest.fixture(scope="module")
def offline_client(index_url):
    with app_client(index_url, settings_for()) as client:
        yield client


def metrics_text(app) -> str:
    """The app's Prometheus exposition, as its metrics listener serves it (`python -m rag_app`:
    METRICS_PORT; the app itself has no /metrics route)."""
    return generate_latest(app.state.metrics.registry).decode()


@contextlib.contextmanager
def served_app(index_url: str, settings: Settings, log_level: str = "warning", metrics_port: int | None = None):
    """The app on a real uvicorn server (port 0) in a thread, configured as `python -m rag_app`
    serves it; yields its base URL. `metrics_port`: its /metrics listener there too, as
    `python -m rag_app` runs it."""
    app = create_app(settings, database_url=index_url)
    config = server_config(
        app,
        "127.0.0.1",
        0,
        max_request_line_bytes=MAX_REQUEST_LINE_BYTES,
        max_header_bytes=settings.max_header_bytes,
        log_level=log_level,
        lifespan="on",
    )
    metrics = serve_metrics(app.state.metrics.registry, "127.0.0.1", metrics_port) if metrics_port else None
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        if metrics is not None:
            metrics.close()
