"""The crawl service's settings, from the environment, validated once at start (on the serving
settings base: a blank variable is unset).

A wrong or missing value stops the service with a SettingsError naming the variable, instead of
surfacing as a failed request later.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from tileshop_pipelines.crawl.addresses import normalized_host, parse_networks
from tileshop_pipelines.crawl.responses import DEFAULT_MAX_BODY_BYTES
from tileshop_pipelines.crawl.transports import DEFAULT_SITEMAP_URL, DEFAULT_USER_AGENT
from tileshop_pipelines.serving.settings import EnvSettings

DEFAULT_PORT = 11235
DEFAULT_METRICS_PORT = 9092  # /metrics' own port (crawler/fly.toml's [[metrics]]); the app's is 9091
CommaList = Annotated[tuple[str, ...], NoDecode]


class CrawlerSettings(EnvSettings):
    """The crawl service's environment variables (docs/CONFIG.md lists them)."""

    token: SecretStr = Field(
        validation_alias="CRAWLER_TOKEN", description="the bearer token every route but /health needs"
    )
    concurrency: int = Field(
        8,
        ge=1,
        le=256,
        validation_alias="CRAWLER_CONCURRENCY",
        description="requests in flight per /crawl call, and connections per pool",
    )
    user_agent: str = Field(
        DEFAULT_USER_AGENT,
        min_length=1,
        max_length=300,
        validation_alias="TILESHOP_USER_AGENT",
        description="sent when a request names no user agent",
    )
    timeout_s: float = Field(30.0, gt=0, le=600, validation_alias="CRAWLER_TIMEOUT_S")
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1, validation_alias="CRAWLER_MAX_BODY_BYTES")
    max_response_bytes: int = Field(
        32 * 1024 * 1024,
        ge=1,
        validation_alias="CRAWLER_MAX_RESPONSE_BYTES",
        description="the bodies of one /crawl request together; pages past it answer too_large",
    )
    sitemap_url: str = Field(
        DEFAULT_SITEMAP_URL,
        validation_alias="TILESHOP_SITEMAP_URL",
        description="the configured site; its host (with and without www.) is the default allow-list",
    )
    allowed_hosts: CommaList = Field(
        (),
        validation_alias="CRAWLER_ALLOWED_HOSTS",
        description="comma-separated host names a /crawl URL (and every redirect) may name; default: "
        "TILESHOP_SITEMAP_URL's host",
    )
    permitted_addresses: CommaList = Field(
        (),
        validation_alias="CRAWLER_PERMITTED_ADDRESSES",
        description="comma-separated addresses or networks fetched although not public (tests, local "
        "use: 127.0.0.1); off by default; cloud metadata addresses are refused regardless",
    )
    max_headers: int = Field(100, ge=10, le=1000, validation_alias="CRAWLER_MAX_HEADERS")
    max_header_bytes: int = Field(
        16 * 1024,
        ge=1024,
        le=1024 * 1024,
        validation_alias="CRAWLER_MAX_HEADER_BYTES",
        description="request header names and values together",
    )
    mode: Literal["http", "browser"] = Field(
        "http", validation_alias="CRAWLER_MODE", description="how a request that names no mode is fetched"
    )
    chromium_path: str = Field(
        "",
        validation_alias="TILESHOP_CHROMIUM",
        description="the browser mode's Chromium (default: `chromium` on PATH)",
    )
    port: int = Field(DEFAULT_PORT, ge=1, le=65535, validation_alias="PORT", description="`python -m crawler`'s")
    metrics_port: int = Field(
        DEFAULT_METRICS_PORT,
        ge=0,
        le=65535,
        validation_alias="METRICS_PORT",
        description="where `python -m crawler` serves Prometheus' /metrics; 0: not served",
    )

    @field_validator("allowed_hosts", "permitted_addresses", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("permitted_addresses")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        parse_networks(value)  # ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _default_hosts(self) -> CrawlerSettings:
        if not self.allowed_hosts:
            host = normalized_host(urlsplit(self.sitemap_url).hostname or "")
            if not host:
                raise ValueError(
                    f"TILESHOP_SITEMAP_URL {self.sitemap_url!r} names no host; set it or CRAWLER_ALLOWED_HOSTS"
                )
            bare = host.removeprefix("www.")
            hosts = (host,) if _is_address(host) else tuple(dict.fromkeys((host, bare, f"www.{bare}")))
        else:
            hosts = self.allowed_hosts
        object.__setattr__(self, "allowed_hosts", tuple(normalized_host(h) for h in hosts))  # frozen: set once, here
        return self


def _is_address(host: str) -> bool:
    try:
        parse_networks([host])
    except ValueError:
        return False
    return True


load_settings = CrawlerSettings.load  # the service's entry point: load_settings(env=None)
