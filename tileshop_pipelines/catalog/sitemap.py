"""Sitemap (index or urlset, plain or gzip) and robots.txt parsing.

Parsing is strict: a sitemap that cannot be read whole raises SitemapError naming its source,
so a broken download never looks like "the catalog shrank". Duplicate <loc>s are kept as the
sitemap lists them; deduplication belongs to whoever keys the URLs (see urls.product_key).
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

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
    return (
        child
        for child in element
        if isinstance(child.tag, str) and etree.QName(child).localname == localname
    )


def _child_text(element, localname: str) -> str | None:
    for child in _children_named(element, localname):
        return "".join(child.itertext()).strip()
    return None


@dataclass(frozen=True)
class Robots:
    """The rules robots.txt gives every crawler (``User-agent: *``) and its Sitemap lines.

    ``allow`` holds the group's Allow rules; matching follows RFC 9309: the longest matching
    rule wins, Allow wins a tie, ``*`` matches any run of characters and a final ``$`` anchors.
    """

    sitemaps: list[str]
    disallow: list[str]
    allow: list[str] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        best_length, allowed = -1, True
        # Allow rules come second, so at equal length they replace a Disallow: Allow wins a tie.
        for rules, verdict in ((self.disallow, False), (self.allow, True)):
            for rule in rules:
                if len(rule) >= best_length and _robots_rule_matches(rule, target):
                    best_length, allowed = len(rule), verdict
        return allowed


def parse_robots(text: str) -> Robots:
    """Parse robots.txt: Sitemap lines anywhere, and the rules of the ``User-agent: *`` group(s).

    Consecutive User-agent lines share the rules that follow them; several ``*`` groups are merged.
    An empty ``Disallow:`` allows everything and is dropped.
    """
    sitemaps: list[str] = []
    disallow: list[str] = []
    allow: list[str] = []
    group_agents: list[str] = []
    in_agent_lines = False
    for raw_line in text.splitlines():
        line = raw_line.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        name, value = (part.strip() for part in line.split(":", 1))
        name = name.lower()
        if name == "sitemap":
            if value:
                sitemaps.append(value)
            continue
        if name == "user-agent":
            if not in_agent_lines:
                group_agents = []
            group_agents.append(value.lower())
            in_agent_lines = True
            continue
        in_agent_lines = False
        if "*" not in group_agents or not value:
            continue
        if name == "disallow":
            disallow.append(value)
        elif name == "allow":
            allow.append(value)
    return Robots(sitemaps=sitemaps, disallow=disallow, allow=allow)


def _robots_rule_matches(rule: str, target: str) -> bool:
    anchored = rule.endswith("$")
    pattern = ".*".join(re.escape(piece) for piece in rule.rstrip("$").split("*"))
    return re.match(pattern + ("$" if anchored else ""), target) is not None


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
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.timezone.utc)
