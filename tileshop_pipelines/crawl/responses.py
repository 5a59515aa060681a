"""What a page request brings back and the checks made where its bytes arrive.

``RawResponse`` is one attempt's answer (``crawl.transports`` makes it, ``crawl.fetcher`` judges
it); ``BodyKind`` is what a fetch expects: HTML (product pages, text decoded per the declared
charset) or PDF (documents, bytes as they came). ``check_response`` rejects a 2xx answer of another
content type or a declared body over the limit, ``decode_html`` decodes a body as declared (and
says when the declaration was wrong), and ``ByteBudget`` bounds the bytes several fetches read
together (the crawl service's /crawl answer).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

HTML_CONTENT_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Some CDNs label files generically; whether the bytes are a PDF is the parser's call (its header).
PDF_CONTENT_TYPES = frozenset(
    {"application/pdf", "application/x-pdf", "application/octet-stream", "binary/octet-stream"}
)
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class BodyKind:
    """What a fetch accepts: its media types (an answer without Content-Type passes), and whether
    the body is text to decode or bytes to keep."""

    name: str
    media_types: frozenset[str]
    text: bool


HTML = BodyKind("html", HTML_CONTENT_TYPES, text=True)
PDF = BodyKind("pdf", PDF_CONTENT_TYPES, text=False)
BODY_KINDS = {kind.name: kind for kind in (HTML, PDF)}


@dataclass
class RawResponse:
    """One attempt's result. `error_kind` is set when no usable answer arrived:
    "timeout", "connection" (both worth retrying), "too_large", "content_type", "charset",
    "refused" (a URL, address or redirect the fetch guard refuses; rejections: retrying gives the
    same answer)."""

    status_code: int | None
    headers: dict[str, str] = field(default_factory=dict)  # lowercased names
    html: str | None = None
    error: str | None = None
    error_kind: str | None = None
    warning: str | None = None  # the body was decoded, but not as declared (see decode_html)
    body: bytes | None = None  # a binary answer (BodyKind PDF), kept as it came


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def declared_charset(content_type: str | None, body: bytes) -> str:
    """The charset of the Content-Type header, else of a <meta> in the first 2 KB, else UTF-8."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"').lower()
    match = _META_CHARSET.search(body[:2048])
    return match.group(1).decode("ascii").lower() if match else "utf-8"


def decode_html(body: bytes, content_type: str | None) -> tuple[str | None, str | None, str | None]:
    """(text, None, warning), or (None, error, None) when the declared charset is unknown.

    A body declared UTF-8 that is not: mostly other bytes (a Latin-1 page served with the
    default header) is decoded as windows-1252, a few stray bytes in real UTF-8 are replaced;
    either way the warning says so, where before "Café" was stored as "Caf\ufffd" silently.
    """
    charset = declared_charset(content_type, body)
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return None, f"unknown charset {charset!r}", None
    if name != "utf-8":
        return body.decode(charset, errors="replace"), None, None
    try:
        return body.decode("utf-8"), None, None
    except UnicodeDecodeError as exc:
        invalid = body.decode("utf-8", errors="replace").count("\ufffd") - body.count("\ufffd".encode())
        multibyte = len(_UTF8_MULTIBYTE.findall(body))
        if multibyte > invalid:
            return (
                body.decode("utf-8", errors="replace"),
                None,
                f"charset_invalid_bytes: declared UTF-8, {invalid} invalid byte sequence(s) replaced "
                f"(first at byte {exc.start})",
            )
        return (
            body.decode("cp1252", errors="replace"),
            None,
            f"charset_mismatch: declared UTF-8 but not UTF-8 (first invalid byte at {exc.start}); "
            "decoded as windows-1252",
        )


def check_response(
    headers: dict[str, str], size: int | None, max_body_bytes: int, expected: BodyKind = HTML
) -> RawResponse | None:
    """A rejection for a 2xx answer that is not of the `expected` kind or declares a body over the
    limit, else None."""
    kind = media_type(headers.get("content-type"))
    if kind and kind not in expected.media_types:
        return RawResponse(
            200, headers, error=f"content type {kind!r} is not {expected.name.upper()}", error_kind="content_type"
        )
    if size is not None and size > max_body_bytes:
        return RawResponse(
            200, headers, error=f"body of {size} bytes is over the {max_body_bytes}-byte limit", error_kind="too_large"
        )
    return None


class ByteBudget:
    """Bytes that several fetches may read together (the crawl service's bound on one /crawl
    answer: 100 pages of 5 MB were 500 MB in one response, 1.66 GB of peak memory)."""

    def __init__(self, limit: int, what: str):
        self.limit, self.left, self.what = limit, limit, what

    def take(self, size: int) -> bool:
        """Reserve `size` bytes; False (nothing reserved) when they are not left."""
        if size > self.left:
            return False
        self.left -= size
        return True

    def give_back(self, size: int) -> None:
        """A page that was not returned after all frees what it reserved."""
        self.left += size

    def refusal(self) -> str:
        return f"{self.what} reached its {self.limit}-byte total; this page was not read"
