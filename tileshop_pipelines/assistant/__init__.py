"""The shopping assistant without its HTTP face: retrieval, reading filters from a question,
follow-up questions and the offline answer. Plain Python (no FastAPI, no Dagster): the app
(rag_app), `tileshop ask`, the evaluation and `tileshop transfer verify` call it. The SQL is the
store's (store.search, store.product_lookup)."""
