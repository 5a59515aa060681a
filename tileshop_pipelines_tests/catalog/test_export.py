"""catalog/export.py: the same columns in CSV and Parquet, formulas neutralised in CSV only, Parquet
written by row groups (one per chunk), a value of the wrong type named; catalog/changes.py's
version comparison."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tileshop_pipelines.catalog.changes import version_changes
from tileshop_pipelines.catalog.export import COLUMNS, Export, ExportError, neutralise

NOW = dt.datetime(2026, 5, 9, 7, 0, tzinfo=dt.UTC)


def _rows(n: int, **record) -> list[tuple]:
    return [
        (
            f"k{i:05d}",
            1,
            NOW,
            None,
            {
                "sku": str(i),
                "name": f"Tile {i}",
                "price": 10.0 + i,
                "box_quantity": 4,
                "applications": ["Floor"],
                "specifications": {"Finish": "Matte"},
                "directional_layout": False,
                **record,
            },
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_each_formula_start_is_neutralised(start):
    assert neutralise(f"{start}SUM(A1)") == f"'{start}SUM(A1)"
    assert neutralise(f"a{start}b") == f"a{start}b"


def test_csv_and_parquet_have_the_same_columns_and_rows():
    rows = _rows(5, name="=cmd|' /C calc'!A0")
    csv = pd.read_csv(io.BytesIO(b"".join(Export([rows], "csv"))), dtype=str, keep_default_na=False)
    parquet = pq.read_table(io.BytesIO(b"".join(Export([rows], "parquet")))).to_pandas()
    assert list(csv.columns) == list(parquet.columns) == list(COLUMNS)
    assert list(csv["product_key"]) == list(parquet["product_key"])
    assert set(csv["name"]) == {"'=cmd|' /C calc'!A0"} and set(parquet["name"]) == {"=cmd|' /C calc'!A0"}
    assert parquet["specifications"][0] == '{"Finish":"Matte"}' and csv["applications"][0] == '["Floor"]'
    assert csv["parsed_at"][0] == "2026-05-09T07:00:00+00:00"


def test_parquet_is_written_by_row_groups_and_an_empty_export_keeps_its_columns():
    rows = _rows(2500)
    data = b"".join(Export([rows[:1000], rows[1000:2000], rows[2000:]], "parquet"))
    assert pq.ParquetFile(io.BytesIO(data)).num_row_groups == 3
    assert pq.read_table(io.BytesIO(data)).num_rows == 2500
    empty = pq.read_table(io.BytesIO(b"".join(Export([], "parquet"))))
    assert empty.num_rows == 0 and empty.column_names == list(COLUMNS)
    assert b"".join(Export([], "csv")).decode().strip() == ",".join(COLUMNS)


def test_a_value_of_the_wrong_type_is_named():
    with pytest.raises(ExportError, match=r"'k00000': box_quantity is '4 pcs'"):
        b"".join(Export([_rows(1, box_quantity="4 pcs")], "csv"))
    with pytest.raises(ValueError, match="'xlsx'"):
        Export([], "xlsx")


def test_version_changes():
    old = {
        "price": 77.11,
        "price_unit": "box",
        "name": "A",
        "specifications": {"Finish": "Matte"},
        "provenance": {"price": "jsonld"},
    }
    new = {
        **old,
        "price": 79.99,
        "name": "B",
        "specifications": {"Finish": "Glossy", "Edge": "Rectified"},
        "provenance": {"price": "next_data"},
    }
    assert [c["summary"] for c in version_changes(old, new)] == [
        "price 77.11/box -> 79.99/box",
        "spec Edge: (none) -> Rectified",
        "spec Finish: Matte -> Glossy",
        "name: A -> B",
    ]
    assert [c["summary"] for c in version_changes(None, new)] == ["added"]
