"""A `tileshop run` crawl in a process of its own (what the kill and outage tests interrupt), and row counts."""

from __future__ import annotations

from tileshop_pipelines.store import db

# local_runs.crawl_all_products on the instance DAGSTER_HOME and DAGSTER_PG_URL name.
CRAWL = """
import dagster as dg
from tileshop_pipelines.local_runs import crawl_all_products
with dg.DagsterInstance.get() as instance:
    crawl_all_products(instance)
"""


def count(url: str, query: str) -> int:
    with db.connect(url) as conn:
        return conn.execute(query).fetchone()[0]
