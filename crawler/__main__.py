"""`python -m crawler`: serve the crawl service on PORT (default 11235), on IPv6 and IPv4
(tileshop_pipelines/listen.py)."""

from __future__ import annotations

import os
import sys

DEFAULT_PORT = 11235


def main() -> int:
    import uvicorn

    from crawler.main import create_app
    from tileshop_pipelines.listen import ALL_INTERFACES, uvicorn_host

    port = int(os.environ.get("PORT") or DEFAULT_PORT)
    uvicorn.run(create_app(), host=uvicorn_host(ALL_INTERFACES), port=port, proxy_headers=False,
                log_level=os.environ.get("LOG_LEVEL", "info").lower())
    return 0


if __name__ == "__main__":
    sys.exit(main())
