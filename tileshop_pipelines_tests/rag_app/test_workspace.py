"""The catalog team's workspace API (admin token): the product list (search, filters, sort, paging),
a product's page data, the export by its three paths (API, `tileshop export`, the catalog_snapshot
asset) giving the same rows, and re-crawl requests refused before anything launches."""

from __future__ import annotations

import copy
import io
import math

import dagster as dg
import pandas as pd
import pyarrow.parquet as pq
import pytest

from bench.sample_index import load_records
from tileshop_pipelines.catalog.export import COLUMNS
from tileshop_pipelines.cli import main as cli_main
from tileshop_pipelines.sample_catalog import build_catalog
from tileshop_pipelines.store import db
from tileshop_pipelines.store import products as products_sql

from .conftest import ADMIN, app_client, settings_for

N = 60
FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'


@pytest.fixture(scope="module")
def workspace(make_database):
    """60 products as records; one with a second version (price and a specification changed), one
    gone, one with a held suspect parse, one named like a spreadsheet formula."""
    url = make_database()
    catalog = build_catalog(n_products=N, seed=5)
    with db.connect(url) as conn:
        records = load_records(conn, catalog)
        keys = sorted(records)
        changed, gone, suspect, formula = keys[0], keys[1], keys[2], keys[3]
        key, digest, record = records[changed]
        newer = copy.deepcopy(record)
        newer["price"] = round(record["price"] + 5, 2)
        newer["specifications"] = {**record["specifications"], "Finish": "Glossy (changed)"}
        products_sql.save_records(conn, [(key, digest + "2", newer)], [])
        products_sql.mark_gone(conn, [gone])
        key, digest, record = records[suspect]
        products_sql.save_records(conn, [(key, digest + "x", {**record, "price": None})], [])
        key, digest, record = records[formula]
        products_sql.save_records(conn, [(key, digest + "f", {**record, "name": FORMULA_NAME})], [])
    return {
        "url": url,
        "records": records,
        "changed": changed,
        "gone": gone,
        "suspect": suspect,
        "formula": formula,
        "newer_price": newer["price"],
    }


@pytest.fixture(scope="module")
def client(workspace):
    # A body limit above the default 64 KB, so 10,000 SKUs reach the recrawl's own bound (at the
    # default, the body limit answers 413 first: test_ten_thousand_skus_at_the_default_body_limit).
    with app_client(workspace["url"], settings_for(max_body_bytes=1024 * 1024)) as c:
        yield c


def test_pages_and_data_are_refused_without_the_admin_token(client):
    for path in (
        "/api/admin/catalog/products",
        "/api/admin/catalog/facets",
        "/api/admin/catalog/export?format=csv",
        "/api/admin/catalog/product?key=x",
    ):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert client.post("/api/admin/recrawl", json={"skus": ["684287"]}).status_code == 401
    # the pages are shells holding no data; what they show comes from the guarded endpoints
    assert client.get("/admin/catalog").status_code == 200
    with app_client(client.app.state.database_url, settings_for(admin_token=None)) as closed:
        assert closed.get("/api/admin/catalog/products", headers=ADMIN).status_code == 403


def test_list_pages_over_the_whole_catalog_in_any_sort_order(client):
    seen = []
    first = client.get(
        "/api/admin/catalog/products", params={"per_page": 25, "sort": "price", "order": "desc"}, headers=ADMIN
    ).json()
    assert first["total"] == N and first["pages"] == math.ceil(N / 25)
    for page in range(1, first["pages"] + 1):
        body = client.get(
            "/api/admin/catalog/products",
            params={"per_page": 25, "page": page, "sort": "price", "order": "desc"},
            headers=ADMIN,
        ).json()
        seen += body["products"]
    assert len(seen) == N and len({p["product_key"] for p in seen}) == N
    prices = [p["price"] for p in seen if p["price"] is not None]
    assert prices == sorted(prices, reverse=True)
    assert [p["price"] for p in seen[len(prices) :]] == [None] * (N - len(prices))  # nulls last
    for column in ("sku", "name", "checked_at", "attempts", "version", "category"):
        assert client.get("/api/admin/catalog/products", params={"sort": column}, headers=ADMIN).status_code == 200


