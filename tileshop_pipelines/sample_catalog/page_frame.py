"""What every page of the sample site carries around its body: the header with its navigation, the
footer, the CSS, the __NEXT_DATA__ script (Sitecore JSS layout and a page's context) and the HTML
document they make with a page's head and body (render.py writes the bodies).

Pure functions of their arguments, cached where constant: the same page renders the same bytes.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Sequence

BUILD_ID = "ts-sample-2025.07.09"

NAV = (
    (
        "Tile",
        "/tile",
        (
            "Porcelain Tile",
            "Ceramic Tile",
            "Mosaic Tile",
            "Subway Tile",
            "Glass Tile",
            "Marble Look Tile",
            "Wood Look Tile",
            "Large Format Tile",
            "Hexagon Tile",
            "Outdoor Tile",
            "Zellige Tile",
            "Encaustic Look Tile",
        ),
    ),
    (
        "Natural Stone",
        "/natural-stone",
        ("Marble", "Travertine", "Slate", "Limestone", "Quartzite", "Stone Mosaics", "Thresholds & Sills"),
    ),
    ("Luxury Vinyl", "/luxury-vinyl", ("Luxury Vinyl Plank", "Luxury Vinyl Tile", "SPC Flooring", "Vinyl Trim")),
    ("Laminate & Wood", "/laminate-and-wood", ("Laminate Flooring", "Engineered Wood", "Laminate Trim")),
    (
        "Trim & Molding",
        "/trim",
        ("Bullnose", "Pencil Liners", "Chair Rail", "Quarter Round", "Stair Nose", "Metal Edge Profiles", "Listellos"),
    ),
    ("Grout & Caulk", "/grout", ("Sanded Grout", "Unsanded Grout", "Urethane Grout", "Caulk")),
    (
        "Installation Materials",
        "/installation-materials",
        ("Mortar & Thinset", "Self-Leveling Underlayment", "Backer Board", "Waterproofing", "Floor Heating"),
    ),
    (
        "Tools & Accessories",
        "/tools-and-accessories",
        ("Trowels", "Leveling Systems", "Spacers", "Shower Shelves", "Shower Drains", "Sealers & Cleaners"),
    ),
)
FOOTER = (
    (
        "Customer Service",
        ("Contact Us", "Order Status", "Shipping & Delivery", "Returns & Exchanges", "Product Care", "FAQ"),
    ),
    ("Inspiration", ("Design Services", "Gallery", "Blog", "Tile Trends 2025", "Room Visualizer")),
    ("Pros", ("Pro Program", "Pro Resources", "Installation Guides", "Trade Events")),
    ("About Us", ("Our Story", "Careers", "Investor Relations", "Store Locator", "Accessibility")),
)
CSS = """
:root{--ts-ink:#1d1d1b;--ts-muted:#6b6b66;--ts-accent:#8a6d3b;--ts-line:#e4e1dc;--ts-bg:#faf9f7}
*{box-sizing:border-box}body{margin:0;font-family:Lato,Helvetica,Arial,sans-serif;color:var(--ts-ink);background:#fff}
a{color:inherit;text-decoration:none}a:hover{text-decoration:underline}
.ts-banner{background:var(--ts-ink);color:#fff;text-align:center;font-size:13px;padding:8px 16px}
.ts-header{display:flex;align-items:center;justify-content:space-between;padding:16px 32px;border-bottom:1px solid var(--ts-line)}
.ts-logo{font-family:Georgia,serif;font-size:26px;letter-spacing:.04em}
.ts-search input{width:340px;padding:10px 14px;border:1px solid var(--ts-line);border-radius:2px}
.ts-nav{display:flex;gap:28px;padding:0 32px;border-bottom:1px solid var(--ts-line)}
.ts-nav>li{list-style:none;position:relative;padding:14px 0}.ts-nav ul{display:none;position:absolute;top:100%;left:0;background:#fff;min-width:220px;padding:12px 16px;box-shadow:0 8px 24px rgba(0,0,0,.08)}
.ts-nav>li:hover ul{display:block}.ts-nav ul li{list-style:none;padding:6px 0;font-size:14px}
.breadcrumbs ol{display:flex;gap:8px;list-style:none;padding:16px 32px;margin:0;font-size:13px;color:var(--ts-muted)}
.pdp{display:grid;grid-template-columns:3fr 2fr;gap:48px;padding:0 32px 48px}
.pdp-gallery img{width:100%;height:auto;margin-bottom:12px;background:var(--ts-bg)}
.pdp-title{font-family:Georgia,serif;font-weight:400;font-size:30px;margin:0 0 8px}
.pdp-price-block{margin:20px 0;padding:16px 0;border-top:1px solid var(--ts-line);border-bottom:1px solid var(--ts-line)}
.pdp-price .price{font-size:26px;font-weight:700}.pdp-price .unit{font-size:15px;color:var(--ts-muted);margin-left:2px}
.pdp-price-sqft,.pdp-coverage{font-size:14px;color:var(--ts-muted);margin-top:6px}
.pdp-actions button{display:block;width:100%;padding:14px;margin-top:10px;border:1px solid var(--ts-ink);background:var(--ts-ink);color:#fff;font-size:15px;cursor:pointer}
.pdp-actions button.secondary{background:#fff;color:var(--ts-ink)}
.pdp-specifications dl{display:grid;grid-template-columns:1fr 1fr;gap:6px 24px;font-size:14px}.pdp-specifications dt{color:var(--ts-muted)}
.ts-grid{display:grid;grid-template-columns:repeat(4,1fr);gap:24px;padding:24px 32px}.ts-card img{width:100%;height:auto}
.ts-footer{background:var(--ts-bg);padding:40px 32px;display:grid;grid-template-columns:repeat(5,1fr);gap:24px;font-size:14px}
.ts-footer h4{font-size:13px;text-transform:uppercase;letter-spacing:.08em}.ts-footer li{list-style:none;padding:4px 0}
.ts-legal{padding:16px 32px;font-size:12px;color:var(--ts-muted)}
"""


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def slugify(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def _next_json(data: object) -> str:
    # Next.js escapes these inside __NEXT_DATA__ (htmlEscapeJsonString); json.loads restores them.
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@functools.lru_cache(maxsize=4)
def _header() -> str:
    items = []
    for title, path, subs in NAV:
        links = "".join(f'<li><a href="{esc(path)}?type={slugify(s)}">{esc(s)}</a></li>' for s in subs)
        items.append(
            f'<li><a href="{path}">{esc(title)}</a><ul>{links}'
            f'<li><a href="{path}">Shop All {esc(title)}</a></li></ul></li>'
        )
    return (
        '<div class="ts-banner">Free samples on select tile. Visit one of our 140+ showrooms for free design '
        'help.</div><header class="ts-header"><a class="ts-logo" href="/" aria-label="The Tile Shop home">The '
        'Tile Shop</a><form class="ts-search" action="/search" role="search"><input type="search" name="q" '
        'placeholder="Search tile, stone, grout and more" aria-label="Search"/></form><nav class="ts-utility">'
        '<a href="/store-locator">Find a Store</a> <a href="/account">Sign In</a> <a href="/cart">Cart (0)</a>'
        f'</nav></header><nav aria-label="Main"><ul class="ts-nav">{"".join(items)}</ul></nav>'
    )


@functools.lru_cache(maxsize=4)
def _footer() -> str:
    columns = "".join(
        f"<div><h4>{esc(title)}</h4><ul>"
        + "".join(f'<li><a href="/{slugify(link)}">{esc(link)}</a></li>' for link in links)
        + "</ul></div>"
        for title, links in FOOTER
    )
    return (
        f'<footer><div class="ts-footer">{columns}<div><h4>Stay Inspired</h4><p>Sign up for design ideas, '
        'new arrivals and event invitations.</p><form action="/newsletter" method="post"><input type="email" '
        'name="email" placeholder="Email address" aria-label="Email address"/><button type="submit">Sign Up'
        '</button></form></div></div><div class="ts-legal">&#169; 2025 Tile Shop Holdings, Inc. All rights '
        'reserved. <a href="/privacy-policy">Privacy Policy</a> | <a href="/terms-of-use">Terms of Use</a> | '
        '<a href="/ca-privacy-rights">Your Privacy Choices</a></div></footer>'
    )


def _route_boilerplate(route_name: str) -> dict:
    """The Sitecore JSS layout placeholders a real page carries around its content."""
    nav = [
        {
            "uid": f"nav-{i}",
            "componentName": "MegaMenuItem",
            "fields": {
                "Title": {"value": title},
                "Link": {"value": {"href": path, "linktype": "internal"}},
                "Children": [{"fields": {"Title": {"value": s}}} for s in subs],
            },
        }
        for i, (title, path, subs) in enumerate(NAV)
    ]
    return {
        "name": route_name,
        "displayName": route_name,
        "fields": {"PageTitle": {"value": route_name}, "NoIndex": {"value": False}},
        "databaseName": "web",
        "templateName": "Product Detail Page" if route_name == "product" else "Content Page",
        "placeholders": {
            "jss-header": [{"uid": "header", "componentName": "Header", "fields": {"Navigation": nav}}],
            "jss-main": [{"uid": "main", "componentName": "PageContent", "dataSource": "", "params": {}}],
            "jss-footer": [
                {
                    "uid": "footer",
                    "componentName": "Footer",
                    "fields": {"Columns": [{"Title": t, "Links": list(links)} for t, links in FOOTER]},
                }
            ],
        },
    }


@functools.lru_cache(maxsize=16)
def _next_data_frame(route_name: str) -> tuple[str, str]:
    """The constant JSON around a page's sitecore context, serialized once per route name."""
    marker = "\u0000context\u0000"
    data = {
        "props": {
            "pageProps": {
                "layoutData": {"sitecore": {"context": marker, "route": _route_boilerplate(route_name)}},
                "dictionary": {
                    "AddToCart": "Add to Cart",
                    "OrderSample": "Order Sample",
                    "InStock": "In Stock",
                    "OutOfStock": "Out of Stock",
                    "Specifications": "Specifications",
                    "Documents": "Documents",
                    "PerBox": "per Box",
                },
                "componentProps": {},
            },
            "__N_SSP": True,
        },
        "page": "/[[...path]]",
        "query": "\u0000query\u0000",
        "buildId": BUILD_ID,
        "isFallback": False,
        "gssp": True,
        "scriptLoader": [],
    }
    before, after = _next_json(data).split(_next_json(marker))
    return before, after


def next_data(path: str, route_name: str, product_data: dict | None = None) -> str:
    """The __NEXT_DATA__ script of the page at `path` (with the product's data on a product page)."""
    context: dict = {
        "pageEditing": False,
        "site": {"name": "tileshop"},
        "pageState": "normal",
        "language": "en",
        "itemPath": path,
    }
    if product_data is not None:
        context["productData"] = product_data
    before, after = _next_data_frame(route_name)
    query = {"path": [part for part in path.split("/") if part]}
    after = after.replace(_next_json("\u0000query\u0000"), _next_json(query))
    return f'<script id="__NEXT_DATA__" type="application/json">{before}{_next_json(context)}{after}</script>'


def document(title: str, description: str, canonical: str, head_extra: str, body: str, next_data: str) -> str:
    """A whole page: head (title, description, canonical, Open Graph, CSS, `head_extra`), the header,
    `body` in <main>, the footer and the `next_data` script."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{esc(title)}</title>"
        f'<meta name="description" content="{esc(description)}"/>'
        f'<link rel="canonical" href="{esc(canonical)}"/>'
        f'<meta property="og:title" content="{esc(title)}"/><meta property="og:site_name" content="The Tile Shop"/>'
        f'<meta property="og:url" content="{esc(canonical)}"/>'
        f"<style>{CSS}</style>{head_extra}</head>"
        f'<body><div id="__next">{_header()}<main>{body}</main>{_footer()}</div>{next_data}</body></html>'
    )


def breadcrumb_nav(crumbs: Sequence[tuple[str, str]]) -> str:
    items = [f'<li><a href="{esc(path)}">{esc(name)}</a></li>' for name, path in crumbs[:-1]]
    items.append(f'<li aria-current="page">{esc(crumbs[-1][0])}</li>')
    return f'<nav aria-label="breadcrumb" class="breadcrumbs"><ol>{"".join(items)}</ol></nav>'
