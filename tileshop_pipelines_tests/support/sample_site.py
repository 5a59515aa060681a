"""The sample catalog served on 127.0.0.1 (its documents on the CDN stand-in, 127.0.0.2), a database
and Dagster home of its own, the environment that points Dagster and the CLI at them, and what was
materialized there."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from tileshop_pipelines import bootstrap
from tileshop_pipelines.sample_catalog import CDN_HOST, Catalog, CatalogServer, build_catalog
from tileshop_pipelines.store import db

# What a test site's crawl needs: our own local server, so politeness off.
CRAWL_RATE_OFF = {"TILESHOP_CRAWL_RATE": "0"}
AUTOMATION_OFF = {"TILESHOP_AUTOMATION": "off"}
# The product pages of a served sample catalog name their documents on the CDN stand-in's host.
DOCUMENT_HOSTS = {"TILESHOP_DOCUMENT_HOSTS": CDN_HOST}
# Fast retries for the crawls of the acquisition tests.
FAST_CRAWLER = {
    "resources": {"crawler": {"config": {"backoff_base_s": 0.01, "backoff_max_s": 0.05, "max_attempts": 2}}}
}


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` set; as it was before on the way out."""
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def tileshop_environment(database_url: str, home: Path) -> dict[str, str]:
    """Sets the environment of Dagster and the CLI on a database and TILESHOP_HOME of their own (a
    temp DAGSTER_HOME inside it) in os.environ, migrates the database, returns the variables set."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["TILESHOP_HOME"] = str(home)
    os.environ.pop("DAGSTER_HOME", None)
    os.environ.pop("DAGSTER_PG_URL", None)
    env = {"TILESHOP_HOME": str(home), **bootstrap.configure_environment(db.database_url())}
    with db.connect() as conn:  # what `tileshop db migrate` does once per deploy
        from tileshop_pipelines.store.migrations import migrate

        migrate(conn)
    return env


@dataclass
class SampleSite:
    catalog: Catalog
    server: CatalogServer
    env: dict[str, str]  # the tileshop environment plus the site's variables
    results: list = field(default_factory=list)  # what `materialize` returned

    @property
    def database_url(self) -> str:
        return self.env["DATABASE_URL"]

    def environment(self) -> contextlib.AbstractContextManager[None]:
        """os.environ pointed at this site, its database and its Dagster home."""
        return environment(self.env)


@contextlib.contextmanager
def open_sample_site(
    database_url: str,
    home: Path,
    n_products: int,
    seed: int,
    *,
    env: dict[str, str] | None = None,
    materialize: Callable[[dg.DagsterInstance], list] | None = None,
) -> Iterator[SampleSite]:
    """build_catalog(n_products, seed) served until the end of the block (its documents on the CDN
    stand-in, `site.server.cdn`), with TILESHOP_SITEMAP_URL at it, CRAWL_RATE off, the document hosts
    at the stand-in and `env`, then `materialize(instance)` run once in that environment. The
    environment is set during the block's set-up only: enter `site.environment()` to use it."""
    catalog = build_catalog(n_products=n_products, seed=seed)
    with CatalogServer(catalog, port=0) as server:
        with environment({}):
            values = tileshop_environment(database_url, home)
            values.update(
                {
                    "TILESHOP_SITEMAP_URL": f"{server.base_url}/sitemap.xml",
                    **CRAWL_RATE_OFF,
                    **DOCUMENT_HOSTS,
                    **(env or {}),
                }
            )
            os.environ.update(values)
            results = []
            if materialize is not None:
                with dg.DagsterInstance.get() as instance:
                    results = list(materialize(instance))
        yield SampleSite(catalog, server, values, results)


def refresh_everything(instance: dg.DagsterInstance) -> list:
    """The whole graph, as `tileshop run` materializes it."""
    from tileshop_pipelines.local_runs import refresh_everything as run

    return run(instance, raise_on_error=True)


def sitemap_and_crawl(instance: dg.DagsterInstance) -> list:
    """The sitemap's product partitions, then one crawl of them all (fast retries)."""
    from tileshop_pipelines.local_runs import crawl_all_products, refresh_sitemap

    return [
        refresh_sitemap(instance, raise_on_error=True),
        crawl_all_products(instance, raise_on_error=True, run_config=FAST_CRAWLER),
    ]
