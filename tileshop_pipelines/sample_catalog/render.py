"""HTML and XML of the sample site, in the shape docs/product-page.md describes.

Pure functions of their arguments: no clock, no randomness, so the same catalog renders the same
bytes. Links inside pages are relative (as on the real Next.js site); structured data, canonical
links and sitemaps use absolute URLs built from `base_url`. The header, footer, CSS and
__NEXT_DATA__ every page carries around its body are page_frame.py's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape as xml_escape

from .document_lines import on_cdn
from .model import SampleProduct
from .page_frame import NAV, breadcrumb_nav, document, esc, next_data

HOME_TITLE = "The Tile Shop - High Quality Floor & Wall Tile"
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


def _ld_json(data: object) -> str:
    # `</` inside a script would end it early; `<\/` is the same JSON string.
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


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
        f'<meta property="og:image" content="{esc(product.images[0])}"/>'
    )
    images = "".join(
        f'<img src="{esc(url)}" alt="{esc(product.name)}{"" if i == 0 else f" view {i + 1}"}" '
        f'width="800" height="800" loading="{"eager" if i == 0 else "lazy"}"/>'
        for i, url in enumerate(product.images)
    )
    groups = product.spec_groups()
    specs = "".join(
        f"<h3>{esc(_GROUP_TITLES[group])}</h3><dl>"
        + "".join(
            f"<dt>{esc(_SPEC_LABELS[e['Key'].removeprefix('PDPInfo_')])}</dt><dd>{esc(e['Value'])}</dd>"
            for e in entries
        )
        + "</dl>"
        for group, entries in groups.items()
        if entries
    )
    documents = ""
    if product.documents:
        links = "".join(
            f'<li><a href="{esc(on_cdn(d["Url"], cdn_url))}" target="_blank" rel="noopener">{esc(d["Name"])}</a></li>'
            for d in product.documents
        )
        documents = f'<section class="pdp-documents"><h2>Documents</h2><ul>{links}</ul></section>'
    stock = "In Stock" if product.availability == "InStock" else "Out of Stock"
    sku_line = f'<p class="pdp-sku">SKU: {esc(product.page_sku)}</p>'
    body = (
        f'{breadcrumb_nav(product.breadcrumbs)}<div class="pdp"><div class="pdp-gallery">{images}</div>'
        f'<div class="pdp-info"><h1 class="pdp-title">{esc(product.name)}</h1>{sku_line}'
        f'<p class="pdp-brand">by {esc(product.brand)}</p>{_price_block(product)}'
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
    return document(
        title,
        summary,
        base_url + product.path,
        head,
        body,
        next_data(product.path, "product", product_data(product, cdn_url)),
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
        f'<li class="ts-card"><a href="{esc(path)}"><img src="https://tileshop.scene7.com/is/image/TileShop/'
        f'signature_{i}?$Medium$" alt="{esc(name)}" width="400" height="400"/><span>{esc(name)}</span></a></li>'
        for i, (name, path) in enumerate(_SIGNATURE, start=1)
    )
    categories = "".join(f'<li class="ts-card"><a href="{path}">{esc(title)}</a></li>' for title, path, _ in NAV)
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
    return document(
        HOME_TITLE,
        "Shop high quality floor and wall tile, natural stone, grout and installation materials at The Tile Shop.",
        base_url + "/",
        head,
        body,
        next_data("/", "Home"),
    )


def listing_page(base_url: str, path: str, title: str, intro: str, links: Iterable[tuple[str, str]]) -> str:
    """A category-style page (categories, bare /products/, bundles): links, no Product JSON-LD."""
    cards = "".join(f'<li class="ts-card"><a href="{esc(href)}">{esc(name)}</a></li>' for name, href in links)
    crumbs = [("Home", "/"), (title, path)]
    body = (
        f'{breadcrumb_nav(crumbs)}<section class="ts-listing"><h1>{esc(title)}</h1><p>{esc(intro)}</p>'
        f'<ul class="ts-grid">{cards}</ul></section>'
    )
    head = f'<script type="application/ld+json">{_ld_json(breadcrumb_jsonld(crumbs, base_url))}</script>'
    return document(f"{title} | The Tile Shop", intro, base_url + path, head, body, next_data(path, title))


def sample_page(base_url: str, path: str, product: SampleProduct) -> str:
    """An order-a-sample page: `sample` in a product-looking slug, no Product JSON-LD."""
    body = (
        f"{breadcrumb_nav([('Home', '/'), ('Samples', '/products/'), (f'Sample: {product.name}', path)])}"
        f'<section class="ts-sample"><h1>Order a Sample: {esc(product.name)}</h1><p>See the color, finish and '
        "texture in your own light before you buy. Samples ship in 3-5 business days; one sample per product "
        f'per order.</p><a href="{esc(product.path)}">Back to {esc(product.name)}</a><button type="button">Add '
        "Sample to Cart</button></section>"
    )
    return document(
        f"Sample: {product.name} | The Tile Shop",
        f"Order a sample of {product.name}.",
        base_url + path,
        "",
        body,
        next_data(path, "Sample"),
    )


def error_page(status: int, reason: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>{status} {esc(reason)} | The '
        f"Tile Shop</title></head><body><h1>{status} {esc(reason)}</h1><p>Sorry, something went wrong. "
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
