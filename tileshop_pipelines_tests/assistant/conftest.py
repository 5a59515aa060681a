"""The assistant's fixtures: `make run`'s 500-product sample catalog as an index."""

from __future__ import annotations

import pytest

from tileshop_pipelines.store import db

RUN_PRODUCTS = 500  # `make run`'s catalog: products=500, seed=7
RUN_SEED = 7


@pytest.fixture(scope="session")
def run_catalog_url(make_database) -> str:
    """A database holding `make run`'s catalog as records, chunks and vectors (~3 min to embed on
    two busy cores): the issue's questions are asked of exactly this catalog."""
    from bench.sample_index import load_catalog
    from tileshop_pipelines.sample_catalog import build_catalog

    url = make_database()
    with db.connect(url) as conn:
        counts = load_catalog(conn, build_catalog(n_products=RUN_PRODUCTS, seed=RUN_SEED))
    assert counts["products"] == RUN_PRODUCTS
    return url
