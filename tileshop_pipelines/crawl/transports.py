"""How one page request travels: crawl4ai over HTTP, crawl4ai driving Chromium, or the crawl service.

Each transport makes exactly one attempt per call and reports what came back, whatever the
status, with the response headers (ETag, Last-Modified, Retry-After, Content-Type); retrying,
politeness and judging the answer belong to ``crawl.fetcher``. Response limits apply here, where
the bytes arrive: a body over ``max_body_bytes`` or a content type the fetch does not expect is
rejected without being kept (the checks and the answer's types are in ``crawl.responses``). What a
fetch expects is its ``BodyKind``: HTML (product pages, text decoded per the declared charset, in
``RawResponse.html``) or PDF (documents, bytes as they came, in ``RawResponse.body``).
"""

from __future__ import annotations

import base64
import shutil
import time
from typing import TYPE_CHECKING, Any, Protocol

from tileshop_pipelines.crawl.addresses import AddressRefused, FetchGuard
from tileshop_pipelines.crawl.responses import (
    DEFAULT_MAX_BODY_BYTES,
    HTML,
    BodyKind,
    ByteBudget,
    RawResponse,
    check_response,
    decode_html,
)

if TYPE_CHECKING:
    import aiohttp
    import httpx

DEFAULT_USER_AGENT = "TileshopPipelines/0.1 (product catalog indexer)"
DEFAULT_SITEMAP_URL = "https://www.tileshop.com/sitemap.xml"  # the site fetched when none is configured


class Transport(Protocol):
    async def __aenter__(self) -> Transport: ...
    async def __aexit__(self, *exc) -> None: ...
    async def get(self, url: str, headers: dict[str, str]) -> RawResponse: ...


# --- http: crawl4ai's AsyncHTTPCrawlerStrategy --------------------------------------------------
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def _guarded_resolver(guard: FetchGuard):
    """aiohttp's resolver, answering only the addresses `guard` allows: aiohttp connects to what
    the resolver returns, so the address checked is the address connected to (no second lookup
    a rebinding DNS server could answer differently)."""
    from aiohttp.resolver import DefaultResolver

    # aiohttp's DefaultResolver is a variable (AsyncResolver or ThreadedResolver, chosen at import)
    class GuardedResolver(DefaultResolver):  # type: ignore[misc, valid-type]
        async def resolve(self, host, port=0, family=0):
            answers = await super().resolve(host, port, family)
            allowed = set(guard.check_addresses(host, [a["host"] for a in answers]))
            return [a for a in answers if a["host"] in allowed]

    return GuardedResolver()


