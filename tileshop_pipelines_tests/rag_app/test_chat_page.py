"""The chat page's rendering in headless Chromium, through the real app: Claude's Markdown (and
hostile Markdown made inert), product cards with the record's facts, the estimate card.
Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from urllib.parse import urlsplit

import httpx
import pytest

from tileshop_pipelines.bootstrap import PROJECT_ROOT

from .anthropic_standin import search_results
from .conftest import claude_settings, served_app, settings_for
from .test_browser import ARTIFACTS, browser  # noqa: F401  (the Chromium fixture)

pytestmark = pytest.mark.slow  # chromium

VENDOR = PROJECT_ROOT / "rag_app" / "static" / "vendor"
SKU = "684287"
ESTIMATE_QUESTION = f"How many boxes of {SKU} do I need for a 10 x 12 ft bathroom floor?"
STORE_HOME = "https://www.tileshop.com/"

# What a compromised or confused model might write: each must come out as text, never as markup
# that runs, loads or links off the store.
HOSTILE = "\n\n".join(
    [
        "<script>window.__pwned = 'script'</script>",
        "<div onclick=\"window.__pwned = 'div'\">a raw HTML block</div>",
        "Inline <img src=x onerror=\"window.__pwned = 'img'\"> and <a href=\"javascript:window.__pwned='a'\">raw link</a>.",
        "[run this](javascript:window.__pwned='md') [pay here](http://evil.example/pay) "
        "[data link](data:text/html,<b>x</b>) [relative](/api/admin/reindex) [userinfo](https://www.tileshop.com@evil.example/)",
        "![tracker](https://evil.example/pixel.png) <https://evil.example/autolink> and http://evil.example/bare",
    ]
)


def markdown_answer(body: dict) -> tuple[str, None]:
    """The stand-in's answer as Markdown, naming and linking the first product the request carried."""
    results = search_results(body)
    assert results, "the request carried no products"
    first = results[0]
    text = (
        f"**Best match:** [{first['title']}]({first['source']}) from the catalog.\n\n"
        f"- sold by the *box*\n- see [the store]({STORE_HOME})\n\n{HOSTILE}"
    )
    return text, None


# Records what the answer's element ever held, from the first render to the last (the page
# re-renders the whole Markdown as deltas arrive): tags, event-handler attributes, links.
WATCH_ANSWERS = """
window.__seen = {pendingTags: [], tags: [], handlers: [], hrefs: []};
new MutationObserver((mutations) => {
  for (const m of mutations) {
    for (const node of m.addedNodes) {
      if (node.nodeType !== 1) continue;
      const text = node.closest('.turn.assistant .text');
      if (!text) continue;
      for (const el of [node, ...node.querySelectorAll('*')]) {
        window.__seen.tags.push(el.tagName);
        if (text.classList.contains('pending')) window.__seen.pendingTags.push(el.tagName);
        for (const a of el.attributes) if (a.name.startsWith('on')) window.__seen.handlers.push(a.name);
        if (el.hasAttribute('href')) window.__seen.hrefs.push(el.getAttribute('href'));
      }
    }
  }
}).observe(document, {childList: true, subtree: true});
"""


def ask(page, question: str):
    """Asks and waits for the answer's result (the mode badge is set only then); the answer turn."""
    before = page.locator(".turn.assistant").count()
    page.fill("#question", question)
    page.click("#send")
    turn = page.locator(".turn.assistant").nth(before)
    turn.locator(".mode:not(:empty)").wait_for(timeout=60_000)
    return turn


