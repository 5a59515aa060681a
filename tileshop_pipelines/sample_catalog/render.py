"""HTML and XML of the sample site, in the shape docs/product-page.md describes.

Pure functions of their arguments: no clock, no randomness, so the same catalog renders the same
bytes. Links inside pages are relative (as on the real Next.js site); structured data, canonical
links and sitemaps use absolute URLs built from `base_url`.
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape as xml_escape

from .document_lines import on_cdn
from .model import SampleProduct

HOME_TITLE = "The Tile Shop - High Quality Floor & Wall Tile"
BUILD_ID = "ts-sample-2025.07.09"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"

_SPEC_LABELS = {
    "MaterialType": "Material Type",
    "EdgeType": "Edge Type",
    "Color": "Color",
    "Finish": "Finish",
    "Applications": "Applications",
    "DirectionalLayout": "Directional Layout",
    "RecommendedGrout": "Recommended Grout",
    "ShadeVariation": "Shade Variation",
    "ApproximateSize": "Approximate Size",
    "Thickness": "Thickness",
    "BoxQuantity": "Box Quantity",
    "BoxWeight": "Box Weight",
    "CountryOfOrigin": "Country of Origin",
    "SurfaceAbrasion": "Surface Abrasion",
    "FrostResistance": "Frost Resistance",
}
_GROUP_TITLES = {
    "PDPInfo_DesignInstallation": "Design & Installation",
    "PDPInfo_Dimensions": "Dimensions",
    "PDPInfo_TechnicalDetails": "Technical Details",
}
_UNIT_TEXT = {"box": "/box", "sqft": "/Sq. Ft.", "each": "/each", "bag": "/bag"}

_NAV = (
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
_FOOTER = (
    (
        "Customer Service",
        ("Contact Us", "Order Status", "Shipping & Delivery", "Returns & Exchanges", "Product Care", "FAQ"),
    ),
    ("Inspiration", ("Design Services", "Gallery", "Blog", "Tile Trends 2025", "Room Visualizer")),
    ("Pros", ("Pro Program", "Pro Resources", "Installation Guides", "Trade Events")),
    ("About Us", ("Our Story", "Careers", "Investor Relations", "Store Locator", "Accessibility")),
)
_CSS = """
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


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _slugify(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


def _ld_json(data: object) -> str:
    # `</` inside a script would end it early; `<\/` is the same JSON string.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


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
    for title, path, subs in _NAV:
        links = "".join(f'<li><a href="{_esc(path)}?type={_slugify(s)}">{_esc(s)}</a></li>' for s in subs)
        items.append(
            f'<li><a href="{path}">{_esc(title)}</a><ul>{links}'
            f'<li><a href="{path}">Shop All {_esc(title)}</a></li></ul></li>'
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
        f"<div><h4>{_esc(title)}</h4><ul>"
        + "".join(f'<li><a href="/{_slugify(link)}">{_esc(link)}</a></li>' for link in links)
        + "</ul></div>"
        for title, links in _FOOTER
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
        for i, (title, path, subs) in enumerate(_NAV)
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
                    "fields": {"Columns": [{"Title": t, "Links": list(links)} for t, links in _FOOTER]},
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


def _next_data(path: str, route_name: str, product_data: dict | None = None) -> str:
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


def _document(title: str, description: str, canonical: str, head_extra: str, body: str, next_data: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
        f"<title>{_esc(title)}</title>"
        f'<meta name="description" content="{_esc(description)}"/>'
        f'<link rel="canonical" href="{_esc(canonical)}"/>'
        f'<meta property="og:title" content="{_esc(title)}"/><meta property="og:site_name" content="The Tile Shop"/>'
        f'<meta property="og:url" content="{_esc(canonical)}"/>'
        f"<style>{_CSS}</style>{head_extra}</head>"
        f'<body><div id="__next">{_header()}<main>{body}</main>{_footer()}</div>{next_data}</body></html>'
    )


def _breadcrumb_nav(crumbs: Sequence[tuple[str, str]]) -> str:
    items = [f'<li><a href="{_esc(path)}">{_esc(name)}</a></li>' for name, path in crumbs[:-1]]
    items.append(f'<li aria-current="page">{_esc(crumbs[-1][0])}</li>')
    return f'<nav aria-label="breadcrumb" class="breadcrumbs"><ol>{"".join(items)}</ol></nav>'


def _price_block(product: SampleProduct) -> str:
    parts = [
        f'<div class="pdp-price"><span class="price">${product.price:.2f}</span>'
        f'<span class="unit">{_UNIT_TEXT[product.price_unit]}</span></div>'
    ]
    if product.price_unit == "box" and product.price_per_sqft is not None:
        parts.append(
            f'<div class="pdp-price-sqft"><span class="price">${product.price_per_sqft:.2f}</span>'
            '<span class="unit">/Sq. Ft.</span></div>'
        )
    if product.price_unit == "sqft":
        parts.append('<div class="pdp-price-note">Sold by the square foot</div>')
    if product.coverage_sqft_per_box is not None:
        parts.append(f'<div class="pdp-coverage">{product.coverage_sqft_per_box:.2f} sq. ft. per Box</div>')
    return f'<div class="pdp-price-block">{" ".join(parts)}</div>'


def product_jsonld(product: SampleProduct, base_url: str) -> dict:
    url = base_url + product.path
    data: dict = {"@context": "https://schema.org", "@type": "Product", "name": product.name, "sku": product.page_sku}
    data.update(
        {
            "description": product.description_html,
            "brand": {"@type": "Brand", "name": product.brand},
            "image": list(product.images),
            "url": url,
            "offers": {
                "@type": "Offer",
                "price": product.price,
                "priceCurrency": "USD",
                "availability": f"https://schema.org/{product.availability}",
                "itemCondition": "https://schema.org/NewCondition",
                "url": url,
                "hasMerchantReturnPolicy": {
                    "@type": "MerchantReturnPolicy",
                    "applicableCountry": "US",
                    "returnPolicyCategory": "https://schema.org/MerchantReturnFiniteReturnWindow",
                    "merchantReturnDays": 60,
                    "returnMethod": "https://schema.org/ReturnInStore",
                    "returnFees": "https://schema.org/FreeReturn",
                },
            },
        }
    )
    return data


def breadcrumb_jsonld(crumbs: Sequence[tuple[str, str]], base_url: str) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": i, "name": name, "item": base_url + path}
            for i, (name, path) in enumerate(crumbs, start=1)
        ],
    }


