"""The chat page in headless Chromium (Debian's package, driven by Playwright's Python API).

Streams a Claude answer from the stand-in, shows product cards, keeps the conversation across
turns, and shows a clear error when the rate limit refuses a question. The screenshot is saved
under test-artifacts/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tileshop_pipelines.bootstrap import PROJECT_ROOT

from .conftest import claude_settings, served_app

pytestmark = pytest.mark.slow  # chromium


ARTIFACTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        pytest.fail("Chromium is not installed: `make test` installs Debian's chromium package (see Makefile)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def test_chat_page_streams_answers_keeps_history_and_shows_errors(browser, index_url, standin):
    settings = claude_settings(standin, rate_limit_per_minute=2, rate_limit_burst=2)
    with served_app(index_url, settings) as base:
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        refused = []  # what the page's Content-Security-Policy blocked: nothing the page needs
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(base + "/")
        assert page.title() == "Tile Shop product assistant"

        page.fill("#question", "Marmi Imperiali Zenobia porcelain")
        page.click("#send")
        first = page.locator(".turn.assistant").nth(0)
        first.locator(".card").first.wait_for(timeout=30_000)
        assert first.locator(".mode").text_content() == "Claude"
        assert first.locator(".text").inner_text().startswith("From the catalog, SKU 684287")
        card = first.locator(".card").first
        assert "Marmi Imperiali Zenobia" in card.locator(".name").inner_text()
        assert card.locator(".price").inner_text() == "$77.11 / box"
        assert card.locator(".sku").inner_text() == "SKU 684287"
        assert card.get_attribute("href").endswith("-684287")
        # the scene7 image cannot load here: the card shows its placeholder instead of a broken image
        assert card.locator(".thumb").get_attribute("class") in ("thumb", "thumb broken")

        page.fill("#question", "does it come in white?")
        page.keyboard.press("Enter")
        page.locator(".turn.assistant").nth(1).locator(".mode").filter(has_text="Claude").wait_for(timeout=30_000)
        second_request = standin.messages_requests()[-1]["body"]["messages"]
        assert second_request[0] == {"role": "user", "content": "Marmi Imperiali Zenobia porcelain"}
        assert second_request[1]["role"] == "assistant"
        assert second_request[1]["content"][0]["text"].startswith("From the catalog, SKU 684287")
        assert len(standin.messages_requests()) == 2

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_page.png"), full_page=True)

        page.fill("#question", "and in blue?")
        page.click("#send")
        error = page.locator("#error")
        error.wait_for(state="visible", timeout=30_000)
        assert "Too many questions" in error.inner_text() and "seconds" in error.inner_text()
        assert page.input_value("#question") == "and in blue?"  # the question is kept for a retry
        assert page.locator(".turn.assistant").count() == 2
        page.screenshot(path=str(ARTIFACTS / "chat_page_rate_limited.png"), full_page=True)

        page.reload()  # the conversation survives a reload (sessionStorage)
        page.locator(".turn.assistant").nth(1).wait_for(timeout=10_000)
        assert page.locator(".turn.user").count() == 2
        assert refused == []
        page.close()