def _bounded_strategy_class():
    from crawl4ai.async_crawler_strategy import AsyncHTTPCrawlerStrategy

    class BoundedHTTPCrawlerStrategy(AsyncHTTPCrawlerStrategy):
        """crawl4ai's HTTP strategy (its aiohttp session, base headers, config and hooks), with a
        request that answers every status with its headers and reads bodies within a limit.

        The parent's ``_handle_http`` reads the whole body before looking at it, raises on any
        non-2xx status with the headers dropped (no Retry-After, no 304), and saves non-HTML
        responses to disk as downloads: none of which a polite, bounded fetcher can use.
        Redirects are followed here, at most MAX_REDIRECTS, each hop checked by the guard.
        """

        guard: FetchGuard | None = None
        _request_headers: dict[str, str] | None = None
        _timeout: aiohttp.ClientTimeout | None = None
        _session: aiohttp.ClientSession | None  # the parent's (crawl4ai declares no types)

        async def start(self) -> None:
            import aiohttp

            if self._session is None and self.guard is not None:
                connector = aiohttp.TCPConnector(
                    limit=self.max_connections, ttl_dns_cache=self.dns_cache_ttl, resolver=_guarded_resolver(self.guard)
                )
                self._session = aiohttp.ClientSession(
                    headers=dict(self._BASE_HEADERS),
                    connector=connector,
                    timeout=aiohttp.ClientTimeout(total=self.DEFAULT_TIMEOUT),
                )
            await super().start()

        async def fetch(
            self,
            url: str,
            headers: dict[str, str],
            *,
            timeout_s: float,
            max_body_bytes: int,
            budget: ByteBudget | None = None,
            expected: BodyKind = HTML,
        ) -> RawResponse:
            import aiohttp
            import yarl

            if self._request_headers is None:  # the base headers and the timeout, made once per strategy
                self._request_headers = {**self._BASE_HEADERS, **(self.browser_config.headers or {})}
            if self._timeout is None or self._timeout.total != timeout_s:
                self._timeout = aiohttp.ClientTimeout(total=timeout_s, connect=min(10.0, timeout_s))
            kwargs = {
                "headers": {**self._request_headers, **headers},
                "timeout": self._timeout,
                "allow_redirects": False,
                "ssl": self.browser_config.verify_ssl,
            }
            await self.hooks["before_request"](url, kwargs)
            if self._session is None:  # what the parent's _session_context does, without a generator a request
                await self.start()
            session = self._session
            assert session is not None  # started
            try:
                for _ in range(MAX_REDIRECTS + 1):
                    if self.guard is not None:
                        self.guard.check_url(url)
                    async with session.get(url, **kwargs) as response:
                        location = response.headers.get("location")
                        if response.status in REDIRECT_STATUSES and location and self.browser_config.follow_redirects:
                            await _drain(response, max_body_bytes)
                            url = str(response.url.join(yarl.URL(location)))
                            continue
                        return await _read_answer(response, max_body_bytes, budget, expected)
                return RawResponse(
                    None, error=f"more than {MAX_REDIRECTS} redirects (last to {url})", error_kind="refused"
                )
            except AddressRefused as exc:
                return RawResponse(None, error=str(exc), error_kind="refused")
            except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
                await self.hooks["on_error"](exc)
                return RawResponse(None, error=f"timed out after {timeout_s:g} s", error_kind="timeout")
            except aiohttp.ClientError as exc:
                await self.hooks["on_error"](exc)
                message = self._redact_proxy_credentials(f"{type(exc).__name__}: {exc}", None)
                return RawResponse(None, error=message, error_kind="connection")
            except ValueError as exc:  # a Location yarl cannot parse (aiohttp's InvalidURL is a ClientError, above)
                return RawResponse(None, error=f"unreadable redirect: {exc}", error_kind="refused")

    return BoundedHTTPCrawlerStrategy


async def _read_answer(
    response, max_body_bytes: int, budget: ByteBudget | None, expected: BodyKind = HTML
) -> RawResponse:
    """The final hop's answer: a non-2xx status with its headers, or a body of the `expected` kind read within
    `max_body_bytes` (and `budget`). aiohttp decompresses as it streams, in bounded steps, so the
    count is of decoded bytes: a gzip bomb stops at the limit, not at its inflated size."""
    answer = {k.lower(): v for k, v in response.headers.items()}
    if not 200 <= response.status < 300:
        await _drain(response, max_body_bytes)
        return RawResponse(response.status, answer)
    encoding = answer.get("content-encoding", "").strip().lower()
    # Content-Length counts the encoded bytes; only an unencoded body's is its size.
    declared = response.content_length if encoding in ("", "identity") else None
    rejected = check_response(answer, declared, max_body_bytes, expected)
    if rejected is not None:
        return rejected
    # A declared size is reserved whole before reading (pages of one request are read at once, and
    # partial reads would leave none complete); an undeclared one is reserved as it arrives.
    reserved = 0
    if budget is not None and declared is not None:
        if not budget.take(declared):
            return RawResponse(response.status, answer, error_kind="too_large", error=budget.refusal())
        reserved = declared
    chunks: list[bytes] = []  # joined once at the end (a page is one or two chunks: no copy for one)
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        refusal = None
        if size > max_body_bytes:
            after = f" once decoded from Content-Encoding {encoding}" if encoding not in ("", "identity") else ""
            refusal = f"body over the {max_body_bytes}-byte limit{after}; refused while reading"
        elif budget is not None and size > reserved:
            if budget.take(size - reserved):
                reserved = size
            else:
                refusal = budget.refusal()
        if refusal is not None:
            if budget is not None:
                budget.give_back(reserved)
            return RawResponse(response.status, answer, error_kind="too_large", error=refusal)
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if not expected.text:
        return RawResponse(response.status, answer, body=body)
    html, error, warning = decode_html(body, answer.get("content-type"))
    return RawResponse(response.status, answer, html, error, "charset" if error else None, warning)


