"""A tiny local HTTP server for crafted pages: path -> (status, headers, body), changeable while it runs.

The sample catalog's server renders well-formed pages; hostile pages are built from its renders
(``corpus``) and served here, so they travel the real path (HTTP, crawl4ai, extraction, COPY).
"""

from __future__ import annotations

from ..support.local_server import LocalServer, QuietHandler

HTML = "text/html; charset=utf-8"


class CraftedSite(LocalServer):
    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requested: list[str] = []  # every path asked for, in order
        site = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                site.requested.append(self.path)
                status, headers, body = site.pages.get(self.path, (404, {"Content-Type": HTML}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)

    def serve(
        self,
        path: str,
        body: str | bytes,
        *,
        status: int = 200,
        content_type: str = HTML,
        headers: dict[str, str] | None = None,
    ) -> str:
        data = body.encode("utf-8", errors="surrogatepass") if isinstance(body, str) else body
        self.pages[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)
        return self.base_url + path
