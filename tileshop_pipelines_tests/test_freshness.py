import datetime as dt

from tileshop_pipelines.freshness import FRESHNESS_WINDOWS, FreshnessWindow

NOW = dt.datetime(2026, 12, 2, 12, tzinfo=dt.UTC)


def test_verdicts_against_the_windows():
    window = FreshnessWindow(warn=dt.timedelta(hours=26), fail=dt.timedelta(hours=36))
    assert window.verdict(None, NOW) == "never"
    assert window.verdict(NOW - dt.timedelta(hours=26), NOW) == "fresh"
    assert window.verdict(NOW - dt.timedelta(hours=27), NOW) == "warn"
    assert window.verdict(NOW - dt.timedelta(hours=36, seconds=1), NOW) == "late"


def test_the_dagster_policies_use_the_same_windows():
    from tileshop_pipelines.definitions import FRESHNESS

    assert set(FRESHNESS) == set(FRESHNESS_WINDOWS) == {"sitemap_urls", "product_vectors", "product_documents"}
    for asset, policy in FRESHNESS.items():
        assert (policy.fail_window.to_timedelta(), policy.warn_window.to_timedelta()) == (
            FRESHNESS_WINDOWS[asset].fail,
            FRESHNESS_WINDOWS[asset].warn,
        )
