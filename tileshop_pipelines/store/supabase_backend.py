"""The vector store on a Supabase project, through the `supabase` client (PostgREST).

Rows go to `/rest/v1/<table>` (product_vectors, or document_vectors; upsert on `id`: one request
is one transaction on the server, so a batch lands whole or not at all); searches are
`rpc("match_products" | "fulltext_search" | "hybrid_search")`. The project needs the tables and functions of
supabase_schema.supabase_vector_store_sql() (the migrations' marked statements) and then the
grants of sql/supabase_roles.sql; writes need the service role key. DDL is not available over
PostgREST, so the HNSW index is never dropped for bulk loads here and a missing index shows in
the asset checks instead of being rebuilt.
"""

from __future__ import annotations

import numpy as np

from tileshop_pipelines.store import document_search, search
from tileshop_pipelines.store.vector_tables import PRODUCT_VECTORS, VectorTable

PAGE_ROWS = 1000  # PostgREST's usual max-rows
DELETE_IDS = 100  # ids per DELETE ?id=in.(...) URL


class SupabaseConfigError(RuntimeError):
    pass


def _vector_list(embedding) -> list[float]:
    values = embedding.to_list() if hasattr(embedding, "to_list") else np.asarray(embedding).tolist()
    return [float(v) for v in values]


def _search_rows(
    data: list[dict], keys=("id", "product_key", "chunk_kind", "content", "metadata", "score")
) -> list[dict]:
    return [{k: row[k] for k in keys} for row in data]


class SupabaseVectorStore:
    backend = "supabase"
    batch_rows = 500  # rows per upsert request (one transaction): ~2 MB of JSON at 384 dimensions

    def __init__(self, client, table: VectorTable = PRODUCT_VECTORS):
        self.client = client
        self.table = table

    @classmethod
    def connect(cls, url: str, key: str, table: VectorTable = PRODUCT_VECTORS) -> SupabaseVectorStore:
        if not url or not key:
            raise SupabaseConfigError(
                "the supabase vector store needs SUPABASE_URL and SUPABASE_SERVICE_KEY; "
                f"got url={url!r} and {'a' if key else 'no'} key"
            )
        from supabase import create_client

        return cls(create_client(url, key), table)

    def source_hashes(self) -> dict[str, str | None]:
        hashes: dict[str, str | None] = {}
        start = 0
        while True:
            page = (
                self.client.table(self.table.name)
                .select("id,source_hash")
                .order("id")
                .range(start, start + PAGE_ROWS - 1)
                .execute()
                .data
            )
            hashes.update((row["id"], row["source_hash"]) for row in page)
            if len(page) < PAGE_ROWS:
                return hashes
            start += PAGE_ROWS

    def insert(self, rows: list[dict]) -> None:
        self.upsert(rows)

    def upsert(self, rows: list[dict]) -> None:
        """One request, so one transaction on the server."""
        if rows:
            payload = [
                {**{c: row[c] for c in self.table.columns}, "embedding": _vector_list(row["embedding"])} for row in rows
            ]
            self.client.table(self.table.name).upsert(payload, on_conflict="id", returning="minimal").execute()

    def delete(self, ids: list[str]) -> None:
        for start in range(0, len(ids), DELETE_IDS):
            self.client.table(self.table.name).delete(returning="minimal").in_(
                "id", ids[start : start + DELETE_IDS]
            ).execute()

    def drop_index(self) -> None:
        """Not possible over PostgREST; bulk loads go through the index."""

    def ensure_index(self) -> bool:
        return False

    def stats(self) -> dict:
        return self.client.rpc(self.table.stats_function, {}).execute().data

    def match_products(self, query_embedding, match_count, filter=None):
        return _search_rows(
            self.client.rpc(
                "match_products",
                {"query_embedding": _vector_list(query_embedding), "match_count": match_count, "filter": filter or {}},
            )
            .execute()
            .data
        )

    def fulltext_search(self, query_text, match_count, filter=None):
        return _search_rows(
            self.client.rpc(
                "fulltext_search", {"query_text": query_text, "match_count": match_count, "filter": filter or {}}
            )
            .execute()
            .data
        )

    def hybrid_search(
        self,
        query_text,
        query_embedding,
        match_count,
        filter=None,
        full_text_weight=search.FULL_TEXT_WEIGHT,
        semantic_weight=search.SEMANTIC_WEIGHT,
        rrf_k=search.RRF_K,
    ):
        return _search_rows(
            self.client.rpc(
                "hybrid_search",
                {
                    "query_text": query_text,
                    "query_embedding": _vector_list(query_embedding),
                    "match_count": match_count,
                    "full_text_weight": full_text_weight,
                    "semantic_weight": semantic_weight,
                    "rrf_k": rrf_k,
                    "filter": filter or {},
                },
            )
            .execute()
            .data
        )

    def hybrid_search_documents(self, query_text, query_embedding, match_count):
        return _search_rows(
            self.client.rpc(
                "hybrid_search_documents",
                {
                    "query_text": query_text,
                    "query_embedding": _vector_list(query_embedding),
                    "match_count": match_count,
                },
            )
            .execute()
            .data,
            document_search.ROW_KEYS,
        )
