"""The crawl service: crawl4ai behind HTTP, deployable as its own Fly.io app (`tileshop-crawler`).

POST /crawl {"urls": [...]} -> {"results": [{url, status_code, html, error}]}, shaped after
crawl4ai's own REST API. Every route but /health needs `Authorization: Bearer $CRAWLER_TOKEN`.
"""

from __future__ import annotations

import hmac
import os

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, Field

from tileshop_pipelines.crawl.fetcher import DEFAULT_USER_AGENT, PageFetcher

MAX_URLS_PER_REQUEST = 100


class CrawlRequest(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=MAX_URLS_PER_REQUEST)


class CrawlResult(BaseModel):
    url: str
    status_code: int | None
    html: str | None
    error: str | None


class CrawlResponse(BaseModel):
    results: list[CrawlResult]


def _token() -> str:
    token = os.environ.get("CRAWLER_TOKEN", "")
    if not token:
        raise RuntimeError("CRAWLER_TOKEN is not set; the crawl service refuses to start without it")
    return token


def require_token(authorization: str = Header(default="")) -> None:
    expected = f"Bearer {_token()}"
    if not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="missing or wrong bearer token")


def create_app() -> FastAPI:
    _token()
    app = FastAPI(title="tileshop crawler", version="0.1.0")
    fetcher = PageFetcher(
        user_agent=os.environ.get("TILESHOP_USER_AGENT", DEFAULT_USER_AGENT),
        concurrency=int(os.environ.get("CRAWLER_CONCURRENCY", "8")),
    )

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.post("/crawl", response_model=CrawlResponse, dependencies=[Depends(require_token)])
    async def crawl(request: CrawlRequest) -> CrawlResponse:
        order = {url: i for i, url in enumerate(request.urls)}
        results = [r async for r in fetcher.fetch_iter(dict.fromkeys(request.urls))]
        results.sort(key=lambda r: order[r.url])
        return CrawlResponse(results=[
            CrawlResult(url=r.url, status_code=r.status_code, html=r.html, error=r.error) for r in results
        ])

    return app