def product_data(product: SampleProduct, cdn_url: str | None = None) -> dict:
    """props.pageProps.layoutData.sitecore.context.productData of __NEXT_DATA__ (documents on the CDN
    stand-in at `cdn_url` when given, else at the real CDN's addresses the product holds)."""
    return {
        "ProductId": product.page_sku,
        "Name": product.name,
        "Specifications": product.spec_groups(),
        "Documents": [{"Name": d["Name"], "Url": on_cdn(d["Url"], cdn_url)} for d in product.documents],
    }


def product_page(
    product: SampleProduct, base_url: str, cdn_url: str | None = None, *, malformed_jsonld: bool = False
) -> str:
    """A product detail page; its documents name the CDN stand-in at `cdn_url` when given (a served
    site), the real CDN otherwise. `malformed_jsonld` truncates the Product JSON-LD (a broken CMS render)."""
    product_ld = _ld_json(product_jsonld(product, base_url))
    if malformed_jsonld:
        product_ld = product_ld[: len(product_ld) * 2 // 3]
    head = (
        f'<script type="application/ld+json">{product_ld}</script>'
        f'<script type="application/ld+json">{_ld_json(breadcrumb_jsonld(product.breadcrumbs, base_url))}</script>'
        f'<meta property="og:image" content="{_esc(product.images[0])}"/>'
    )
    images = "".join(
        f'<img src="{_esc(url)}" alt="{_esc(product.name)}{"" if i == 0 else f" view {i + 1}"}" '
        f'width="800" height="800" loading="{"eager" if i == 0 else "lazy"}"/>'
        for i, url in enumerate(product.images)
    )
    groups = product.spec_groups()
    specs = "".join(
        f"<h3>{_esc(_GROUP_TITLES[group])}</h3><dl>"
        + "".join(
            f"<dt>{_esc(_SPEC_LABELS[e['Key'].removeprefix('PDPInfo_')])}</dt><dd>{_esc(e['Value'])}</dd>"
            for e in entries
        )
        + "</dl>"
        for group, entries in groups.items()
        if entries
    )
    documents = ""
    if product.documents:
        links = "".join(
            f'<li><a href="{_esc(on_cdn(d["Url"], cdn_url))}" target="_blank" rel="noopener">{_esc(d["Name"])}</a></li>'
            for d in product.documents
        )
        documents = f'<section class="pdp-documents"><h2>Documents</h2><ul>{links}</ul></section>'
    stock = "In Stock" if product.availability == "InStock" else "Out of Stock"
    sku_line = f'<p class="pdp-sku">SKU: {_esc(product.page_sku)}</p>'
    body = (
        f'{_breadcrumb_nav(product.breadcrumbs)}<div class="pdp"><div class="pdp-gallery">{images}</div>'
        f'<div class="pdp-info"><h1 class="pdp-title">{_esc(product.name)}</h1>{sku_line}'
        f'<p class="pdp-brand">by {_esc(product.brand)}</p>{_price_block(product)}'
        f'<p class="pdp-stock">{stock} online &amp; in stores</p>'
        '<div class="pdp-actions"><label>Quantity <input type="number" name="qty" value="1" min="1"/></label>'
        '<button type="button">Add to Cart</button><button type="button" class="secondary">Order Sample</button>'
        '</div><div class="pdp-fulfillment"><p>Ship to home or pick up in store. Check availability at your '
        "local Tile Shop.</p></div></div></div>"
        f'<section class="pdp-description"><h2>Description</h2>{product.description_html}</section>'
        f'<section class="pdp-specifications"><h2>Specifications</h2>{specs}</section>{documents}'
    )
    title = f"{product.name} | The Tile Shop"
    summary = f"Shop {product.name} at The Tile Shop."
    return _document(
        title,
        summary,
        base_url + product.path,
        head,
        body,
        _next_data(product.path, "product", product_data(product, cdn_url)),
    )


_SIGNATURE = (
    ("Signature Oatmeal Matte Ceramic Subway Wall Tile 4 x 12 in", "/tile?type=subway-tile"),
    ("Signature Bianco Frame Gloss Ceramic Subway Wall Tile 4 x 8 in", "/tile?type=subway-tile"),
    ("Signature Pewter Gloss Ceramic Wall Tile 3 x 12 in", "/tile?type=ceramic-tile"),
    ("Signature Gris Matte Ceramic Hexagon Wall Tile 6 in", "/tile?type=hexagon-tile"),
)


def home_page(base_url: str) -> str:
    """The home page; also what a blocked request gets back at a product URL (HTTP 200)."""
    website_ld = {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": "The Tile Shop",
        "url": base_url + "/",
        "potentialAction": {
            "@type": "SearchAction",
            "target": base_url + "/search?q={search_term_string}",
            "query-input": "required name=search_term_string",
        },
    }
    org_ld = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": "The Tile Shop",
        "url": base_url + "/",
        "logo": "https://tileshop.scene7.com/is/image/TileShop/logo",
    }
    cards = "".join(
        f'<li class="ts-card"><a href="{_esc(path)}"><img src="https://tileshop.scene7.com/is/image/TileShop/'
        f'signature_{i}?$Medium$" alt="{_esc(name)}" width="400" height="400"/><span>{_esc(name)}</span></a></li>'
        for i, (name, path) in enumerate(_SIGNATURE, start=1)
    )
    categories = "".join(f'<li class="ts-card"><a href="{path}">{_esc(title)}</a></li>' for title, path, _ in _NAV)
    body = (
        '<section class="ts-hero"><h1>Tile for Every Room, Style &amp; Budget</h1><p>Discover porcelain, '
        "ceramic, natural stone and glass tile, plus everything you need to install it. Free design help in "
        'every showroom.</p><a href="/tile">Shop Tile</a></section>'
        '<section class="ts-signature" id="signature-collection"><h2>Signature Collection</h2><p>Timeless '
        "ceramic tile in a curated palette of colors, finishes and shapes, designed to mix and match.</p>"
        f'<ul class="ts-grid">{cards}</ul><a href="/tile?type=signature-collection">Shop the Signature '
        "Collection</a></section>"
        f'<section class="ts-categories"><h2>Shop by Category</h2><ul class="ts-grid">{categories}</ul></section>'
        '<section class="ts-services"><h2>Design Services</h2><p>Bring your measurements and inspiration to any '
        "Tile Shop showroom. Our designers will help you choose tile, trim and setting materials, and create a "
        'layout for your space.</p><a href="/design-services">Book an Appointment</a></section>'
    )
    head = (
        f'<script type="application/ld+json">{_ld_json(website_ld)}</script>'
        f'<script type="application/ld+json">{_ld_json(org_ld)}</script>'
    )
    return _document(
        HOME_TITLE,
        "Shop high quality floor and wall tile, natural stone, grout and installation materials at The Tile Shop.",
        base_url + "/",
        head,
        body,
        _next_data("/", "Home"),
    )


