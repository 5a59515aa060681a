"""`python -m crawler [--host H] [--port P]`: serve the crawl service (crawler/main.py).

Defaults as deployed: every interface, IPv6 and IPv4 (tileshop_pipelines/listen.py: Fly's private
network is IPv6), on PORT (11235 when unset), at LOG_LEVEL.
"""

from __future__ import annotations

import argparse
import os
import sys

DEFAULT_PORT = 11235


def main(argv: list[str] | None = None) -> int:
    from tileshop_pipelines.listen import ALL_INTERFACES, uvicorn_host

    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("--host", default=ALL_INTERFACES)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or DEFAULT_PORT))
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "info").lower())
    args = parser.parse_args(argv)

    import uvicorn

    from crawler.main import create_app
    from crawler.server import server_config
    from crawler.settings import load_settings

    try:
        settings = load_settings()
    except RuntimeError as exc:
        print(f"crawler: error: {exc}", file=sys.stderr)
        return 2
    uvicorn.Server(server_config(create_app(settings), settings, uvicorn_host(args.host), args.port,
                                 log_level=args.log_level)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
