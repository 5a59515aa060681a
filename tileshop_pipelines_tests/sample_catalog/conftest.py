"""Sample catalogs shared read-only by the catalog, product and description tests (tests that update
products build their own)."""

from __future__ import annotations

import functools

import pytest

from tileshop_pipelines.sample_catalog import build_catalog


@pytest.fixture(scope="session")
def built():
    """build_catalog(n_products, seed), each build made once per session."""
    return functools.lru_cache(maxsize=None)(lambda n, seed: build_catalog(n_products=n, seed=seed))


@pytest.fixture(scope="session")
def catalog(built):
    return built(500, 7)


@pytest.fixture(scope="session")
def full_catalog(built):
    """Every real path (4,772 unique) plus synthesized ones."""
    return built(5000, 7)
