"""What the crawl step tells Dagster: one event per product and asset, and the failing-pages table."""

import dagster as dg

from tileshop_pipelines.catalog.changes import markdown_table
from tileshop_pipelines.crawl.checks import Outcome, PageCheck
from tileshop_pipelines.crawl.refresh import RefreshReport


def partition_events(report: RefreshReport, skipped_states: dict[str, str], attempts: dict[str, int],
                     changes: list[dict] = ()):
    """An answered page materializes product_pages (and products, unless gone); an unanswered one
    is only observed, so the partition keeps its last good materialization. A product whose new
    version changed its price or specifications carries them as a Markdown table (`changes`)."""
    by_product: dict[str, list[dict]] = {}
    for change in changes:
        by_product.setdefault(change["product_key"], []).append(change)
    for c in report.checks:
        meta = {"outcome": c.outcome.value, "status_code": c.status_code, "url": c.url, "requests": c.attempts}
        if c.answered:
            yield dg.AssetMaterialization("product_pages", partition=c.product_key,
                                          metadata={**meta, "content_changed": c.changed})
            if c.outcome is Outcome.GONE:
                yield dg.AssetObservation("products", partition=c.product_key, metadata={"gone": True})
            else:
                record_meta = {"new_version": c.version is not None, "version": c.version}
                if c.product_key in by_product:
                    record_meta["changes"] = dg.MetadataValue.md(markdown_table(by_product[c.product_key]))
                yield dg.AssetMaterialization("products", partition=c.product_key, metadata=record_meta)
        else:
            yield dg.AssetObservation("product_pages", partition=c.product_key,
                                      metadata={**meta, "error": c.error, "attempts": attempts.get(c.product_key)})
    for key in report.skipped:  # stored earlier in this cycle (e.g. by a run that was killed)
        meta = {"outcome": "checked_earlier_this_cycle", "state": skipped_states.get(key)}
        yield dg.AssetMaterialization("product_pages", partition=key, metadata=meta)
        if skipped_states.get(key) == Outcome.OK:
            yield dg.AssetMaterialization("products", partition=key, metadata=meta)


def failing_table(failing: list[PageCheck], attempts: dict[str, int], limit: int = 50) -> str:
    if not failing:
        return "none"
    lines = ["| product | outcome | attempts | error |", "| --- | --- | --- | --- |"]
    lines += [f"| {c.product_key} | {c.outcome} | {attempts.get(c.product_key)} | {c.error} |" for c in failing[:limit]]
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
