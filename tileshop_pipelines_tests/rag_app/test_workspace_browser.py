"""The catalog pages in headless Chromium (Debian's package): the list asks for the admin token,
then searches, filters, sorts and pages; the product page shows the record, the versions with
what changed, the price chart, the crawl state, the held suspect version and the Dagster links.
Screenshots: test-artifacts/catalog_list.png, catalog_product.png, catalog_suspect.png."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from .conftest import ADMIN_TOKEN, served_app, settings_for
from .test_browser import ARTIFACTS, browser  # noqa: F401  (the Chromium fixture)
from .test_workspace import FORMULA_NAME, N, workspace  # noqa: F401  (the workspace database)

pytestmark = pytest.mark.slow  # chromium


def test_catalog_pages(browser, workspace):  # noqa: F811
    settings = settings_for(dagster_graphql_url="http://127.0.0.1:3000/graphql")
    ARTIFACTS.mkdir(exist_ok=True)
    with served_app(workspace["url"], settings) as base:
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        refused = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(base + "/admin/catalog")
        page.locator("#login").wait_for(state="visible")
        page.fill("#token", ADMIN_TOKEN)
        page.click("#login button")
        page.locator("body[data-loaded=true]").wait_for(timeout=20_000)
        assert page.locator("#count").inner_text() == f"{N} products"
        assert page.locator("#products tbody tr").count() == 50
        assert page.locator("#page").inner_text() == "page 1 of 2"
        page.click("#next")
        page.locator("#page", has_text="page 2 of 2").wait_for()
        assert page.locator("#products tbody tr").count() == N - 50

        page.click("#products th[data-sort=price]")
        page.locator("#products th.sorted[data-sort=price]").wait_for()
        page.click("#products th[data-sort=price]")
        page.locator("#products th.sorted.desc[data-sort=price]").wait_for()
        prices = [
            float(t.split("/")[0].lstrip("$"))
            for t in page.locator("#products tbody td.num:nth-child(6)").all_inner_texts()
            if t != "–"
        ]
        assert prices == sorted(prices, reverse=True) and len(prices) > 10
        # a stored name is shown as text, never run as markup or a formula
        assert page.locator("#products td", has_text=FORMULA_NAME).count() == 1
        page.screenshot(path=str(ARTIFACTS / "catalog_list.png"), full_page=True)

        page.select_option("#filters [name=suspect]", "true")
        page.click("#filters button[type=submit]")
        page.locator("#count", has_text="1 products").wait_for()
        assert page.locator("#products tbody tr").get_attribute("data-key") == workspace["suspect"]
        assert page.locator("#products .badge.suspect").count() == 1

        page.goto(f"{base}/admin/catalog/product?key={quote(workspace['changed'])}")
        page.locator("body[data-loaded=true]").wait_for(timeout=20_000)
        assert page.locator("#versions tbody tr").count() == 2
        assert "Glossy (changed)" in page.locator("#versions tbody tr[data-version='2']").inner_text()
        assert page.locator("#price-chart path.line").count() == 1
        assert page.locator("#price-chart circle").count() == 2
        partition = page.locator("#links a[data-link=partition]").get_attribute("href")
        assert (
            partition.startswith("http://127.0.0.1:3000/assets/products?") and quote(workspace["changed"]) in partition
        )
        assert page.locator("#crawl").inner_text().startswith("State\tnever fetched")
        assert page.locator("#recrawl").is_visible()
        page.screenshot(path=str(ARTIFACTS / "catalog_product.png"), full_page=True)

        # Re-crawl now with no Dagster at 127.0.0.1:3000 (nothing there in this test): a clear error
        page.click("#recrawl")
        page.locator("#error", has_text="not launched").wait_for(timeout=20_000)

        page.goto(f"{base}/admin/catalog/product?key={quote(workspace['suspect'])}")
        page.locator("body[data-loaded=true]").wait_for(timeout=20_000)
        assert page.locator("#suspect-box").is_visible()
        assert "price became null" in page.locator("#suspect").inner_text()
        page.screenshot(path=str(ARTIFACTS / "catalog_suspect.png"), full_page=True)
        assert refused == []
        page.close()