async def _drain(response, limit: int) -> None:
    """Read (and drop) an error page so the connection can be reused; give up past the limit."""
    read = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        read += len(chunk)
        if read > limit:
            response.close()
            return


class HttpTransport:
    """Plain HTTP GET through crawl4ai's HTTP strategy; one connection pool for the crawl.

    With a `guard` (crawl.addresses.FetchGuard), every hop's URL and resolved address is checked
    and a refusal is an answer of kind "refused"; the crawl service always has one, and so do
    document fetches (their host allow-list). `expected`: the kind of body accepted (HTML or PDF)."""

    def __init__(
        self,
        *,
        user_agent: str,
        max_connections: int,
        timeout_s: float,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        guard: FetchGuard | None = None,
        expected: BodyKind = HTML,
    ):
        from crawl4ai.async_configs import HTTPCrawlerConfig

        self.timeout_s, self.max_body_bytes, self.expected = timeout_s, max_body_bytes, expected
        self.strategy = _bounded_strategy_class()(
            browser_config=HTTPCrawlerConfig(headers={"User-Agent": user_agent}),
            max_connections=max_connections,
        )
        self.strategy.guard = guard

    async def __aenter__(self) -> HttpTransport:
        await self.strategy.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.strategy.close()

    async def get(self, url: str, headers: dict[str, str], *, budget: ByteBudget | None = None) -> RawResponse:
        return await self.strategy.fetch(
            url,
            headers,
            timeout_s=self.timeout_s,
            max_body_bytes=self.max_body_bytes,
            budget=budget,
            expected=self.expected,
        )


