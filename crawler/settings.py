"""The crawl service's settings, from the environment, validated once at start.

A wrong or missing value stops the service with an error naming the variable, instead of
surfacing as a failed request later.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from tileshop_pipelines.crawl.transports import DEFAULT_MAX_BODY_BYTES, DEFAULT_USER_AGENT


class CrawlerSettings(BaseSettings):
    # An empty variable counts as unset (as the pipeline's resources read them): the default, or
    # "not set" for the token.
    model_config = SettingsConfigDict(env_ignore_empty=True, extra="ignore")

    token: SecretStr = Field(validation_alias="CRAWLER_TOKEN",
                             description="the bearer token every route but /health needs")
    concurrency: int = Field(8, ge=1, le=256, validation_alias="CRAWLER_CONCURRENCY",
                             description="requests in flight per /crawl call, and connections per pool")
    user_agent: str = Field(DEFAULT_USER_AGENT, min_length=1, max_length=300, validation_alias="TILESHOP_USER_AGENT",
                            description="sent when a request names no user agent")
    timeout_s: float = Field(30.0, gt=0, le=600, validation_alias="CRAWLER_TIMEOUT_S")
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1, validation_alias="CRAWLER_MAX_BODY_BYTES")
    mode: Literal["http", "browser"] = Field("http", validation_alias="CRAWLER_MODE",
                                             description="how a request that names no mode is fetched")
    chromium_path: str = Field("", validation_alias="TILESHOP_CHROMIUM",
                               description="the browser mode's Chromium (default: `chromium` on PATH)")


def load_settings() -> CrawlerSettings:
    try:
        return CrawlerSettings()
    except ValidationError as exc:
        problems = "; ".join(f"{error['loc'][0]} is not set" if error["type"] == "missing"
                             else f"{error['loc'][0]}: {error['msg']}" for error in exc.errors())
        raise RuntimeError(f"the crawl service refuses to start: {problems}") from None
