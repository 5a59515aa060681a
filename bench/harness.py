"""What the benchmarks share: the sample catalog in a subprocess and its product URLs, a wall and
CPU meter, a scratch database, and the pipeline's crawler and refresh as the crawl step runs them."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_catalog(products: int) -> tuple[subprocess.Popen, str]:
    from tileshop_pipelines.processes import start_catalog_process

    port = free_port()
    return start_catalog_process(port, products, seed=7), f"http://127.0.0.1:{port}"


def product_urls(base: str) -> list[str]:
    from tileshop_pipelines.catalog.urls import classify_url
    from tileshop_pipelines.crawl.sitemaps import collect_sitemap_entries

    urls = {}
    for entry in collect_sitemap_entries(f"{base}/sitemap.xml", user_agent="bench"):
        info = classify_url(entry.loc)
        if info.kind == "product":
            urls[info.product_key] = info.url
    return sorted(urls.values())


class Meter:
    """Wall time and this process's CPU time (user + system) of a block."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def pipeline_crawler(concurrency: int, requests_per_second: float = 0):
    from tileshop_pipelines.defs.resources import CrawlerResource

    return CrawlerResource(requests_per_second=requests_per_second, concurrency=concurrency).crawler()


class BenchDatabase:
    """A fresh database on the project's Postgres (embedded unless DATABASE_URL), dropped at the end."""

    def __enter__(self):
        import uuid

        import psycopg

        from tileshop_pipelines.store import db
        from tileshop_pipelines.store.migrations import migrate

        self.server = db.libpq_url(db.database_url())
        self.name = f"tileshop_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(self.server, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        parts = self.server.split("?", 1)
        base = parts[0].rsplit("/", 1)[0]
        self.url = f"{base}/{self.name}" + (f"?{parts[1]}" if len(parts) > 1 else "")
        self.conn = db.connect(self.url)
        migrate(self.conn)
        return self

    def __exit__(self, *exc):
        import psycopg

        self.conn.close()
        with psycopg.connect(self.server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def list_sitemap(self, urls: list[str]) -> list[str]:
        from tileshop_pipelines.catalog.urls import classify_url
        from tileshop_pipelines.store.acquisition import ListedUrl, record_sitemap

        listed = [ListedUrl(i.url, i.kind, i.product_key, i.sku, None) for i in map(classify_url, urls)]
        record_sitemap(self.conn, listed)
        return [u.product_key for u in listed if u.product_key is not None]  # (product URLs: each has one)

    def reset_pages(self) -> None:
        self.conn.execute("TRUNCATE product_pages, products, product_history, product_chunks, product_embeddings")


def pipeline_refresh(bench_db: BenchDatabase, keys: list[str], concurrency: int, requests_per_second: float = 0):
    from tileshop_pipelines.acquisition.refresh import refresh_products

    return asyncio.run(
        refresh_products(
            bench_db.conn, pipeline_crawler(concurrency, requests_per_second), keys, skip_checked_in_cycle=False
        )
    )
