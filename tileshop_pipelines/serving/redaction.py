"""Secrets out of text: the one redaction for health, logs and errors (no dependencies beyond the
standard library, so the crawl service's image, without psycopg, masks its lines the same way)."""

from __future__ import annotations

import re

# Parameter names whose values are secrets: libpq's password and sslpassword, and the tokens, keys
# and signatures an HTTP URL's query string can carry.
_SECRET_NAME = (
    r"(?:[\w.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|signature|credential)[\w.-]*"
    r"|pwd|sig|key|auth)"
)
# scheme://user:password@host: the password runs to the last "@" before the path, as urlsplit reads it.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/?#@\s]*):[^/?#\s]+@", re.IGNORECASE)
# ?password=... or &token=... in a query string (or fragment): the value runs to the next & or #.
_QUERY_SECRET = re.compile(rf"(?P<head>[?&#;]{_SECRET_NAME}=)[^&#\s]*", re.IGNORECASE)
# password=... in a key=value DSN: a quoted value ('it''s', 'a\\'b') or up to the next space.
_DSN_SECRET = re.compile(rf"(?P<head>(?:^|(?<=[\s,(])){_SECRET_NAME}\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|\S*)", re.IGNORECASE)


def redacted(text: str) -> str:
    """`text` (a URL, a key=value DSN, or a message holding them) with every secret replaced by ***:
    `user:password@`, secret-named query parameters (`?password=`, `sslpassword=`, `token=`,
    `api_key=`...) and secret-named DSN keywords. The one redaction for health, logs and errors."""
    text = _URL_PASSWORD.sub(r"\g<head>:***@", text)
    text = _QUERY_SECRET.sub(r"\g<head>***", text)
    return _DSN_SECRET.sub(r"\g<head>***", text)
