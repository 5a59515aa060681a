"""The sensor's batching, without Dagster: due products -> range runs of neighbouring keys."""

import datetime as dt

from tileshop_pipelines.defs.acquisition.automation import _stale_waited_too_long, plan_crawl_batches
from tileshop_pipelines.store.acquisition import DueProduct

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _due(*keys, reason="stale", fetched_at=None):
    return [DueProduct(k, reason, fetched_at) for k in keys]


def test_batches_follow_partition_order_not_urgency():
    due = _due("e", "a", "d") + _due("b", reason="new")
    batches = plan_crawl_batches(due, ["a", "b", "c", "d", "e"], batch_size=2)
    assert [[d.product_key for d in b] for b in batches] == [["a", "b"], ["d", "e"]]


def test_batches_are_at_most_batch_size_and_cover_every_due_product():
    keys = [f"k{i:03d}" for i in range(25)]
    batches = plan_crawl_batches(_due(*reversed(keys)), keys, batch_size=10)
    assert [len(b) for b in batches] == [10, 10, 5]
    assert [d.product_key for b in batches for d in b] == keys


def test_products_without_a_partition_are_left_out():
    # registered by the next sitemap refresh; a run cannot name a partition that does not exist
    assert [[d.product_key for d in b] for b in plan_crawl_batches(_due("a", "zz"), ["a"], 5)] == [["a"]]
    assert plan_crawl_batches([], ["a"], 5) == []


def test_stale_products_wait_for_a_full_batch_until_the_oldest_waited_past_max_age():
    week = dt.timedelta(days=7)
    recent = _due("a", fetched_at=NOW - week - dt.timedelta(minutes=10))
    overdue = _due("a", fetched_at=NOW - week - dt.timedelta(hours=2))
    assert not _stale_waited_too_long(recent, NOW, week)
    assert _stale_waited_too_long(overdue, NOW, week)
    assert _stale_waited_too_long(_due("never-fetched"), NOW, week)
    assert not _stale_waited_too_long([], NOW, week)
