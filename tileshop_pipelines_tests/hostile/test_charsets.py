"""Bodies whose bytes are not what they declare: decoded with a recorded warning, never silently."""

from __future__ import annotations

import json

from tileshop_pipelines.cli import main

from . import corpus
from .conftest import list_and_crawl
from .test_pages import _plain, _stored


def _with_name(product, base_url, name):
    return corpus.page(product, base_url).replace(product.name, name)


def test_a_latin1_body_declared_utf8_is_decoded_with_a_warning(conn, site, catalog):
    product, other = _plain(catalog, 2)
    url = site.serve(
        product.path,
        _with_name(product, site.base_url, "Café Crème Tile").encode("latin-1"),
        content_type="text/html; charset=utf-8",
    )
    stray = site.serve(
        other.path,
        _with_name(other, site.base_url, "Café Tile").encode("utf-8").replace(b"</h1>", b"\xff</h1>", 1),
        content_type="text/html; charset=utf-8",
    )
    _, keys = list_and_crawl(conn, [url, stray])
    stored = _stored(conn, list(keys.values()))
    record = stored[keys[url]]
    assert record["name"] == "Café Crème Tile"
    assert record["warnings"][0].startswith("charset_mismatch: declared UTF-8 but not UTF-8")
    record = stored[keys[stray]]  # real UTF-8 with one stray byte: kept UTF-8, the byte replaced, said so
    assert record["name"] == "Café Tile"
    assert record["warnings"][0].startswith("charset_invalid_bytes: declared UTF-8, 1 invalid")


def test_tileshop_parse_honours_meta_charset_as_the_pipeline_does(catalog, tmp_path, capsys):
    product = _plain(catalog, 1)[0]
    base = "https://www.tileshop.com"
    html = _with_name(product, base, "Café Tile").replace("<head>", '<head><meta charset="iso-8859-1">', 1)
    page = tmp_path / "page.html"
    page.write_bytes(html.encode("latin-1"))
    assert main(["parse", str(page), "--url", base + product.path]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["name"] == "Café Tile" and "warnings" not in record