def test_filters(client, workspace):
    def keys(**params):
        body = client.get("/api/admin/catalog/products", params={**params, "per_page": 200}, headers=ADMIN)
        assert body.status_code == 200, body.text
        return {p["product_key"] for p in body.json()["products"]}

    assert keys(gone=True) == {workspace["gone"]}
    assert keys(suspect=True) == {workspace["suspect"]}
    assert len(keys(gone=False)) == N - 1
    assert keys(state="unchecked") and keys(state="ok") == set()  # records loaded without a crawl
    facets = client.get("/api/admin/catalog/facets", headers=ADMIN).json()
    category = facets["categories"][0]
    in_category = keys(category=category.upper())  # case-insensitive
    assert in_category and all(workspace["records"][k][2]["category"] == category for k in in_category)
    material = facets["materials"][0]
    assert all(workspace["records"][k][2]["material"] == material for k in keys(material=material))
    cheap = client.get(
        "/api/admin/catalog/products", params={"price_min": 10, "price_max": 60, "per_page": 200}, headers=ADMIN
    ).json()["products"]
    assert cheap and all(10 <= p["price"] <= 60 for p in cheap)
    sku = workspace["records"][workspace["changed"]][2]["sku"]
    assert workspace["changed"] in keys(q=sku)
    assert keys(q="100%_no_such") == set()  # LIKE's wildcards are literal
    color = workspace["records"][workspace["changed"]][2]["color"].split(",")[0]
    assert workspace["changed"] in keys(color=color.lower())


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"sort": "price; DROP TABLE products"}, "sort"),
        ({"sort": "html"}, "sort"),
        ({"state": "sleeping"}, "state"),
        ({"q": "tile\x00"}, "q"),
        ({"price_min": 50, "price_max": 10}, "price_min"),
        ({"per_page": 1000}, "per_page"),
    ],
)
def test_bad_list_input_is_a_422_naming_it(client, params, named):
    response = client.get("/api/admin/catalog/products", params=params, headers=ADMIN)
    assert response.status_code == 422 and named in response.text, response.text


def test_a_page_past_the_end_says_so(client):
    response = client.get("/api/admin/catalog/products", params={"page": 4, "per_page": 25}, headers=ADMIN)
    assert response.status_code == 404
    assert response.json()["detail"] == "page 4 is past the end: 60 products make 3 page(s) of 25"


def test_product_page_data(client, workspace):
    key = workspace["changed"]
    body = client.get("/api/admin/catalog/product", params={"key": key}, headers=ADMIN).json()
    assert body["version"] == 2 and [v["version"] for v in body["versions"]] == [1, 2]
    assert body["versions"][0]["changes"][0]["summary"] == "added"
    summaries = [c["summary"] for c in body["versions"][1]["changes"]]
    old = workspace["records"][key][2]
    assert f"price {old['price']:.2f}/box -> {workspace['newer_price']:.2f}/box" in summaries
    assert f"spec Finish: {old['specifications']['Finish']} -> Glossy (changed)" in summaries
    assert [(p["version"], p["price"]) for p in body["price_series"]] == [
        (1, old["price"]),
        (2, workspace["newer_price"]),
    ]
    assert body["dagster"]["partition"].startswith("http://127.0.0.1:9/assets/products?")
    held = client.get("/api/admin/catalog/product", params={"key": workspace["suspect"]}, headers=ADMIN).json()
    assert held["suspect"]["reason"].startswith("price became null")
    assert held["price"] is not None  # the current record stays
    missing = client.get("/api/admin/catalog/product", params={"key": "no-such-product"}, headers=ADMIN)
    assert missing.status_code == 404 and "no-such-product" in missing.json()["detail"]


def _api_export(client, fmt, **params) -> bytes:
    response = client.get("/api/admin/catalog/export", params={"format": fmt, **params}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.content


def _cli_export(workspace, monkeypatch, tmp_path, fmt, *extra) -> bytes:
    monkeypatch.setenv("DATABASE_URL", workspace["url"])
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path / "home"))
    out = tmp_path / f"export.{fmt}"
    assert cli_main(["export", "--format", fmt, "--output", str(out), *extra]) == 0
    return out.read_bytes()


