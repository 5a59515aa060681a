"""catalog.changes: phrases, the Markdown table, JSON, and --since / ?since= parsing."""

import datetime as dt

import pytest

from tileshop_pipelines.catalog.changes import as_json, describe, markdown_table, parse_since

AT = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)


def _change(kind, field=None, old=None, new=None, key="zenobia-684287"):
    return {
        "id": 1,
        "changed_at": AT,
        "refresh_id": 3,
        "product_key": key,
        "sku": "684287",
        "name": "Zenobia | 12 x 12",
        "change": kind,
        "field": field,
        "old_value": old,
        "new_value": new,
    }


def test_phrases_say_old_and_new_with_the_unit():
    assert (
        describe(_change("price", old={"price": 77.11, "unit": "box"}, new={"price": 80, "unit": "box"}))
        == "price 77.11/box -> 80.00/box"
    )
    assert (
        describe(_change("price", old={"price": None, "unit": None}, new={"price": 35.99, "unit": "each"}))
        == "price (no price) -> 35.99/each"
    )
    assert (
        describe(_change("spec", "Applications", ["Floor", "Wall"], ["Wall"]))
        == "spec Applications: Floor, Wall -> Wall"
    )
    assert describe(_change("returned")) == "returned"


def test_markdown_table_escapes_cells_and_caps_its_rows():
    table = markdown_table([_change("added", key=f"p-{i}") for i in range(53)], limit=50)
    lines = table.splitlines()
    assert lines[0] == "| product | SKU | name | change |"
    assert lines[2] == "| p-0 | 684287 | Zenobia \\| 12 x 12 | added |"  # a | in a name does not split the cell
    assert len(lines) == 2 + 50 + 1 and lines[-1] == "| ... 3 more | | | |"
    assert markdown_table([]) == "none"


def test_json_has_the_fields_and_the_phrase():
    out = as_json(_change("spec", "Finish", "Matte", "Glossy"))
    assert out == {
        "changed_at": "2026-12-02T06:00:00+00:00",
        "refresh_id": 3,
        "product_key": "zenobia-684287",
        "sku": "684287",
        "name": "Zenobia | 12 x 12",
        "change": "spec",
        "field": "Finish",
        "old": "Matte",
        "new": "Glossy",
        "summary": "spec Finish: Matte -> Glossy",
    }


def test_since_is_a_date_or_an_iso_time_utc_by_default():
    assert parse_since("2026-12-01") == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert parse_since("2026-12-01T06:30:00+01:00").utcoffset() == dt.timedelta(hours=1)
    with pytest.raises(ValueError, match="not a date or ISO 8601 time: 'last week'"):
        parse_since("last week")
