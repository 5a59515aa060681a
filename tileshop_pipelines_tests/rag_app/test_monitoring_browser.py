"""The monitoring page in headless Chromium (Debian's package): asks for the admin token, then shows
the checks, tiles, charts and question lists drawn from /api/admin/monitoring. The screenshot is
saved as test-artifacts/monitoring_page.png."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from .conftest import ADMIN_TOKEN, served_app, settings_for
from .test_browser import ARTIFACTS, browser  # noqa: F401  (the Chromium fixture)
from .test_monitoring import record_dagster_history

pytestmark = pytest.mark.slow  # chromium


def test_monitoring_page_shows_checks_charts_and_questions(browser, index_url, tmp_path):  # noqa: F811
    run_id = record_dagster_history(index_url, tmp_path / "dagster")
    tag = uuid.uuid4().hex[:6]
    relaxed_q = f"white tile under $1 ({tag})"
    markup_q = f"<img src=x onerror=alert(1)> tile {tag}"
    # behind Fly's proxy (as the proxy would, the test names each shopper in Fly-Client-IP): the
    # frequent list shows a question only once more than one visitor asked it
    settings = settings_for(
        analytics_flush_s=0.5, dagster_graphql_url="http://127.0.0.1:3000/graphql", fly_app_name="tileshop-test"
    )
    with served_app(index_url, settings) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            for i, query in enumerate(
                ("porcelain floor tile", "porcelain floor tile", "grout for white tile", relaxed_q, markup_q, markup_q)
            ):
                assert (
                    client.post(
                        "/api/chat", json={"query": query}, headers={"Fly-Client-IP": f"203.0.113.{i % 2 + 1}"}
                    ).status_code
                    == 200
                )
            assert (
                client.post("/api/chat", json={"query": f"glass mosaic {tag}", "filters": {"max_price": 0.01}}).json()[
                    "products"
                ]
                == []
            )
            assert client.get("/api/products/search", params={"q": "white tile"}).status_code == 200
            assert client.get("/api/products/000000").status_code == 404

        page = browser.new_page(viewport={"width": 1300, "height": 1500})
        refused = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(base + "/admin/monitoring")
        assert page.title() == "Tile Shop monitoring"
        page.locator("#login").wait_for(state="visible")
        page.fill("#token", "not-the-admin-token-at-all")
        page.click("#login button")
        page.locator("#error").filter(has_text="wrong").wait_for(timeout=10_000)

        page.fill("#token", ADMIN_TOKEN)
        page.click("#login button")
        page.locator("body[data-loaded=true]").wait_for(timeout=20_000)
        # the flush every 0.5 s has stored the requests: reload until the last chat shows
        for _ in range(20):
            if page.locator("#unmet td", has_text=f"glass mosaic {tag}").count():
                break
            page.wait_for_timeout(500)
            page.reload()
            page.locator("body[data-loaded=true]").wait_for(timeout=20_000)

        assert page.locator("#login").is_hidden()  # the tab keeps the token across reloads
        checks = page.locator(".check")
        assert checks.count() == 5
        assert page.locator(".check[data-check=vectors_fresh]").get_attribute("class") == "check pass"
        assert page.locator(".check[data-check=scraping_success]").get_attribute("class") == "check no_data"
        for name in ("query_times", "rag_latency", "error_rate"):
            assert page.locator(f".check[data-check={name}]").get_attribute("class") in ("check pass", "check fail")
        assert "green" in page.locator(".check[data-check=vectors_fresh]").inner_text()

        answers = page.locator("[data-tile='Answers 24 h'] .value").inner_text()
        assert int(answers) >= 7
        assert "offline" in page.locator("[data-tile='Answers 24 h'] .detail").inner_text()
        assert page.locator("[data-tile='DB connections'] .value").inner_text().count("/") == 1

        assert page.locator("#frequent td", has_text="porcelain floor tile").count() >= 1
        unmet = page.locator("#unmet tbody tr", has_text=relaxed_q.lower())
        assert unmet.count() == 1 and "max_price: 1" in unmet.inner_text()
        assert page.locator("#unmet td", has_text=f"glass mosaic {tag}").count() == 1
        # a shopper's markup is shown as text, never run
        assert (
            page.locator("#frequent td, #unmet td").filter(has_text=f"<img src=x onerror=alert(1)> tile {tag}").count()
            >= 1
        )
        assert page.locator("#frequent img, #unmet img").count() == 0

        link = page.locator(f"#runs a[href$='/runs/{run_id}']")
        assert link.count() == 1 and link.get_attribute("href") == f"http://127.0.0.1:3000/runs/{run_id}"
        assert page.locator("#routes td").filter(has_text=re.compile(r"^POST /api/chat$")).count() == 1

        p95 = page.locator("#chart-latency path[data-series=p95_ms]")
        assert p95.count() == 1 and p95.get_attribute("d").startswith("M")
        assert page.locator("#chart-errors path[data-series=requests]").count() == 1
        page.click(".toggle button[data-window='1h']")
        assert page.locator("#chart-latency circle").count() >= 1

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "monitoring_page.png"), full_page=True)
        assert refused == []
        page.close()
