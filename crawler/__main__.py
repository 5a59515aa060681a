"""`python -m crawler [--host H] [--port P]`: serve the crawl service (crawler/main.py)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11235)
    parser.add_argument("--log-level", default="info")
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
    uvicorn.Server(server_config(create_app(settings), settings, args.host, args.port,
                                 log_level=args.log_level)).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
