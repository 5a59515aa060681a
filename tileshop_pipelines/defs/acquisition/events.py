"""What the crawl step tells Dagster: an event per product whose state changed, a count for the
rest, and the failing-pages table.

A Dagster event costs ~8 ms of the run (a row, its tags and the asset's index entry; measured by
`python -m bench --only production`), so a refresh that finds 4,800 pages unchanged would spend
more time writing "nothing happened" 9,600 times than making its conditional requests. A
partition's latest materialization therefore says when its page or record last *changed*; when
it was last *checked* is in Postgres (`product_pages.checked_at`, `tileshop status`), and the run's
`scrape_success_rate` check counts the unchanged pages.
"""

from collections.abc import Sequence
from typing import Any

import dagster as dg

from tileshop_pipelines.acquisition.refresh import RefreshReport
from tileshop_pipelines.catalog.changes import markdown_table
from tileshop_pipelines.crawl.checks import Outcome, PageCheck


def check_events(checks: list[PageCheck], attempts: dict[str, int], changes: Sequence[dict] = ()):
    """A changed page materializes product_pages (and products when its record got a new version);
    a gone page materializes product_pages and is observed gone on products; an answered page that
    did not change yields nothing (see `unchanged_count`); an unanswered one is only observed, so
    the partition keeps its last good materialization (`attempts`: its failed attempts so far). A
    new version that changed its price or specifications carries them as a Markdown table
    (`changes`: the catalog changes of these products, store.changes)."""
    by_product: dict[str, list[dict]] = {}
    for change in changes:
        by_product.setdefault(change["product_key"], []).append(change)
    for c in checks:
        meta = {"outcome": c.outcome.value, "status_code": c.status_code, "url": c.url, "requests": c.attempts}
        if c.outcome is Outcome.GONE:
            yield dg.AssetMaterialization(
                "product_pages", partition=c.product_key, metadata={**meta, "content_changed": False}
            )
            yield dg.AssetObservation("products", partition=c.product_key, metadata={"gone": True})
        elif c.answered:
            if c.changed or c.version is not None:
                yield dg.AssetMaterialization(
                    "product_pages", partition=c.product_key, metadata={**meta, "content_changed": c.changed}
                )
            if c.version is not None:
                record_meta: dict[str, Any] = {"new_version": True, "version": c.version}
                if c.product_key in by_product:
                    record_meta["changes"] = dg.MetadataValue.md(markdown_table(by_product[c.product_key]))
                yield dg.AssetMaterialization("products", partition=c.product_key, metadata=record_meta)
        else:
            yield dg.AssetObservation(
                "product_pages",
                partition=c.product_key,
                metadata={**meta, "error": c.error, "attempts": _attempts(attempts, c)},
            )


def skipped_events(skipped: list[str], states: dict[str, str]):
    """Products stored earlier in this cycle by a run that died before its events."""
    for key in skipped:
        meta = {"outcome": "checked_earlier_this_cycle", "state": states.get(key)}
        yield dg.AssetMaterialization("product_pages", partition=key, metadata=meta)
        if states.get(key) == Outcome.OK:
            yield dg.AssetMaterialization("products", partition=key, metadata=meta)


def unchanged_count(report: RefreshReport) -> int:
    """Pages that answered (200 with the same content, or 304) and whose record did not change:
    the ones `check_events` leaves out."""
    return sum(
        c.answered and c.outcome is not Outcome.GONE and not c.changed and c.version is None for c in report.checks
    )


def _attempts(attempts: dict[str, int], check: PageCheck) -> int | None:
    return None if check.product_key is None else attempts.get(check.product_key)


def failing_table(failing: list[PageCheck], attempts: dict[str, int], limit: int = 50) -> str:
    if not failing:
        return "none"
    lines = ["| product | outcome | attempts | error |", "| --- | --- | --- | --- |"]
    lines += [f"| {c.product_key} | {c.outcome} | {_attempts(attempts, c)} | {c.error} |" for c in failing[:limit]]
    if len(failing) > limit:
        lines.append(f"| ... {len(failing) - limit} more | | | |")
    return "\n".join(lines)


def suspect_table(held: list[tuple[str, str, str]], total: int) -> str:
    if not held:
        return "none"
    lines = ["| product | reason | held since |", "| --- | --- | --- |"]
    lines += [f"| {key} | {reason} | {held_at} |" for key, reason, held_at in held]
    if total > len(held):
        lines.append(f"| ... {total - len(held)} more | | |")
    return "\n".join(lines)
