"""Hostile product pages, each a sample catalog render with one thing made hostile.

Every case names what it does to the page; ``tileshop_pipelines_tests/hostile/test_pages.py`` runs
them through the crawl (HTTP -> crawl4ai -> extraction -> COPY) with well-formed pages in the
same batch.
"""

from __future__ import annotations

import json
import re

from tileshop_pipelines.sample_catalog import render
from tileshop_pipelines.sample_catalog.model import SampleProduct

DEEP = 100_000


def page(product: SampleProduct, base_url: str) -> str:
    return render.product_page(product, base_url)


def _in_product_jsonld(html: str, old: str, new: str) -> str:
    start = html.index('"@type":"Product"')
    at = html.index(old, start)
    return html[:at] + new + html[at + len(old) :]


def _price_literal(product: SampleProduct) -> str:
    return f'"price":{json.dumps(product.price)}'


def deep_jsonld(product: SampleProduct, base_url: str) -> str:
    """Another JSON-LD block nested 100,000 deep before the Product (json.loads: RecursionError)."""
    block = f'<script type="application/ld+json">{"[" * DEEP}{"]" * DEEP}</script>'
    return page(product, base_url).replace("<script", block + "<script", 1)


def deep_product_value(product: SampleProduct, base_url: str) -> str:
    """The Product's own image list nested 100,000 deep."""
    html = page(product, base_url)
    return _in_product_jsonld(html, '"image":[', '"image":' + "[" * DEEP + "]" * DEEP + ',"x":[')


def huge_price(product: SampleProduct, base_url: str) -> str:
    """A 400-digit integer price (float(): OverflowError)."""
    return _in_product_jsonld(page(product, base_url), _price_literal(product), '"price":' + "9" * 400)


def nan_price(product: SampleProduct, base_url: str) -> str:
    return _in_product_jsonld(page(product, base_url), _price_literal(product), '"price":NaN')


def negative_price(product: SampleProduct, base_url: str) -> str:
    return _in_product_jsonld(page(product, base_url), _price_literal(product), '"price":-12.5')


def infinite_price(product: SampleProduct, base_url: str) -> str:
    return _in_product_jsonld(page(product, base_url), _price_literal(product), '"price":Infinity')


def nul_in_name(product: SampleProduct, base_url: str) -> str:
    """A \\u0000 escape in the JSON-LD name (Postgres text and jsonb hold no NUL)."""
    name = json.dumps(product.name, ensure_ascii=False)
    return _in_product_jsonld(page(product, base_url), f'"name":{name}', f'"name":{name[:-1]}\\u0000evil"')


def nul_byte_in_body(product: SampleProduct, base_url: str) -> str:
    """A raw NUL byte in the HTML itself (the stored page is text)."""
    return page(product, base_url).replace("</h1>", "\x00</h1>", 1)


def lone_surrogate(product: SampleProduct, base_url: str) -> str:
    """A lone surrogate escape in the JSON-LD name (not encodable as UTF-8)."""
    name = json.dumps(product.name, ensure_ascii=False)
    return _in_product_jsonld(page(product, base_url), f'"name":{name}', f'"name":{name[:-1]}\\ud800"')


def huge_box_weight(product: SampleProduct, base_url: str) -> str:
    """A 400-digit box weight in __NEXT_DATA__ (float(): inf; jsonb holds no Infinity)."""
    html = page(product, base_url)
    return re.sub(
        r'("Key":"PDPInfo_BoxWeight","Value":")[^"]*"', lambda m: m.group(1) + "9" * 400 + ' lbs"', html, count=1
    )


def other_sku(product: SampleProduct, base_url: str, sku: str) -> str:
    """The JSON-LD claims another product's SKU."""
    return _in_product_jsonld(page(product, base_url), f'"sku":{json.dumps(product.page_sku)}', f'"sku":"{sku}"')


def markup_after_entities(product: SampleProduct, base_url: str) -> str:
    """A description whose entities decode into live markup."""
    html = page(product, base_url)
    return _in_product_jsonld(
        html, '"description":"', '"description":"<p>Nice &lt;img src=x onerror=alert(1)&gt; tile</p>'
    )


def broken_next_data(product: SampleProduct, base_url: str) -> str:
    """__NEXT_DATA__ cut short: every specification and document gone."""
    html = page(product, base_url)
    start = html.index('<script id="__NEXT_DATA__"')
    body = html.index(">", start) + 1
    end = html.index("</script>", body)
    return html[:body] + html[body:end][: (end - body) // 2] + html[end:]
