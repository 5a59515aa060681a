"""How uvicorn serves the crawl service (`python -m crawler`; the tests' service runs the same).

The app's reasons hold here (rag_app/server.py): the h11 parser with a bound on the request head
while it is read, answered 431 (rag_app.server.HeadLimitedH11Protocol), no proxy headers; under
the bound, HeaderLimitMiddleware holds headers to CRAWLER_MAX_HEADERS / CRAWLER_MAX_HEADER_BYTES.
"""

from __future__ import annotations

import uvicorn

from crawler.settings import CrawlerSettings
from rag_app.server import HeadLimitedH11Protocol
from tileshop_pipelines.logs import uvicorn_log_config

MAX_REQUEST_LINE_BYTES = 8 * 1024  # "POST /crawl HTTP/1.1" and friends; the URLs travel in the body


def server_config(app, settings: CrawlerSettings, host: str, port: int, log_level: str = "info",
                  **options) -> uvicorn.Config:
    """uvicorn's loggers (the access log too) go through the root logger create_app configured
    (tileshop_pipelines.logs: LOG_FORMAT, secrets masked), not uvicorn's own handlers."""
    return uvicorn.Config(app, host=host, port=port, http=HeadLimitedH11Protocol, proxy_headers=False,
                          h11_max_incomplete_event_size=MAX_REQUEST_LINE_BYTES + settings.max_header_bytes,
                          log_level=log_level, log_config=uvicorn_log_config(log_level), **options)
