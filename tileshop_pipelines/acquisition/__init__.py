"""Acquisition: fetch product pages (crawl/), parse them (catalog/) and store them (store/), in
batches. Plain Python; the Dagster assets (defs/acquisition/) call it."""
