"""How fresh the sitemap and the index must be: one table, read by the Dagster definitions (their
freshness policies) and by the app's monitoring page (no Dagster import there)."""

from __future__ import annotations

import dataclasses
import datetime as dt


@dataclasses.dataclass(frozen=True)
class FreshnessWindow:
    warn: dt.timedelta
    fail: dt.timedelta

    def verdict(self, last: dt.datetime | None, now: dt.datetime) -> str:
        """fresh, warn (past the warning window), late (past the failure window) or never."""
        if last is None:
            return "never"
        age = now - last
        return "late" if age > self.fail else "warn" if age > self.warn else "fresh"


# The sitemap is refreshed daily (06:00 UTC): a day and a half without one is a missed refresh.
# The index follows the crawl, which re-checks ~1/7 of the catalog a day (TILESHOP_MAX_AGE_DAYS);
# so do the documents (each re-checked, conditionally, once it is older than the same age), after
# every crawl and at least after the daily sitemap refresh.
FRESHNESS_WINDOWS = {
    "sitemap_urls": FreshnessWindow(warn=dt.timedelta(hours=26), fail=dt.timedelta(hours=36)),
    "product_vectors": FreshnessWindow(warn=dt.timedelta(hours=30), fail=dt.timedelta(days=3)),
    "product_documents": FreshnessWindow(warn=dt.timedelta(hours=30), fail=dt.timedelta(days=3)),
}
