"""Fault switches of the sample catalog's server (status overrides, 429s, slow, blocked, malformed
JSON-LD, wrong content type or charset, oversize pages), keyed by decoded URL path, and the
response a switched-on fault gives a request."""

from __future__ import annotations

import math
import threading
import time
from typing import Protocol

from . import render
from .catalog import Catalog, decode_path
from .model import SampleProduct
from .wire import HTML, error_response, message


class Site(Protocol):
    """What a fault answers with: the sample catalog's server (server.CatalogServer)."""

    catalog: Catalog
    home_page: bytes

    @property
    def base_url(self) -> str: ...

    @property
    def cdn_url(self) -> str: ...


class Faults:
    """Fault switches, keyed by decoded URL path. Thread-safe; change them while the server runs.

    Precedence for a request: slow (delay first), status override, 429 retry_after, fail_all_status
    (product pages only), blocked (HTTP 200 with the home page), malformed JSON-LD, content type
    (a 200 of another type), charset (the page encoded in another charset, declared in the
    Content-Type), oversize (the page padded with a comment of that many bytes).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.status: dict[str, int] = {}
        self.retry_after: dict[str, dict[str, float]] = {}  # path -> {"times": left, "seconds": s}
        self.slow: dict[str, float] = {}
        self.blocked: set[str] = set()
        self.malformed_jsonld: set[str] = set()
        self.fail_all_status: int | None = None
        self.content_type: dict[str, str] = {}
        self.charset: dict[str, str] = {}
        self.oversize: dict[str, int] = {}

    def clear(self) -> None:
        with self._lock:
            self.status, self.retry_after, self.slow = {}, {}, {}
            self.blocked, self.malformed_jsonld = set(), set()
            self.fail_all_status = None
            self.content_type, self.charset, self.oversize = {}, {}, {}

    def set_status(self, path: str, status: int) -> None:
        self.status[decode_path(path)] = int(status)

    def set_retry_after(self, path: str, times: int, seconds: float = 1) -> None:
        """Answer the next `times` requests for path with 429 and `Retry-After: seconds`."""
        with self._lock:
            self.retry_after[decode_path(path)] = {"times": int(times), "seconds": float(seconds)}

    def set_slow(self, path: str, seconds: float) -> None:
        self.slow[decode_path(path)] = float(seconds)

    def block(self, path: str) -> None:
        self.blocked.add(decode_path(path))

    def malform_jsonld(self, path: str) -> None:
        self.malformed_jsonld.add(decode_path(path))

    def apply(self, spec: dict) -> None:
        """Apply the JSON shape POST /__faults takes; `clear` runs first."""
        if spec.get("clear"):
            self.clear()
        for path, status in spec.get("status", {}).items():
            self.set_status(path, status)
        for path, rule in spec.get("retry_after", {}).items():
            self.set_retry_after(path, rule.get("times", 1), rule.get("seconds", 1))
        for path, seconds in spec.get("slow", {}).items():
            self.set_slow(path, seconds)
        for path in spec.get("blocked", []):
            self.block(path)
        for path in spec.get("malformed_jsonld", []):
            self.malform_jsonld(path)
        for name in ("content_type", "charset", "oversize"):
            for path, value in spec.get(name, {}).items():
                getattr(self, name)[decode_path(path)] = value
        if "fail_all_status" in spec:
            value = spec["fail_all_status"]
            self.fail_all_status = None if value is None else int(value)

    def to_dict(self) -> dict:
        with self._lock:
            return {
                "status": dict(self.status),
                "retry_after": {k: dict(v) for k, v in self.retry_after.items()},
                "slow": dict(self.slow),
                "blocked": sorted(self.blocked),
                "malformed_jsonld": sorted(self.malformed_jsonld),
                "fail_all_status": self.fail_all_status,
                "content_type": dict(self.content_type),
                "charset": dict(self.charset),
                "oversize": dict(self.oversize),
            }

    def active(self) -> bool:
        return bool(
            self.status
            or self.retry_after
            or self.slow
            or self.blocked
            or self.malformed_jsonld
            or self.fail_all_status
            or self.content_type
            or self.charset
            or self.oversize
        )

    def take_retry_after(self, path: str) -> float | None:
        """Seconds to ask the client to wait if this request still owes a 429, else None."""
        with self._lock:
            rule = self.retry_after.get(path)
            if rule is None or rule["times"] <= 0:
                return None
            rule["times"] -= 1
            return rule["seconds"]


def transport_fault(faults: Faults, path: str) -> bytes | None:
    """The faults any path can have (a delay first, then a status override or a 429): the response
    they give, or None. The CDN stand-in (cdn.py) has these only."""
    delay = faults.slow.get(path)
    if delay:
        time.sleep(delay)
    status = faults.status.get(path)
    if status is not None:
        return error_response(status)
    wait = faults.take_retry_after(path)
    if wait is not None:
        return error_response(429, [("Retry-After", str(math.ceil(wait)))])
    return None


def faulted_response(faults: Faults, path: str, site: Site, product: SampleProduct | None) -> bytes | None:
    """The response a fault switch gives this request, or None when no switch applies to it
    (`product` is the page's product, None for any other page or an unknown path)."""
    response = transport_fault(faults, path)
    if response is not None or product is None:
        return response
    if faults.fail_all_status:
        return error_response(faults.fail_all_status)
    if path in faults.blocked:
        return message(200, [("Content-Type", HTML)], site.home_page)
    if path in faults.malformed_jsonld:
        with site.catalog.lock:
            body = render.product_page(product, site.base_url, site.cdn_url, malformed_jsonld=True).encode()
        return message(200, [("Content-Type", HTML)], body)
    if path in faults.content_type:
        return message(200, [("Content-Type", faults.content_type[path])], b"%PDF-1.4 not a web page\n")
    if path in faults.charset or path in faults.oversize:
        with site.catalog.lock:
            page = render.product_page(product, site.base_url, site.cdn_url)
        charset = faults.charset.get(path, "utf-8")
        body = page.encode(charset, errors="xmlcharrefreplace")
        if path in faults.oversize:
            body += b"<!--" + b"x" * int(faults.oversize[path]) + b"-->"
        return message(200, [("Content-Type", f"text/html; charset={charset}")], body)
    return None