def listing_page(base_url: str, path: str, title: str, intro: str, links: Iterable[tuple[str, str]]) -> str:
    """A category-style page (categories, bare /products/, bundles): links, no Product JSON-LD."""
    cards = "".join(f'<li class="ts-card"><a href="{_esc(href)}">{_esc(name)}</a></li>' for name, href in links)
    crumbs = [("Home", "/"), (title, path)]
    body = (
        f'{_breadcrumb_nav(crumbs)}<section class="ts-listing"><h1>{_esc(title)}</h1><p>{_esc(intro)}</p>'
        f'<ul class="ts-grid">{cards}</ul></section>'
    )
    head = f'<script type="application/ld+json">{_ld_json(breadcrumb_jsonld(crumbs, base_url))}</script>'
    return _document(f"{title} | The Tile Shop", intro, base_url + path, head, body, _next_data(path, title))


def sample_page(base_url: str, path: str, product: SampleProduct) -> str:
    """An order-a-sample page: `sample` in a product-looking slug, no Product JSON-LD."""
    body = (
        f"{_breadcrumb_nav([('Home', '/'), ('Samples', '/products/'), (f'Sample: {product.name}', path)])}"
        f'<section class="ts-sample"><h1>Order a Sample: {_esc(product.name)}</h1><p>See the color, finish and '
        "texture in your own light before you buy. Samples ship in 3-5 business days; one sample per product "
        f'per order.</p><a href="{_esc(product.path)}">Back to {_esc(product.name)}</a><button type="button">Add '
        "Sample to Cart</button></section>"
    )
    return _document(
        f"Sample: {product.name} | The Tile Shop",
        f"Order a sample of {product.name}.",
        base_url + path,
        "",
        body,
        _next_data(path, "Sample"),
    )


