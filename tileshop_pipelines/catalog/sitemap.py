"""Sitemap (index or urlset, plain or gzip) and robots.txt parsing, and which listed URLs the
crawl may fetch.

Parsing is strict: a sitemap that cannot be read whole raises SitemapError naming its source,
so a broken download never looks like "the catalog shrank". Duplicate <loc>s are kept as the
sitemap lists them; deduplication belongs to whoever keys the URLs (see urls.product_key).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

from lxml import etree
from protego import Protego

from tileshop_pipelines.catalog.urls import CatalogUrl, classify_url, on_site

# The sitemaps protocol caps a sitemap at 50 MB uncompressed; anything bigger is refused rather
# than decompressed without bound.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class SitemapError(ValueError):
    """A sitemap that cannot be used; the message names its source and what is wrong."""


@dataclass(frozen=True)
class SitemapEntry:
    loc: str
    lastmod: str | None


@dataclass(frozen=True)
class Sitemap:
    kind: str  # "index" (entries are child sitemaps) or "urlset" (entries are pages)
    entries: list[SitemapEntry]


_ROOT_KINDS = {"sitemapindex": ("index", "sitemap"), "urlset": ("urlset", "url")}


def parse_sitemap(content: bytes, source: str) -> Sitemap:
    """Parse a sitemap index or urlset; gzip is detected by its magic bytes, not the name.

    Any XML namespace (or none) is accepted. The parser never loads a DTD, never touches the
    network and refuses entity declarations (no XXE, no entity expansion bombs).
    """
    xml = _decompress_if_gzip(content, source)
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(xml, parser)
    except etree.XMLSyntaxError as error:
        raise SitemapError(f"{source}: malformed XML: {error}") from error
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise SitemapError(f"{source}: entity declarations are not allowed in a sitemap")

    root_name = etree.QName(root).localname
    if root_name not in _ROOT_KINDS:
        raise SitemapError(f"{source}: root element is <{root_name}>, expected <sitemapindex> or <urlset>")
    kind, entry_name = _ROOT_KINDS[root_name]

    entries = []
    for position, element in enumerate(_children_named(root, entry_name), start=1):
        loc = _child_text(element, "loc")
        if not loc:
            raise SitemapError(f"{source}: <{entry_name}> number {position} has no <loc>")
        entries.append(SitemapEntry(loc=loc, lastmod=_child_text(element, "lastmod") or None))
    if not entries:
        raise SitemapError(f"{source}: empty <{root_name}> (no <{entry_name}> entries)")
    return Sitemap(kind=kind, entries=entries)


def _decompress_if_gzip(content: bytes, source: str) -> bytes:
    if not content.startswith(_GZIP_MAGIC):
        return content
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        xml = decompressor.decompress(content, MAX_SITEMAP_BYTES + 1)
    except zlib.error as error:
        raise SitemapError(f"{source}: corrupt gzip data: {error}") from error
    if len(xml) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"{source}: more than {MAX_SITEMAP_BYTES} bytes once decompressed")
    if not decompressor.eof:
        raise SitemapError(f"{source}: truncated gzip data")
    return xml


def _children_named(element, localname: str):
    return (child for child in element if isinstance(child.tag, str) and etree.QName(child).localname == localname)


def _child_text(element, localname: str) -> str | None:
    for child in _children_named(element, localname):
        return "".join(child.itertext()).strip()
    return None


class Robots:
    """robots.txt as it applies to one crawler, read by protego (RFC 9309): the group naming the
    crawler's product token wins over ``*``, the longest matching rule wins, Allow wins a tie.
    Sitemap lines belong to no group."""

    def __init__(self, parser: Protego, product_token: str):
        self._parser, self.product_token = parser, product_token
        self.sitemaps = list(parser.sitemaps)

    def allows(self, url: str) -> bool:
        # protego percent-encodes the URL as UTF-8: a lone surrogate raised UnicodeEncodeError
        # (found by the fuzz pass); it is matched as "?" instead.
        return self._parser.can_fetch(url.encode("utf-8", "replace").decode("utf-8"), self.product_token)

    @property
    def request_interval_s(self) -> float | None:
        """The least time between two requests the group asks for: Crawl-delay, or Request-rate
        as seconds per request (its time-of-day window ignored: it applies all day), the larger;
        None when it asks neither."""
        rate = self._parser.request_rate(self.product_token)
        return (
            max(self._parser.crawl_delay(self.product_token) or 0.0, rate.seconds / rate.requests if rate else 0.0)
            or None
        )


def parse_robots(text: str, *, user_agent: str) -> Robots:
    """robots.txt's rules for `user_agent` (a User-Agent header) and its Sitemap lines."""
    # Only the product token ("TileshopPipelines" of "TileshopPipelines/0.1 (...)") names us: given
    # the whole header, protego would also pick a group naming a word of its comment.
    return Robots(Protego.parse(text), user_agent.split("/", 1)[0].strip() or "*")


def parse_lastmod(text: str | None) -> dt.datetime | None:
    """A <lastmod> (W3C datetime: a date, or a date and time with a zone) as an aware datetime;
    None when absent or unreadable (a bad lastmod must not fail the sitemap). A date alone, or
    a time without a zone, is taken as UTC."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class CrawlableEntries:
    entries: list[tuple[CatalogUrl, SitemapEntry]]  # one per canonical URL
    off_site: int  # entries on another host, never fetched
    disallowed: int  # entries robots.txt disallows


def crawlable_entries(entries: list[SitemapEntry], robots: Robots, hosts: frozenset[str]) -> CrawlableEntries:
    """The entries whose URL is on one of `hosts` and allowed by `robots`, classified; a URL listed
    twice keeps its first place and its last entry. Raises SitemapError for an entry whose <loc>
    is not an absolute http(s) URL."""
    crawlable: dict[str, tuple[CatalogUrl, SitemapEntry]] = {}
    off_site = disallowed = 0
    for entry in entries:
        try:
            info = classify_url(entry.loc)
        except ValueError as exc:
            raise SitemapError(str(exc)) from exc
        if not on_site(info.url, hosts):  # another site's URL in our sitemap is never fetched
            off_site += 1
            continue
        if not robots.allows(info.url):
            disallowed += 1
            continue
        crawlable[info.url] = (info, entry)
    return CrawlableEntries(list(crawlable.values()), off_site=off_site, disallowed=disallowed)
