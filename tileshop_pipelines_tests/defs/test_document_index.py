"""The document index's assets and checks, materialized by Dagster on a real database holding the
sample catalog's known products and their documents (as the documents step stores them)."""

from __future__ import annotations

import io

import dagster as dg
import pytest
from pypdf import PdfReader

from tileshop_pipelines.defs.document_index import checks
from tileshop_pipelines.defs.document_index.assets import document_chunks, document_embeddings, document_vectors
from tileshop_pipelines.defs.resources import EmbedderResource, PostgresResource, VectorStoreResource
from tileshop_pipelines.sample_catalog.pdfs import document_pdf
from tileshop_pipelines.store import db
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.migrations import migrate

from ..support.documents import store_document, unlink

CDN = "https://s7d1.scene7.com/is/content/TileShop/pdf/"
DOCUMENTS = {  # url -> (name, the products naming it)
    CDN + "tds/superior-lft-bond-mortar-tds.pdf": ("Technical Data Sheet", ["lft-43521"]),
    CDN + "sds/superior-lft-bond-mortar-sds.pdf": ("Safety Data Sheet", ["lft-43521"]),
    CDN + "installation/laminate-installation-instructions.pdf": ("Installation Instructions", ["oak-684059"]),
}


def _pages(url: str) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(document_pdf(url))).pages]


@pytest.fixture(scope="module")
def database(make_database):
    url = make_database()
    with db.connect(url) as conn:
        migrate(conn)
        products_sql.save_records(
            conn,
            [
                (
                    "lft-43521",
                    "h1",
                    {
                        "sku": "43521",
                        "name": "Superior White LFT Bond Mortar 50 lb",
                        "url": "http://s/products/lft-43521",
                        "price": 35.99,
                        "price_unit": "each",
                    },
                ),
                (
                    "oak-684059",
                    "h2",
                    {
                        "sku": "684059",
                        "name": "Oak Brera Classic Laminate",
                        "url": "http://s/products/oak",
                        "price": 26.29,
                        "price_unit": "box",
                    },
                ),
            ],
            [],
        )
        for key in ("lft-43521", "oak-684059"):
            conn.execute(
                "INSERT INTO sitemap_urls (url, kind, product_key) VALUES (%s, 'product', %s)",
                (f"http://s/products/{key}", key),
            )
        for document, (name, keys) in DOCUMENTS.items():
            store_document(conn, document, name, _pages(document), keys)
    return url


def _materialize(url: str) -> dg.ExecuteInProcessResult:
    every_check = [c for c in vars(checks).values() if isinstance(c, dg.AssetChecksDefinition)]
    return dg.materialize(
        [document_chunks, document_embeddings, document_vectors, *every_check],
        resources={
            "postgres": PostgresResource(database_url=url),
            "embedder": EmbedderResource(),
            "vector_store": VectorStoreResource(),
        },
    )


def test_the_documents_become_searchable_and_a_second_run_does_nothing(database):
    first = _materialize(database)
    assert first.success
    chunks = first.asset_materializations_for_node("document_chunks")[0].metadata
    assert chunks["rechunked_documents"].value == 3 and chunks["indexed_documents"].value == 3
    vectors = first.asset_materializations_for_node("document_vectors")[0].metadata
    assert vectors["written"].value == vectors["vectors"].value == chunks["chunks"].value > 10
    checks = {e.check_name: e for e in first.get_asset_check_evaluations()}
    assert set(checks) == {
        "document_vectors_match_chunks",
        "document_vector_dimension",
        "document_vector_indexes",
        "documents_have_passages",
        "document_canary_query",
    }
    assert all(e.passed for e in checks.values()), {n: e.metadata for n, e in checks.items()}
    assert (
        "Superior LFT Bond Mortar Technical Data Sheet, page 2"
        in checks["document_canary_query"].metadata["top_passages"].value
    )

    second = _materialize(database)  # nothing changed: nothing chunked, embedded or written again
    assert second.asset_materializations_for_node("document_chunks")[0].metadata["rechunked_documents"].value == 0
    assert second.asset_materializations_for_node("document_embeddings")[0].metadata["embedded"].value == 0
    assert second.asset_materializations_for_node("document_vectors")[0].metadata["written"].value == 0


def test_an_unlinked_document_leaves_the_index_and_the_canary_says_when_its_sheet_is_gone(database):
    _materialize(database)
    with db.connect(database) as conn:
        (tds,) = conn.execute("SELECT document_id FROM documents WHERE url LIKE '%lft-bond-mortar-tds.pdf'").fetchone()
        unlink(conn, tds, "lft-43521")
    result = _materialize(database)
    assert result.asset_materializations_for_node("document_vectors")[0].metadata["deleted"].value > 0
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["document_canary_query"].passed  # the data sheet it asks about is out of the index
    assert checks["document_vectors_match_chunks"].passed
    with db.connect(database) as conn:  # the document itself stays, with its pages and history
        assert conn.execute("SELECT count(*) FROM document_pages WHERE document_id = %s", (tds,)).fetchone()[0] == 3