def error_page(status: int, reason: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>{status} {_esc(reason)} | The '
        f"Tile Shop</title></head><body><h1>{status} {_esc(reason)}</h1><p>Sorry, something went wrong. "
        '<a href="/">Return to the home page</a>.</p></body></html>'
    )


def robots_txt(base_url: str) -> str:
    return (
        "User-agent: *\nDisallow: /checkout\nDisallow: /account\nDisallow: /cart\nDisallow: /search\n"
        f"Disallow: /api/\n\nSitemap: {base_url}/sitemap.xml\n"
    )


def _url_entry(tag: str, base_url: str, path: str, lastmod: str | None) -> str:
    mod = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<{tag}><loc>{xml_escape(base_url + path)}</loc>{mod}</{tag}>"


def sitemap_index(base_url: str, sitemaps: Iterable[tuple[str, str | None]]) -> str:
    """A <sitemapindex> of (path, lastmod or None)."""
    entries = "\n".join(_url_entry("sitemap", base_url, path, mod) for path, mod in sitemaps)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n{entries}\n</sitemapindex>\n'


def urlset(base_url: str, urls: Iterable[tuple[str, str | None]]) -> str:
    """A <urlset> of (path as listed, lastmod or None); locs are absolute and XML-escaped."""
    entries = "\n".join(_url_entry("url", base_url, path, mod) for path, mod in urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n{entries}\n</urlset>\n'
