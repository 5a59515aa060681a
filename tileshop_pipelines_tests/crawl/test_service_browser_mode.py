"""The crawl service's browser mode (`python -m crawler`, as its image runs it): a page whose text
only exists once its JavaScript ran comes back rendered in `browser` mode and unrendered in
`http` mode, chosen per request or by CRAWLER_MODE; the service binds IPv6 and IPv4."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines_tests.crawl.service import LOCAL_SITE
from tileshop_pipelines_tests.support.local_server import LocalServer, QuietHandler
from tileshop_pipelines_tests.support.ports import free_port

pytestmark = pytest.mark.slow  # the crawl service in a process, and chromium


TOKEN = "test-token-browser-5d1c"
# The word is assembled by the script: it is in the page's text only after the script ran.
PAGE = (
    b"<!doctype html><html><head><title>js page</title></head><body><div id=out></div>"
    b"<script>document.getElementById('out').textContent = ['rendered', 'by', 'script'].join('-');</script>"
    b"</body></html>"
)

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None, reason="needs Debian's chromium (make test installs it)"
)


@pytest.fixture(scope="module")
def js_site():
    class Handler(QuietHandler):
        def do_GET(self):
            self.answer(200, PAGE, "text/html; charset=utf-8")

    with LocalServer(Handler) as server:
        yield f"{server.base_url}/page"


def _start_service(**env_values):
    port = free_port("::")
    env = {
        **os.environ,
        "CRAWLER_TOKEN": TOKEN,
        "PORT": str(port),
        "PYTHONPATH": str(bootstrap.PROJECT_ROOT),
        **LOCAL_SITE,
        **env_values,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler"],
        env=env,
        cwd=bootstrap.PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://[::1]:{port}/health", timeout=1).status_code == 200:
                return proc, port
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            return proc, port
        assert time.monotonic() < deadline, "the crawl service did not start"
        time.sleep(0.2)


def _stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _crawl(base: str, url: str, **fields) -> dict:
    response = httpx.post(
        f"{base}/crawl", json={"urls": [url], **fields}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=90
    )
    assert response.status_code == 200, response.text
    return response.json()["results"][0]


@pytest.fixture(scope="module")
def http_default_service():
    proc, port = _start_service()
    assert proc.poll() is None, proc.stderr.read().decode()
    yield port
    _stop(proc)


def test_the_service_answers_on_ipv4_and_ipv6(http_default_service):
    for host in ("127.0.0.1", "[::1]"):
        assert httpx.get(f"http://{host}:{http_default_service}/health", timeout=5).json() == {"status": "ok"}


@needs_chromium
def test_browser_mode_per_request_renders_what_http_mode_does_not(http_default_service, js_site):
    base = f"http://127.0.0.1:{http_default_service}"
    plain = _crawl(base, js_site)
    rendered = _crawl(base, js_site, mode="browser")
    assert plain["status_code"] == rendered["status_code"] == 200
    assert "rendered-by-script" not in plain["html"]
    assert "rendered-by-script" in rendered["html"]


@needs_chromium
def test_crawler_mode_browser_is_the_default_for_requests_that_name_none(js_site):
    proc, port = _start_service(CRAWLER_MODE="browser")
    try:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert "rendered-by-script" in _crawl(f"http://[::1]:{port}", js_site)["html"]
        assert "rendered-by-script" not in _crawl(f"http://[::1]:{port}", js_site, mode="http")["html"]
    finally:
        _stop(proc)


def test_browser_mode_without_chromium_refuses_to_start_naming_the_variable(tmp_path):
    proc, _ = _start_service(CRAWLER_MODE="browser", TILESHOP_CHROMIUM="", PATH=str(tmp_path))
    try:
        proc.wait(timeout=60)
        assert proc.returncode != 0
        assert "TILESHOP_CHROMIUM" in proc.stderr.read().decode()
    finally:
        _stop(proc)


def test_an_unknown_mode_is_refused(http_default_service, js_site):
    response = httpx.post(
        f"http://127.0.0.1:{http_default_service}/crawl",
        json={"urls": [js_site], "mode": "ftp"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 422
