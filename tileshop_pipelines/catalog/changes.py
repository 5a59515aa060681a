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
    if kind == "field":
        return f"{change['field']}: {_value(change['old_value'])} -> {_value(change['new_value'])}"
    return kind


# Record keys a version comparison skips: where each value was read from, not what it is.
_NOT_COMPARED = frozenset({"provenance", "price", "price_unit", "specifications"})


def version_changes(old: dict | None, new: dict) -> list[dict]:
    """What changed from record `old` to `new` (two versions of a product), each change with its
    phrase: the price with its unit, each specification, each other field. [`added`] for a first
    version."""
    if old is None:
        return [{"change": "added", "field": None, "old_value": None, "new_value": None, "summary": "added"}]
    changes = []
    if (old.get("price"), old.get("price_unit")) != (new.get("price"), new.get("price_unit")):
        changes.append(
            {
                "change": "price",
                "field": None,
                "old_value": {"price": old.get("price"), "unit": old.get("price_unit")},
                "new_value": {"price": new.get("price"), "unit": new.get("price_unit")},
            }
        )
    old_specs = specs if isinstance(specs := old.get("specifications"), dict) else {}
    new_specs = specs if isinstance(specs := new.get("specifications"), dict) else {}
    changes += [
        {"change": "spec", "field": k, "old_value": old_specs.get(k), "new_value": new_specs.get(k)}
        for k in sorted(old_specs.keys() | new_specs.keys())
        if old_specs.get(k) != new_specs.get(k)
    ]
    changes += [
        {"change": "field", "field": k, "old_value": old.get(k), "new_value": new.get(k)}
        for k in sorted((old.keys() | new.keys()) - _NOT_COMPARED)
        if old.get(k) != new.get(k)
    ]
    return [{**c, "summary": describe(c)} for c in changes]


def _cell(text) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown_table(changes: list[dict], limit: int = MAX_TABLE_ROWS) -> str:
    """The changes as a Markdown table (product, SKU, name, change), "none" when there are none."""
    if not changes:
        return "none"
    lines = ["| product | SKU | name | change |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {_cell(c['product_key'])} | {_cell(c['sku'])} | {_cell(c['name'])} | {_cell(describe(c))} |"
        for c in changes[:limit]
    ]
    if len(changes) > limit:
        lines.append(f"| ... {len(changes) - limit} more | | | |")
    return "\n".join(lines)


def as_json(change: dict) -> dict:
    """A change for the API and the CLI: its fields, the time as ISO 8601, and the phrase."""
    changed_at = change["changed_at"]
    return {
        "changed_at": changed_at.isoformat() if isinstance(changed_at, dt.datetime) else changed_at,
        "refresh_id": change["refresh_id"],
        "product_key": change["product_key"],
        "sku": change["sku"],
        "name": change["name"],
        "change": change["change"],
        "field": change["field"],
        "old": change["old_value"],
        "new": change["new_value"],
        "summary": describe(change),
    }


def parse_since(text: str) -> dt.datetime:
    """`2026-12-01` or an ISO 8601 time (no zone: UTC) -> an aware datetime; ValueError otherwise."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date or ISO 8601 time: {text!r} (e.g. 2026-12-01 or 2026-12-01T06:00:00Z)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
