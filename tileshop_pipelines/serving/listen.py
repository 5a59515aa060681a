"""Which address a server listens on, for every server of the project (the app, the Dagster
webserver, the crawl service).

`::` means IPv6 and IPv4: Fly's private network (`.internal`, Flycast) is IPv6, and local tools and
health checks use 127.0.0.1. uvicorn hands the host to asyncio, which sets IPV6_V6ONLY on a `::`
socket (measured: 127.0.0.1 refused); an empty host makes asyncio listen on every interface, one
socket per family.
"""

from __future__ import annotations

ALL_INTERFACES = "::"


def uvicorn_host(host: str) -> str:
    return "" if host in (ALL_INTERFACES, "") else host
