"""Product URL rules for tileshop.com: which URLs are products, their SKU, and a stable key.

Rules (from the July 2025 sitemap; docs/site.md has the quirks behind them):

- A product page's path starts with ``/products/`` followed by a non-empty slug. Not products:
  the bare ``/products/``, URLs containing ``,-w-,``, and sample URLs (``sample`` in the slug).
- The SKU is the trailing code of the slug: a hyphen, 5 or more digits (leading zeros kept),
  optionally followed by letters (``684018E``, ``684019e``, ``495660ss``). It stays a string,
  exactly as written in the URL. Slugs ending in a size (``...-12-x-12-in``, ``...-x-24``) or in a
  word (kits, caulks, penny rounds) have no SKU.
- The product key is the slug itself, normalised (percent-decoded, Unicode NFC, lowercased), so it
  exists for every product URL, is unique per product URL (a SKU can sit on two URLs) and does not
  depend on which other URLs exist. It is then escaped for Dagster partition keys (see
  ``product_key_for_slug``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes, urlsplit, urlunsplit

PRODUCT_PATH_PREFIX = "/products/"

# A hyphen, 5+ digits, optional letters, end of slug. Sizes such as "-12-x-12-in" or "-x-24" never
# match: their last segment is a word or has fewer than 5 digits.
_SKU_PATTERN = re.compile(r"-(\d{5,}[A-Za-z]*)$")

# Characters kept literally when a path segment is re-encoded: RFC 3986 unreserved and sub-delims
# plus ":" and "@" (pchar). This keeps "&", ",", "+" and "." as the site writes them.
_PATH_SAFE = "-._~!$&'()*+,;=:@"

# Dagster partition keys. Dagster rejects keys containing "..." (its range syntax) or the control
# characters \a \b \f \n \r \t \v \0 (dagster/_core/definitions/partitions/utils/base.py,
# INVALID_PARTITION_SUBSTRINGS), and multi-partition keys may not contain "|", ",", "[", "]"
# (utils/multi.py, INVALID_STATIC_PARTITIONS_KEY_CHARACTERS; "," also separates keys on the
# `dagster job backfill --partitions` command line). Real slugs contain "," (3 of 4,773) and ".".
# Those characters, and "%" itself, are percent-escaped so the escape is reversible (no two slugs
# share a key). A "." is escaped only inside a run of three or more dots, so "6.5-x-42" stays
# readable.
_KEY_ESCAPED_CHARACTERS = frozenset("%|,[]") | {chr(c) for c in range(0x20)} | {"\x7f"}
_DOT_RUN = re.compile(r"\.{3,}")


@dataclass(frozen=True)
class CatalogUrl:
    """One sitemap URL, classified.

    url: the fetchable absolute URL, canonical (see ``canonical_url``).
    kind: "product" or "other".
    sku: the slug's trailing code as written ("43521", "052003", "684018E", "495660ss"); None when
        the slug has none or the URL is not a product.
    product_key: unique, stable key of the product URL (the normalised slug); None for "other".
    """

    url: str
    kind: str
    sku: str | None
    product_key: str | None


def classify_url(url: str) -> CatalogUrl:
    """Classify an absolute URL as a product page (with SKU and key) or something else.

    Raises ValueError when ``url`` is not an absolute http(s) URL.
    """
    fetchable_url = canonical_url(url)
    path = urlsplit(fetchable_url).path
    slug = _product_slug(path)
    if slug is None:
        return CatalogUrl(url=fetchable_url, kind="other", sku=None, product_key=None)
    return CatalogUrl(
        url=fetchable_url,
        kind="product",
        sku=sku_from_slug(slug),
        product_key=product_key_for_slug(slug),
    )


def canonical_url(url: str) -> str:
    """The URL with scheme and host lowercased, the fragment dropped and each path segment
    percent-decoded then re-encoded (non-ASCII as UTF-8 %XX; "&", ",", "+", "." kept as they are).

    Decoding works on bytes, so a percent-encoded byte that is not UTF-8 survives unchanged, and
    segments are handled one by one so an encoded "/" (%2F) stays encoded. The query is kept.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    path = "/".join(quote(unquote_to_bytes(segment), safe=_PATH_SAFE) for segment in parts.path.split("/"))
    return urlunsplit((scheme, parts.netloc.lower(), path or "/", parts.query, ""))


def sku_from_slug(slug: str) -> str | None:
    """The slug's trailing SKU as written, or None when it ends in a size or a word."""
    match = _SKU_PATTERN.search(slug)
    return match.group(1) if match else None


def product_key_for_slug(slug: str) -> str:
    """The product key of a slug: percent-decoded, NFC, lowercased, then Dagster-escaped.

    The escape percent-encodes "%", "|", ",", "[", "]", control characters and every "." in a run
    of three or more, as uppercase %XX. The unescaped form is recovered with
    ``urllib.parse.unquote``, so two different normalised slugs never share a key. Bytes that are
    not valid UTF-8 after decoding are kept as %XX too.
    """
    decoded = unquote_to_bytes(slug).decode("utf-8", errors="surrogateescape")
    normalised = unicodedata.normalize("NFC", decoded).lower()
    return _escape_for_partition_key(normalised)


def _product_slug(path: str) -> str | None:
    """The slug of a product path, or None when the path is not a product page."""
    if not path.startswith(PRODUCT_PATH_PREFIX):
        return None
    slug = path[len(PRODUCT_PATH_PREFIX) :].strip("/")
    if not slug:
        return None
    decoded = unquote_to_bytes(slug).decode("utf-8", errors="replace").lower()
    if ",-w-," in decoded or "sample" in decoded:
        return None
    return slug


def _escape_for_partition_key(text: str) -> str:
    dotted_runs = {m.start() + i for m in _DOT_RUN.finditer(text) for i in range(len(m.group()))}
    escaped = []
    for index, character in enumerate(text):
        if "\udc80" <= character <= "\udcff":  # undecodable byte kept by surrogateescape
            escaped.append(f"%{ord(character) - 0xDC00:02X}")
        elif character in _KEY_ESCAPED_CHARACTERS or index in dotted_runs:
            escaped.append(f"%{ord(character):02X}")
        else:
            escaped.append(character)
    return "".join(escaped)


def site_hosts(*urls: str) -> frozenset[str]:
    """The hosts of `urls` (the configured site, the sitemap), each with and without "www."."""
    hosts = set()
    for url in urls:
        host = (urlsplit(url).hostname or "").lower()
        if host:
            hosts |= {host, host.removeprefix("www."), f"www.{host.removeprefix('www.')}"}
    return frozenset(hosts)


def on_site(url: str, hosts: frozenset[str]) -> bool:
    return (urlsplit(url).hostname or "").lower() in hosts