def record_of(base: str, sku: str) -> dict:
    response = httpx.get(f"{base}/api/products/{sku}", timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["products"][0]["record"]


def test_vendored_libraries_are_the_published_files():
    """The hashes in vendor/README.md are the files served (an edit or a partial update shows)."""
    readme = (VENDOR / "README.md").read_text()
    listed = dict((name, digest) for digest, name in re.findall(r"^\s+([0-9a-f]{64})\s+(\S+)$", readme, re.M))
    assert set(listed) == {"markdown-it.min.js", "purify.min.js"}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert (VENDOR / "markdown-it.LICENSE").read_text().startswith("Copyright")
    assert "Apache License" in (VENDOR / "dompurify.LICENSE").read_text()


def test_claude_markdown_renders_while_streaming_and_hostile_markup_is_inert(browser, index_url, standin):  # noqa: F811
    standin.compose = markdown_answer
    standin.delta_seconds = 0.03  # the answer streams over about two seconds
    with served_app(index_url, claude_settings(standin, claude_timeout_s=30.0)) as base:
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.add_init_script(WATCH_ANSWERS)
        refused, requested = [], []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("request", lambda r: requested.append(r.url))
        page.goto(base + "/")
        turn = ask(page, "Marmi Imperiali Zenobia porcelain")
        assert turn.locator(".mode").text_content() == "Claude"
        text = turn.locator(".text")
        product_url = turn.locator(".card").first.get_attribute("href")
        assert product_url and product_url.endswith(f"-{SKU}")

        # Markdown became HTML, and already while the answer streamed
        assert text.locator("strong").first.inner_text() == "Best match:"
        assert text.locator("ul > li").count() == 2 and text.locator("em").inner_text() == "box"
        seen = page.evaluate("window.__seen")
        assert {"STRONG", "LI"} <= set(seen["pendingTags"]), seen["pendingTags"]

        # links: the product's page and the store's home, nothing else, opened safely
        links = text.locator("a")
        assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [product_url, STORE_HOME]
        for i in range(links.count()):
            assert links.nth(i).get_attribute("target") == "_blank"
            assert links.nth(i).get_attribute("rel") == "noopener noreferrer"
        assert set(seen["hrefs"]) <= {product_url, STORE_HOME}, seen["hrefs"]

        # the hostile bits: shown as text, no element that runs or loads, no handler ever, no request
        shown = text.inner_text()
        for words in (
            "<script>window.__pwned = 'script'</script>",
            "<div onclick=",
            "<img src=x onerror=",
            "pay here",
            "run this",
            "data link",
            "relative",
            "userinfo",
            "!tracker",
            "http://evil.example/bare",
        ):
            assert words in shown, words
        assert not set(seen["tags"]) & {
            "SCRIPT",
            "IMG",
            "DIV",
            "IFRAME",
            "OBJECT",
            "EMBED",
            "STYLE",
            "FORM",
            "INPUT",
            "SVG",
            "MATH",
        }, seen["tags"]
        assert seen["handlers"] == []
        assert page.evaluate("window.__pwned") is None
        for i in range(links.count()):  # clicking what is left cannot run script either
            assert not links.nth(i).get_attribute("href").lower().startswith(("javascript:", "data:"))
        assert not [u for u in requested if "evil.example" in u]
        assert refused == []

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_markdown.png"), full_page=True)

        page.reload()  # the answer kept in sessionStorage renders the same way
        again = page.locator(".turn.assistant").first.locator(".text")
        again.locator("strong").first.wait_for(timeout=10_000)
        assert again.locator("a").count() == 2 and again.locator("img, script").count() == 0
        page.close()


def test_product_cards_show_the_records_facts(browser, index_url):  # noqa: F811
    with served_app(index_url, settings_for()) as base:
        record = record_of(base, SKU)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(base + "/")
        turn = ask(page, "Marmi Imperiali Zenobia porcelain")
        card = turn.locator(".card").filter(has_text=f"SKU {SKU}").first
        # today's fields
        assert card.locator(".name").inner_text() == record["name"]
        assert card.locator(".price").inner_text() == f"${record['price']:,.2f} / {record['price_unit']}"
        assert urlsplit(card.get_attribute("href")).path == urlsplit(record["url"]).path
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_product_cards.png"), full_page=True)
        # the record's facts (the API sends them once issue 22's fields are merged)
        for name in ("specs", "coverage", "price-sqft"):
            assert card.locator("." + name).count() == 1, f"the card shows no .{name}: the API sent none"
        assert card.locator(".specs").inner_text() == " · ".join([record["size"], record["color"], record["finish"]])
        assert card.locator(".coverage").inner_text() == f"{record['coverage_sqft_per_box']:g} sq. ft. per box"
        assert card.locator(".price-sqft").inner_text() == f"${record['price_per_sqft']:,.2f} / sq. ft."
        page.close()


def test_estimate_card_shows_boxes_total_and_arithmetic(browser, index_url):  # noqa: F811
    with served_app(index_url, settings_for()) as base:
        record = record_of(base, SKU)
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(base + "/")
        turn = ask(page, ESTIMATE_QUESTION)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_estimate.png"), full_page=True)
        card = turn.locator(".estimate")
        assert card.count() == 1, "no estimate card: the API sent no estimate"
        # the figures the card shows follow from the record and the stated waste
        waste = float(re.search(r"Waste\s*([\d.]+)%", card.inner_text()).group(1))
        area = 10 * 12
        boxes = math.ceil(round(area * (1 + waste / 100), 6) / record["coverage_sqft_per_box"])
        assert card.locator(".units").inner_text() == f"{boxes} boxes"
        assert card.locator(".total").inner_text() == f"${boxes * record['price']:,.2f}"
        assert f"{record['name']}, SKU {SKU}" == card.locator(".product").inner_text()
        facts = card.locator(".facts").inner_text()
        assert f"{area} sq. ft." in facts and f"{record['coverage_sqft_per_box']:g} sq. ft. per box" in facts
        assert card.locator(".arithmetic li").count() >= 3  # area, waste, coverage and the rounding up
        page.close()


def test_cheapest_first_says_its_sort_and_the_cards_follow_it(browser, index_url):  # noqa: F811
    question = "cheapest white porcelain floor tile"
    with served_app(index_url, settings_for()) as base:
        # The basis is the tool's choice (per sq. ft. when most matches are sold by area): the page
        # must say the one the API used, and its cards must follow it.
        sort = httpx.post(f"{base}/api/chat", json={"query": question}, timeout=60).json()["sort"]
        basis = {"sqft": "price per sq. ft.", "unit": "price per selling unit"}[sort["basis"]]
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(base + "/")
        turn = ask(page, question)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_cheapest.png"), full_page=True)
        assert turn.locator(".sort").count() == 1, "no sort line: the API sent no sort"
        assert turn.locator(".sort").inner_text() == f"Sorted by {basis}, lowest first."
        cards = turn.locator(".cards > .card")
        prices = []  # each card's price on that basis: per sq. ft. (its own line, or the price when
        for i in range(cards.count()):  # sold by the sq. ft.), or the selling unit's price
            card = cards.nth(i)
            if sort["basis"] == "sqft":
                text = (
                    card.locator(".price-sqft").inner_text()
                    if card.locator(".price-sqft").count()
                    else card.locator(".price").inner_text()
                )
                assert text.endswith(" / sq. ft."), text
            else:
                text = card.locator(".price").inner_text()
            prices.append(float(text.removeprefix("$").split(" ")[0].replace(",", "")))
        assert len(prices) >= 2
        assert prices == sorted(prices)
        page.close()


def stored_passage(conn, passage: dict) -> dict:
    """What the database holds for a passage the API returned: its document's row (the URL it was
    fetched from), the page's stored text, the document's title as its chunks name it, and the
    products linking it now (sku -> name)."""
    row = conn.execute("SELECT document_id, url FROM documents WHERE url = %s", (passage["url"],)).fetchone()
    assert row, f"no stored document at {passage['url']}"
    document_id, url = row
    (text,) = conn.execute(
        "SELECT text FROM document_pages WHERE document_id = %s AND page_number = %s", (document_id, passage["page"])
    ).fetchone()
    titles = {
        t for (t,) in conn.execute("SELECT DISTINCT title FROM document_chunks WHERE document_id = %s", (document_id,))
    }
    linked = dict(
        conn.execute(
            "SELECT p.sku, p.name FROM document_links l JOIN products p USING (product_key)"
            " WHERE l.document_id = %s AND l.unlinked_at IS NULL",
            (document_id,),
        ).fetchall()
    )
    return {"url": url, "page_text": text, "titles": titles, "linked": linked}


def words(text: str) -> str:
    return " ".join(text.split())


def test_a_how_to_answer_quotes_each_passage_once_in_one_numbered_list_true_to_the_stored_documents(browser, index_url):  # noqa: F811
    """The offline how-to answer: each passage once (in the answer, not again under it), the passages
    one numbered list (1, 2, 3 with each quotation inside its item), and what each item says is what
    the database holds: the document's title and page, a product linking it, the quoted words on that
    stored page, and the link the URL the document was fetched from, whose page says those words."""
    from pypdf import PdfReader

    from tileshop_pipelines.store import db

    question = "How do I install tile over a concrete slab?"
    with served_app(index_url, settings_for()) as base:
        passages = httpx.post(f"{base}/api/chat", json={"query": question}, timeout=60).json()["passages"]
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        page.goto(base + "/")
        turn = ask(page, question)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "chat_how_to.png"), full_page=True)
        assert len(passages) >= 2 and all(p["quoted"] for p in passages), passages
        assert turn.locator(".passages").count() == 0  # quoted in the answer: not shown a second time
        lists = turn.locator(".text > ol")
        assert lists.first.get_attribute("start") in (None, "1")
        items = lists.first.locator(":scope > li")
        assert items.count() == len(passages)  # one list: the second passage is item 2, not a new list's 1
        assert turn.locator("blockquote").count() == len(passages)  # a quotation each, and no other
        with db.connect(index_url) as conn:
            for i, passage in enumerate(passages):
                item, stored = items.nth(i), stored_passage(conn, passage)
                head = item.inner_text().split("\n")[0]
                (title,) = [t for t in stored["titles"] if head.startswith(f"{t}, page {passage['page']}")]
                sku, name = re.search(r", for (.+) \(SKU (\w+)\)", head).group(2, 1)
                assert stored["linked"][sku] == name
                quote = item.locator(":scope > blockquote")
                assert quote.count() == 1 and quote.locator("*:not(p):not(br)").count() == 0  # text only
                quoted = words(quote.inner_text())
                assert quoted in words(stored["page_text"]), (quoted, title)
                assert words(turn.inner_text()).count(quoted) == 1  # the words once on the page
                # the link: the stored URL at the page, where the very document is served
                link = item.locator(":scope > a")
                assert link.count() == 1 and link.get_attribute("href") == f"{stored['url']}#page={passage['page']}"
                assert link.get_attribute("rel") == "noopener noreferrer"
                served = httpx.get(stored["url"], timeout=30)
                assert served.status_code == 200 and served.headers["content-type"].startswith("application/pdf")
                served_page = PdfReader(io.BytesIO(served.content)).pages[passage["page"] - 1].extract_text()
                assert quoted in words(served_page)
        page.close()