def test_the_three_export_paths_give_the_same_rows(client, workspace, monkeypatch, tmp_path):
    api_parquet = pq.read_table(io.BytesIO(_api_export(client, "parquet"))).to_pandas()
    cli_parquet = pq.read_table(io.BytesIO(_cli_export(workspace, monkeypatch, tmp_path, "parquet"))).to_pandas()
    from tileshop_pipelines.defs.catalog.snapshot import catalog_snapshot
    from tileshop_pipelines.defs.resources import PostgresResource

    result = dg.materialize([catalog_snapshot], resources={"postgres": PostgresResource(database_url=workspace["url"])})
    [materialization] = result.asset_materializations_for_node("catalog_snapshot")
    meta = materialization.metadata
    assert meta["dagster/row_count"].value == N
    assert workspace["formula"] in meta["preview"].value or meta["preview"].value.count("\n") == 11
    snapshot = pd.read_parquet(meta["path"].value)
    assert str(tmp_path / "home") in meta["path"].value and "catalog-" in meta["path"].value
    for frame in (api_parquet, cli_parquet, snapshot):
        assert list(frame.columns) == list(COLUMNS) and len(frame) == N
    pd.testing.assert_frame_equal(api_parquet, cli_parquet)
    pd.testing.assert_frame_equal(api_parquet, snapshot)

    api_csv = _api_export(client, "csv")
    assert api_csv == _cli_export(workspace, monkeypatch, tmp_path, "csv")
    csv = pd.read_csv(io.BytesIO(api_csv), dtype=str, keep_default_na=False)
    assert list(csv.columns) == list(COLUMNS) and len(csv) == N
    assert list(csv["product_key"]) == list(api_parquet["product_key"])
    row = api_parquet[api_parquet["product_key"] == workspace["changed"]].iloc[0]
    assert row["version"] == 2 and row["price"] == workspace["newer_price"]
    assert '"Finish": "Glossy (changed)"' in row["specifications"].replace('":"', '": "')


def test_csv_neutralises_formulas_and_parquet_keeps_values(client, workspace):
    csv = pd.read_csv(io.BytesIO(_api_export(client, "csv")), dtype=str, keep_default_na=False)
    name = csv.loc[csv["product_key"] == workspace["formula"], "name"].item()
    assert name == "'" + FORMULA_NAME
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in csv.to_numpy().ravel())
    parquet = pq.read_table(io.BytesIO(_api_export(client, "parquet"))).to_pandas()
    assert parquet.loc[parquet["product_key"] == workspace["formula"], "name"].item() == FORMULA_NAME


def test_export_by_category_and_bad_export_input(client, workspace, monkeypatch, tmp_path, capsys):
    category = workspace["records"][workspace["changed"]][2]["category"]
    frame = pq.read_table(io.BytesIO(_api_export(client, "parquet", category=category))).to_pandas()
    expected = {k for k, (_, _, r) in workspace["records"].items() if r["category"] == category}
    assert set(frame["product_key"]) == expected and list(frame.columns) == list(COLUMNS)
    bad = client.get("/api/admin/catalog/export", params={"format": "xlsx"}, headers=ADMIN)
    assert bad.status_code == 422 and "format" in bad.text
    none = client.get("/api/admin/catalog/export", params={"format": "csv", "category": "Spaceships"}, headers=ADMIN)
    assert none.status_code == 404 and "'Spaceships'" in none.json()["detail"]
    monkeypatch.setenv("DATABASE_URL", workspace["url"])
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path / "home"))
    out = tmp_path / "x.csv"
    assert cli_main(["export", "--format", "xlsx", "--output", str(out)]) == 2
    assert "'xlsx'" in capsys.readouterr().err
    assert cli_main(["export", "--format", "csv", "--category", "Spaceships", "--output", str(out)]) == 2
    assert "'Spaceships'" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"skus": ["684287", "000000"]}, "'000000'"),
        ({"skus": [str(i) for i in range(10_000)]}, "10000 SKUs"),
        ({"category": "Spaceships"}, "'Spaceships'"),
        ({"product_keys": ["no-such-key"]}, "'no-such-key'"),
        ({"skus": ["684287"], "category": "Tile"}, "exactly one"),
        ({}, "exactly one"),
        ({"skus": ["68\x004287"]}, "skus"),
    ],
)
def test_bad_recrawl_requests_are_refused_before_anything_launches(client, body, named):
    # Dagster is unreachable in these settings: had anything been launched, the answer would be 502.
    response = client.post("/api/admin/recrawl", json=body, headers=ADMIN)
    assert response.status_code == 422 and named in response.text, response.text


def test_ten_thousand_skus_at_the_default_body_limit(workspace):
    with app_client(workspace["url"], settings_for()) as c:
        response = c.post("/api/admin/recrawl", json={"skus": [f"{i:06d}" for i in range(10_000)]}, headers=ADMIN)
    assert response.status_code == 413


def test_recrawl_command_refuses_bad_input_with_exit_2(workspace, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", workspace["url"])
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TILESHOP_DAGSTER_UI_URL", "http://127.0.0.1:9")
    assert cli_main(["recrawl", "000000"]) == 2
    assert "'000000'" in capsys.readouterr().err
    assert cli_main(["recrawl", "--category", "Spaceships"]) == 2
    assert "'Spaceships'" in capsys.readouterr().err
    assert cli_main(["recrawl", *[str(i) for i in range(10_000)]]) == 2
    assert "10000 SKUs" in capsys.readouterr().err
    assert cli_main(["recrawl"]) == 2
