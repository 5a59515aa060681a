"""How uvicorn serves both services (`python -m rag_app`, `python -m crawler`, and the tests' real
servers use the same config).

- No proxy headers: uvicorn's default (`--proxy-headers`, FORWARDED_ALLOW_IPS 127.0.0.1) rewrote
  the client address from any X-Forwarded-For a loopback peer sent, so one client rotating that
  header got a fresh rate-limit bucket per request. The client address is the socket peer, or
  Fly's Fly-Client-IP when FLY_APP_NAME says Fly's proxy is in front (rag_app.security.client_address).
- The h11 parser, with a bound on the request head while it is read: httptools (uvicorn's default
  when installed) has none, and 1 MB, 20,000 and 8 x 50 MB of headers were all read and answered
  200 (memory 818 -> 1,250 MB). A head over the bound is answered 431 and the connection closed;
  under it, serving.http.HeaderLimitMiddleware holds headers to their count and size.
- uvicorn's loggers propagate to the root logger (serving.logs.configure sets it up: LOG_FORMAT,
  LOG_LEVEL, redaction), so its lines and the service's share one format.
"""

from __future__ import annotations

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from tileshop_pipelines.serving.listen import uvicorn_host
from tileshop_pipelines.serving.logs import uvicorn_log_config


class HeadLimitedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering a head over the parser's bound with 431 (the status h11
    hints at) instead of uvicorn's generic 400 "Invalid HTTP request received."."""

    def send_400_response(self, msg: str) -> None:
        limit = self.config.h11_max_incomplete_event_size  # server_config sets it
        if limit is None or len(self.conn.trailing_data[0]) <= limit:
            return super().send_400_response(msg)  # a malformed request, not an oversized one
        body = f"request line and headers exceed {limit} bytes".encode()
        for event in (
            h11.Response(
                status_code=431,
                reason=b"Request Header Fields Too Large",
                headers=[
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            ),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def server_config(
    app, host: str, port: int, *, max_request_line_bytes: int, max_header_bytes: int, log_level: str = "info", **options
) -> uvicorn.Config:
    """The parser's bound on a request head is the request line's share plus the headers' limit."""
    return uvicorn.Config(
        app,
        host=uvicorn_host(host),
        port=port,
        log_level=log_level,
        http=HeadLimitedH11Protocol,
        h11_max_incomplete_event_size=max_request_line_bytes + max_header_bytes,
        proxy_headers=False,
        log_config=uvicorn_log_config(log_level),
        **options,
    )
