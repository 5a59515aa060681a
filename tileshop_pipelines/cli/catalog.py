"""`tileshop parse`, `tileshop sitemap parse`, `tileshop catalog serve`: pages, sitemaps and the sample catalog."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tileshop_pipelines.cli.common import fail

DEFAULT_CATALOG_PORT = 8765
# The CDN stand-in's port for `tileshop run`: fixed, so the document URLs the records hold are the same
# run after run (a new port would make every document a new one).
DEFAULT_CDN_PORT = 8766


def register(sub) -> None:
    p = sub.add_parser("parse", help="print the product record of a saved product page")
    p.add_argument("page")
    p.add_argument("--url")
    p.set_defaults(func=cmd_parse)

    sitemap = sub.add_parser("sitemap", help="sitemaps").add_subparsers(dest="sitemap_command", required=True)
    p = sitemap.add_parser("parse", help="one JSON line per URL: {url, kind, sku, lastmod}")
    p.add_argument("source", metavar="FILE_OR_URL")
    p.set_defaults(func=cmd_sitemap_parse)

    catalog = sub.add_parser("catalog", help="the sample catalog").add_subparsers(dest="catalog_command", required=True)
    p = catalog.add_parser("serve", help="serve a deterministic tileshop-like catalog over HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_CATALOG_PORT)
    p.add_argument("--products", type=int, default=500)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--gzip", action="store_true", help="gzip the child sitemaps")
    p.add_argument("--flat-sitemap", action="store_true", help="one flat <urlset> instead of an index")
    p.add_argument("--lastmod", action="store_true", help="include <lastmod> in the sitemaps")
    p.add_argument("--cdn-host", default="127.0.0.2", help="the documents' CDN stand-in's address (default 127.0.0.2)")
    p.add_argument("--cdn-port", type=int, default=0, help="the CDN stand-in's port (default: a free one)")
    p.set_defaults(func=cmd_catalog_serve)


def cmd_parse(args) -> int:
    from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
    from tileshop_pipelines.crawl.responses import decode_html

    path = Path(args.page)
    try:
        body = path.read_bytes()
    except OSError as exc:
        return fail(f"cannot read {path}: {exc.strerror}")
    html, error, warning = decode_html(body, None)  # as the pipeline decodes: <meta charset>, else UTF-8
    if html is None:
        return fail(f"{path}: {error}")
    try:
        record = extract_product(html, args.url)
    except NotAProductPage as exc:
        return fail(f"{path} is not a product page: {exc}")
    if warning:
        record["warnings"] = [warning, *record.get("warnings", [])]
    print(json.dumps(record, indent=2, ensure_ascii=False))
    return 0


def cmd_sitemap_parse(args) -> int:
    """One JSON line per URL of a sitemap file or URL (an index is followed to its children)."""
    from tileshop_pipelines.catalog.sitemap import SitemapError, parse_sitemap
    from tileshop_pipelines.catalog.urls import classify_url
    from tileshop_pipelines.crawl.sitemaps import collect_sitemap_entries
    from tileshop_pipelines.settings import load_settings

    source = args.source
    user_agent = load_settings().user_agent
    try:
        if source.startswith(("http://", "https://")):
            entries = collect_sitemap_entries(source, user_agent=user_agent)
        else:
            try:
                content = Path(source).read_bytes()
            except OSError as exc:
                return fail(f"cannot read {source}: {exc.strerror}")
            sitemap = parse_sitemap(content, source=source)
            entries = sitemap.entries
            if sitemap.kind == "index":
                entries = [
                    e for child in sitemap.entries for e in collect_sitemap_entries(child.loc, user_agent=user_agent)
                ]
    except SitemapError as exc:
        return fail(str(exc))
    for entry in entries:
        try:
            info = classify_url(entry.loc)
        except ValueError as exc:
            print(f"tileshop: skipped: {exc}", file=sys.stderr)
            continue
        print(
            json.dumps(
                {"url": info.url, "kind": info.kind, "sku": info.sku, "lastmod": entry.lastmod}, ensure_ascii=False
            )
        )
    return 0


def cmd_catalog_serve(args) -> int:
    from tileshop_pipelines.sample_catalog import run_server

    run_server(
        host=args.host,
        port=args.port,
        n_products=args.products,
        seed=args.seed,
        gzip_sitemaps=args.gzip,
        flat_sitemap=args.flat_sitemap,
        lastmod=args.lastmod,
        cdn_host=args.cdn_host,
        cdn_port=args.cdn_port,
    )
    return 0
