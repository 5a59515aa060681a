"""What a tree's crawl step stores, dumped to compare two trees (a change meant to store nothing
different, e.g. a performance change): `PYTHONPATH=<tree> python -m bench.stored_rows OUT.json`
under each tree, then `cmp` the two files.

Three crawls of a sample catalog (fixed ports: the pages name them, so both trees fetch the same
bytes) into a scratch database: the first with faults (404s, block pages, malformed JSON-LD, another
charset, oversize pages), the second after changes on the site (prices, specifications, names,
descriptions with markup and entities, prices past the plausibility bounds, removed products), the
third with every page fetched again. After each: every row of product_pages (its HTML as a hash),
products, product_history, product_suspects and catalog_changes, timestamps as set or not. Then
the record extract_product gives for every page of three more catalogs (seeds 7, 11, 23) and the
extractor's test fixtures.
"""

from __future__ import annotations

import argparse
import asyncio
import decimal
import hashlib
import json
import urllib.request
from pathlib import Path

from bench.harness import BenchDatabase, pipeline_crawler, product_urls


def _fixtures() -> Path:
    """The extractor's test pages, beside the tree whose tileshop_pipelines is imported."""
    import tileshop_pipelines

    return Path(tileshop_pipelines.__file__).resolve().parents[1] / "tileshop_pipelines_tests" / "catalog" / "fixtures"


def _rows(conn, query: str) -> list[dict]:
    cur = conn.execute(query)
    names = [d.name for d in cur.description]
    out = []
    for row in cur.fetchall():
        values = {}
        for name, value in zip(names, row, strict=True):
            if name.endswith("_at") or name in ("valid_from", "valid_to"):
                value = value is not None
            elif name == "html" and value is not None:
                value = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
            elif isinstance(value, decimal.Decimal):
                value = str(value)
            values[name] = value
        out.append(values)
    return out


def dump(conn) -> dict:
    return {
        "product_pages": _rows(conn, "SELECT * FROM product_pages ORDER BY product_key"),
        "products": _rows(conn, "SELECT * FROM products ORDER BY product_key"),
        "product_history": _rows(conn, "SELECT * FROM product_history ORDER BY product_key, version"),
        "product_suspects": _rows(conn, "SELECT * FROM product_suspects ORDER BY product_key"),
        "catalog_changes": _rows(
            conn,
            "SELECT refresh_id, product_key, sku, name, change, field, old_value, "
            "new_value, changed_at FROM catalog_changes ORDER BY product_key, change, field, id",
        ),
    }


def crawls(products: int, port: int) -> dict:
    from tileshop_pipelines.acquisition.refresh import refresh_products
    from tileshop_pipelines.processes import start_catalog_process

    base = f"http://127.0.0.1:{port}"
    proc = start_catalog_process(port, products, seed=7, cdn_port=port + 1)

    def post(path: str, payload: dict) -> None:
        request = urllib.request.Request(
            base + path, data=json.dumps(payload).encode(), method="POST", headers={"Content-Type": "application/json"}
        )
        urllib.request.urlopen(request, timeout=10).read()

    try:
        urls = product_urls(base)
        paths = [url[len(base) :] for url in urls]
        with BenchDatabase() as bench_db:
            keys = bench_db.list_sitemap(urls)

            def crawl() -> dict:
                report = asyncio.run(
                    refresh_products(bench_db.conn, pipeline_crawler(16), keys, skip_checked_in_cycle=False)
                )
                return {"counts": report.counts, **dump(bench_db.conn)}

            post(
                "/__faults",
                {
                    "status": {p: 404 for p in paths[0:5]},
                    "blocked": paths[5:10],
                    "malformed_jsonld": paths[10:15],
                    "charset": {p: "iso-8859-1" for p in paths[15:20]},
                    "oversize": {p: 6_000_000 for p in paths[20:22]},
                },
            )
            results = [crawl()]
            post("/__faults", {"clear": True})
            for i, path in enumerate(paths[30:60]):
                post("/__update", {"path_or_sku": path, "price": 10 + i * 1.37})
            for path in paths[60:75]:
                post("/__update", {"path_or_sku": path, "Color": "Grey"})
            for path in paths[75:85]:
                post("/__update", {"path_or_sku": path, "name": f"Renamed &amp; <b>bold</b> {path[-6:]}"})
            for path in paths[85:90]:
                post(
                    "/__update",
                    {
                        "path_or_sku": path,
                        "description_html": "<p>Caf\u00e9 &lt;img onerror=x&gt; \u2019quoted\u2019</p><ul><li>one</li></ul>",
                    },
                )
            for path in paths[90:95]:
                post("/__update", {"path_or_sku": path, "price": 0.001})
            for path in paths[95:100]:
                post("/__remove", {"path_or_sku": path})
            results.append(crawl())
            bench_db.conn.execute("UPDATE product_pages SET etag = NULL, last_modified = NULL")
            results.append(crawl())
            return {"crawls": results}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def records(products: int, port: int) -> list:
    import httpx

    from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
    from tileshop_pipelines.processes import start_catalog_process

    pages = []
    for seed in (7, 11, 23):
        proc = start_catalog_process(port, products, seed=seed, cdn_port=port + 1)
        try:
            with httpx.Client() as client:
                pages += [(url, client.get(url).text) for url in product_urls(f"http://127.0.0.1:{port}")]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    for path in sorted(_fixtures().glob("*.html")):
        pages.append(
            (
                f"https://www.tileshop.com/products/x-{path.stem.rsplit('_', 1)[-1]}",
                path.read_text(encoding="utf-8", errors="surrogateescape"),
            )
        )
    out: list = []
    for url, html in pages:
        try:
            out.append(extract_product(html, url))
        except NotAProductPage as exc:
            out.append(["not a product page", exc.reason])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.stored_rows")
    parser.add_argument("out")
    parser.add_argument("--products", type=int, default=600)
    parser.add_argument("--record-products", type=int, default=2000, help="products of each catalog extracted")
    parser.add_argument("--port", type=int, default=38911, help="the sample catalog's (its CDN's: the next one)")
    args = parser.parse_args()
    result = {**crawls(args.products, args.port), "records": records(args.record_products, args.port)}
    Path(args.out).write_text(json.dumps(result, indent=0, sort_keys=False, default=str, ensure_ascii=True))
    print(f"{args.out}: {[c['counts'] for c in result['crawls']]}, {len(result['records'])} records")


if __name__ == "__main__":
    main()
