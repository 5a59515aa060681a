"""What the crawl service lets a token holder make it fetch, and send.

- URLs: only hosts on CRAWLER_ALLOWED_HOSTS (default: TILESHOP_SITEMAP_URL's host), only public
  addresses after DNS, on every redirect hop too (``crawl.addresses``, enforced inside
  ``HttpTransport``). Before, a token holder could name any URL, and redirects into loopback,
  private and cloud metadata addresses were followed, their status and headers returned.
- Forwarded headers: names must be HTTP tokens and values free of CR, LF, NUL and other control
  characters; a bad one is a 422 naming the header (it was a 500 from deep inside aiohttp).
- The answer: the bodies of one /crawl request together stay within CRAWLER_MAX_RESPONSE_BYTES.
"""

from __future__ import annotations

import re

from crawler.settings import CrawlerSettings
from tileshop_pipelines.crawl.addresses import AddressRefused, FetchGuard, parse_networks
from tileshop_pipelines.crawl.responses import ByteBudget

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 field-name
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # RFC 9110 field-value: no CTLs but HTAB


def fetch_guard(settings: CrawlerSettings) -> FetchGuard:
    return FetchGuard(
        allowed_hosts=frozenset(settings.allowed_hosts), permitted=parse_networks(settings.permitted_addresses)
    )


def refusal(guard: FetchGuard, url: str) -> str | None:
    """Why `url` may not be fetched at all (scheme, allow-list, an IP literal), or None."""
    try:
        guard.check_url(url)
    except AddressRefused as exc:
        return str(exc)
    return None


def response_budget(settings: CrawlerSettings) -> ByteBudget:
    return ByteBudget(settings.max_response_bytes, "the /crawl request's answer (CRAWLER_MAX_RESPONSE_BYTES)")


def check_header(name: str, value: str) -> None:
    """ValueError naming the header when it cannot be sent as one HTTP header line."""
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"header name {name!r} is not an HTTP token")
    bad = _BAD_VALUE.search(value)
    if bad:
        raise ValueError(
            f"header {name!r}: control character {bad.group()!r} at {bad.start()} "
            "(CR, LF and NUL would split or end the header)"
        )
