"""Catalog changes as people read them: one line per change ("price 77.11/box -> 79.99/box"), a
Markdown table for Dagster's metadata, and JSON for the API and `tileshop changes --json`.
Rows come from store.changes (catalog_changes)."""

from __future__ import annotations

import datetime as dt

MAX_TABLE_ROWS = 50  # a first refresh "adds" the whole catalog; the table says how many more


def _value(value) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict) and "price" in value:  # a price with its unit
        price = value.get("price")
        if price is None:
            return "(no price)"
        amount = f"{float(price):.2f}"
        return f"{amount}/{value['unit']}" if value.get("unit") else amount
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def describe(change: dict) -> str:
    """What changed, in a phrase: `added`, `price 77.11/box -> 79.99/box`, `spec Finish: Matte -> Glossy`."""
    kind = change["change"]
    if kind == "price":
        return f"price {_value(change['old_value'])} -> {_value(change['new_value'])}"
    if kind == "spec":
        return f"spec {change['field']}: {_value(change['old_value'])} -> {_value(change['new_value'])}"
    return kind


def _cell(text) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown_table(changes: list[dict], limit: int = MAX_TABLE_ROWS) -> str:
    """The changes as a Markdown table (product, SKU, name, change), "none" when there are none."""
    if not changes:
        return "none"
    lines = ["| product | SKU | name | change |", "| --- | --- | --- | --- |"]
    lines += [f"| {_cell(c['product_key'])} | {_cell(c['sku'])} | {_cell(c['name'])} | {_cell(describe(c))} |"
              for c in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"| ... {len(changes) - limit} more | | | |")
    return "\n".join(lines)


def as_json(change: dict) -> dict:
    """A change for the API and the CLI: its fields, the time as ISO 8601, and the phrase."""
    changed_at = change["changed_at"]
    return {"changed_at": changed_at.isoformat() if isinstance(changed_at, dt.datetime) else changed_at,
            "refresh_id": change["refresh_id"], "product_key": change["product_key"], "sku": change["sku"],
            "name": change["name"], "change": change["change"], "field": change["field"],
            "old": change["old_value"], "new": change["new_value"], "summary": describe(change)}


def parse_since(text: str) -> dt.datetime:
    """`2026-12-01` or an ISO 8601 time (no zone: UTC) -> an aware datetime; ValueError otherwise."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date or ISO 8601 time: {text!r} (e.g. 2026-12-01 or 2026-12-01T06:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