# --- service: the crawler/ app -------------------------------------------------------------------
class ServiceTransport:
    """The crawl service (crawler/main.py) over HTTP with a bearer token; it fetches with
    HttpTransport on its side and answers {url, status_code, html, body_base64, error,
    response_headers}. `expected` travels as the request's "kind" (a PDF comes back in base64)."""

    def __init__(
        self,
        *,
        service_url: str,
        token: str,
        user_agent: str,
        timeout_s: float,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        expected: BodyKind = HTML,
    ):
        if not service_url:
            raise ValueError("crawler mode 'service' needs CRAWLER_URL (the crawl service's base URL)")
        if not token:
            raise ValueError("crawler mode 'service' needs CRAWLER_TOKEN (the crawl service's bearer token)")
        self.service_url, self.token, self.user_agent = service_url.rstrip("/"), token, user_agent
        self.timeout_s, self.max_body_bytes, self.expected = timeout_s, max_body_bytes, expected
        self._client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> ServiceTransport:
        import httpx

        self._client = httpx.AsyncClient(
            base_url=self.service_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout_s + 10
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def get(self, url: str, headers: dict[str, str]) -> RawResponse:
        import httpx

        if self._client is None:
            raise RuntimeError("ServiceTransport.get outside `async with`")
        payload = {"urls": [url], "headers": headers, "user_agent": self.user_agent, "kind": self.expected.name}
        try:
            response = await self._client.post("/crawl", json=payload)
        except httpx.TimeoutException:
            return RawResponse(None, error="crawl service timed out", error_kind="timeout")
        except httpx.HTTPError as exc:
            return RawResponse(
                None, error=f"crawl service unreachable: {type(exc).__name__}: {exc}", error_kind="connection"
            )
        if response.status_code in (401, 403):
            raise PermissionError(
                f"the crawl service at {self.service_url} refused the bearer token "
                f"(HTTP {response.status_code}); check CRAWLER_TOKEN"
            )
        if response.status_code != 200:
            return RawResponse(
                None, error=f"crawl service answered HTTP {response.status_code}", error_kind="connection"
            )
        result = response.json()["results"][0]
        encoded = result.get("body_base64")
        try:
            body = base64.b64decode(encoded, validate=True) if encoded is not None else None
        except ValueError:
            return RawResponse(None, error="crawl service answered a body that is not base64", error_kind="connection")
        if body is not None and len(body) > self.max_body_bytes:
            return RawResponse(
                result["status_code"],
                error=f"body of {len(body)} bytes is over the {self.max_body_bytes}-byte limit",
                error_kind="too_large",
            )
        return RawResponse(
            result["status_code"],
            {k.lower(): v for k, v in (result.get("response_headers") or {}).items()},
            result.get("html"),
            result.get("error"),
            result.get("error_kind"),
            result.get("warning"),
            body,
        )


# --- browser: crawl4ai with Debian's chromium ------------------------------------------------------
def find_chromium(executable: str = "") -> str:
    path = executable or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise FileNotFoundError(
            "crawler mode 'browser' needs Chromium: install the `chromium` package "
            "(apt-get install chromium; the crawl service's image: build it with "
            "--build-arg BROWSER=1) or set TILESHOP_CHROMIUM to its path"
        )
    return path


class BrowserTransport:
    """crawl4ai's Playwright strategy driving a system Chromium (never a downloaded browser).

    For pages that need JavaScript; tileshop.com renders server-side, so `http` is the default.
    Conditional request headers are sent as extra HTTP headers.
    """

    def __init__(
        self, *, user_agent: str, timeout_s: float, executable: str = "", max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    ):
        self.executable = find_chromium(executable)
        self.user_agent, self.timeout_s, self.max_body_bytes = user_agent, timeout_s, max_body_bytes
        self.strategy: Any = None  # crawl4ai's AsyncPlaywrightCrawlerStrategy once entered (crawl4ai: untyped)

    async def __aenter__(self) -> BrowserTransport:
        from crawl4ai.async_configs import BrowserConfig
        from crawl4ai.async_crawler_strategy import AsyncPlaywrightCrawlerStrategy

        config = BrowserConfig(
            browser_type="chromium", headless=True, user_agent=self.user_agent, text_mode=True, verbose=False
        )
        self.strategy = AsyncPlaywrightCrawlerStrategy(browser_config=config)
        manager = self.strategy.browser_manager
        build_args = manager._build_browser_args
        # crawl4ai has no setting for the browser binary; Playwright's launch() takes executable_path.
        manager._build_browser_args = lambda: {**build_args(), "executable_path": self.executable}
        await self.strategy.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.strategy.close()

    async def get(self, url: str, headers: dict[str, str], *, budget: ByteBudget | None = None) -> RawResponse:
        from crawl4ai.async_configs import CacheMode, CrawlerRunConfig

        config = CrawlerRunConfig(page_timeout=int(self.timeout_s * 1000), cache_mode=CacheMode.BYPASS, verbose=False)
        started = time.monotonic()
        try:
            response = await self.strategy.crawl(url, config=config)
        except Exception as exc:  # Playwright raises for navigation errors and timeouts alike
            kind = "timeout" if time.monotonic() - started >= self.timeout_s or "Timeout" in str(exc) else "connection"
            return RawResponse(None, error=f"{type(exc).__name__}: {str(exc)[:300]}", error_kind=kind)
        answer = {k.lower(): v for k, v in (response.response_headers or {}).items()}
        status = response.status_code
        if status is None or not 200 <= status < 300:
            return RawResponse(status, answer)
        html = response.html or ""
        size = len(html.encode("utf-8", errors="replace"))
        rejected = check_response(answer, size, self.max_body_bytes)
        if rejected is None and budget is not None and not budget.take(size):
            return RawResponse(status, answer, error_kind="too_large", error=budget.refusal())
        return rejected or RawResponse(status, answer, html)
