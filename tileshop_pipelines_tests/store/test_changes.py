"""catalog_changes: what the sitemap refresh (added, delisted, returned) and a new product version
(price with unit, specifications) record, and how they are read back."""

import datetime as dt

from tileshop_pipelines.catalog.changes import describe
from tileshop_pipelines.store import changes as changes_sql
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.acquisition import ListedUrl, listing_changes, record_sitemap


def _listing(*slugs):
    return [ListedUrl(f"http://s/products/{slug}", "product", slug, slug.rsplit("-", 1)[-1], None) for slug in slugs]


def _kinds(changes):
    return sorted((c["product_key"], c["change"]) for c in changes)


def test_listing_changes_tell_added_delisted_and_returned_products():
    assert listing_changes(known={"a", "b", "c"}, listed_before={"a", "b"}, listed_now={"b", "c", "d"}) == {
        "d": "added",
        "c": "returned",
        "a": "delisted",
    }


def test_each_refresh_records_its_added_delisted_and_returned_products(conn):
    first = record_sitemap(conn, _listing("tile-a-1", "tile-b-2", "tile-c-3"))
    assert _kinds(changes_sql.list_changes(conn, refresh_id=first.refresh_id)) == [
        ("tile-a-1", "added"),
        ("tile-b-2", "added"),
        ("tile-c-3", "added"),
    ]
    products_sql.save_records(
        conn, [("tile-c-3", "h", {"sku": "3", "url": "http://s/products/tile-c-3", "name": "Tile C"})], []
    )
    second = record_sitemap(conn, _listing("tile-a-1", "tile-b-2"))
    [delisted] = changes_sql.list_changes(conn, refresh_id=second.refresh_id)
    assert (delisted["product_key"], delisted["sku"], delisted["name"], delisted["change"]) == (
        "tile-c-3",
        "3",
        "Tile C",
        "delisted",
    )
    third = record_sitemap(conn, _listing("tile-a-1", "tile-b-2", "tile-c-3", "tile-d-4"))
    assert _kinds(changes_sql.list_changes(conn, refresh_id=third.refresh_id)) == [
        ("tile-c-3", "returned"),
        ("tile-d-4", "added"),
    ]
    fourth = record_sitemap(conn, _listing("tile-a-1", "tile-b-2", "tile-c-3", "tile-d-4"))
    assert changes_sql.list_changes(conn, refresh_id=fourth.refresh_id) == []  # nothing changed: nothing recorded
    assert changes_sql.count_changes(conn) == {"added": 4, "delisted": 1, "returned": 1, "price": 0, "spec": 0}


def test_a_new_version_records_its_price_and_spec_changes_old_to_new(conn):
    record_sitemap(conn, _listing("zenobia-684287"))
    record = {
        "sku": "684287",
        "url": "http://s/products/zenobia-684287",
        "name": "Zenobia",
        "price": 77.11,
        "price_unit": "box",
        "specifications": {"Finish": "Matte", "Thickness": "9mm"},
    }
    products_sql.save_records(conn, [("zenobia-684287", "h1", record)], [])
    # the first version is no change of its own (the listing said "added")
    assert _kinds(changes_sql.list_changes(conn, product_keys=["zenobia-684287"])) == [("zenobia-684287", "added")]
    before = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    changed = {**record, "price": 79.99, "specifications": {"Finish": "Glossy", "Color": "White"}}
    assert products_sql.save_records(conn, [("zenobia-684287", "h2", changed)], []) == {"zenobia-684287": 2}
    changes = changes_sql.list_changes(conn, since=before)
    assert sorted(describe(c) for c in changes) == [
        "price 77.11/box -> 79.99/box",
        "spec Color: (none) -> White",
        "spec Finish: Matte -> Glossy",
        "spec Thickness: 9mm -> (none)",
    ]
    assert {(c["sku"], c["name"], c["refresh_id"] is not None) for c in changes} == {("684287", "Zenobia", True)}
    price = next(c for c in changes if c["change"] == "price")
    assert (price["old_value"], price["new_value"]) == (
        {"price": 77.11, "unit": "box"},
        {"price": 79.99, "unit": "box"},
    )

    # a unit change alone is a price change; a name change alone is neither
    per_sqft = {**changed, "price_unit": "sqft"}
    products_sql.save_records(conn, [("zenobia-684287", "h3", per_sqft)], [])
    products_sql.save_records(conn, [("zenobia-684287", "h4", {**per_sqft, "name": "Zenobia II"})], [])
    later = changes_sql.list_changes(conn, since=before)[len(changes) :]
    assert [describe(c) for c in later] == ["price 79.99/box -> 79.99/sqft"]


def test_a_record_held_as_suspect_records_no_change(conn):
    record = {"sku": "1", "url": "u", "name": "A", "price": 5.0, "price_unit": "box"}
    products_sql.save_records(conn, [("a", "h1", record)], [])
    before = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    products_sql.save_records(conn, [("a", "h2", {**record, "price": None})], [])  # lost its price: held
    assert changes_sql.list_changes(conn, since=before) == []


def test_since_filters_by_time(conn):
    record_sitemap(conn, _listing("a-1"))
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert changes_sql.list_changes(conn, since=future) == []
    assert len(changes_sql.list_changes(conn, since=future - dt.timedelta(days=1))) == 1
