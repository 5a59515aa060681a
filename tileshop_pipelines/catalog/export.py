"""The catalog export: one row per product, the record's fields as columns, the same columns in
CSV and Parquet (`tileshop export`, GET /api/admin/catalog/export, the `catalog_snapshot` asset).

Rows arrive in chunks (store.catalog_admin.export_rows reads them through a server-side cursor);
each chunk becomes a pandas DataFrame with fixed dtypes, then CSV text or one Parquet row group
(pyarrow's ParquetWriter), so memory holds one chunk whatever the catalog's size. Lists and
specifications are JSON text. In CSV, a text cell beginning with =, +, -, @, tab or CR gets a
leading apostrophe: a spreadsheet would otherwise run it as a formula (OWASP's CSV injection);
Parquet keeps the values as stored.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator
from typing import Any

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tileshop_pipelines.catalog.record import PRODUCT_FIELDS

FORMATS = ("csv", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}
CHUNK_ROWS = 2000  # rows per chunk read, per CSV write and per Parquet row group

_FLOAT = ("price", "price_per_box", "price_per_sqft", "price_per_piece", "coverage_sqft_per_box", "box_weight_lbs")
_INT = ("version", "box_quantity")
_BOOL = ("directional_layout",)
_TIME = ("parsed_at", "gone_at")
_JSON = ("applications", "images", "documents", "breadcrumbs", "specifications", "warnings", "provenance")
# The columns, in order: the product's key, version and times, then the record's fields.
COLUMNS = ("product_key", "version", "parsed_at", "gone_at", *PRODUCT_FIELDS, "warnings", "provenance")
_RECORD_FIELDS = COLUMNS[4:]


def _arrow_type(column: str) -> pa.DataType:
    if column in _FLOAT:
        return pa.float64()
    if column in _INT:
        return pa.int64()
    if column in _BOOL:
        return pa.bool_()
    if column in _TIME:
        return pa.timestamp("us", tz="UTC")
    return pa.string()


SCHEMA = pa.schema([pa.field(c, _arrow_type(c)) for c in COLUMNS])
# Any: pandas-stubs take a dtype's name only as one of their literals, and these names are computed.
_PANDAS_DTYPES: dict[str, Any] = {
    c: (
        "Float64"
        if c in _FLOAT
        else "Int64"
        if c in _INT
        else "boolean"
        if c in _BOOL
        else "datetime64[us, UTC]"
        if c in _TIME
        else "string"
    )
    for c in COLUMNS
}
_TEXT = tuple(c for c in COLUMNS if _PANDAS_DTYPES[c] == "string")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ValueError):
    """A stored value does not fit its column's type; the message names the product and field."""


def _value(key: str, column: str, value):
    """A record's value as its column holds it (None stays None); never a silent conversion."""
    if value is None:
        return None
    if column in _JSON:
        return orjson.dumps(value).decode()
    if column in _FLOAT or column in _INT:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (column in _INT and value != int(value)):
            raise ExportError(
                f"product {key!r}: {column} is {value!r}, not a {'whole ' if column in _INT else ''}number"
            )
        return value
    if column in _BOOL:
        if not isinstance(value, bool):
            raise ExportError(f"product {key!r}: {column} is {value!r}, not true or false")
        return value
    if isinstance(value, (dict, list)):
        raise ExportError(f"product {key!r}: {column} is structured ({type(value).__name__}), not text")
    return str(value)


def frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows (product_key, version, parsed_at, gone_at, record) -> a DataFrame of COLUMNS."""
    data: dict[str, list] = {c: [] for c in COLUMNS}
    for key, version, parsed_at, gone_at, record in rows:
        data["product_key"].append(key)
        data["version"].append(version)
        data["parsed_at"].append(parsed_at)
        data["gone_at"].append(gone_at)
        for column in _RECORD_FIELDS:
            data[column].append(_value(key, column, record.get(column)))
    return pd.DataFrame(
        {
            c: pd.array(values, dtype=_PANDAS_DTYPES[c])
            if c not in _TIME
            else pd.to_datetime(pd.Series(values, dtype=object), utc=True).astype(_PANDAS_DTYPES[c])
            for c, values in data.items()
        },
        columns=list(COLUMNS),
    )


def neutralise(cell):
    """A CSV text cell a spreadsheet would read as a formula, with a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


def _csv_text(df: pd.DataFrame, header: bool) -> str:
    safe = df.copy()
    for column in _TEXT:
        safe[column] = safe[column].map(neutralise, na_action="ignore").astype("string")
    for column in _TIME:  # ISO 8601, as the API writes times
        safe[column] = safe[column].map(lambda t: t.isoformat(), na_action="ignore").astype("string")
    return safe.to_csv(index=False, header=header, lineterminator="\r\n")


class Export:
    """One export's bytes, produced chunk by chunk: `for data in Export(chunks, fmt)`; `rows` counts
    the rows written so far, `preview` holds the first rows (a DataFrame)."""

    def __init__(self, chunks: Iterable[list[tuple]], fmt: str, preview_rows: int = 10):
        if fmt not in FORMATS:
            raise ValueError(f"unknown export format {fmt!r}: one of {', '.join(FORMATS)}")
        self.chunks = chunks
        self.format = fmt
        self.rows = 0
        self.preview_rows = preview_rows
        self.preview = frame([])

    def _frames(self) -> Iterator[pd.DataFrame]:
        for rows in self.chunks:
            df = frame(rows)
            if len(self.preview) < self.preview_rows:
                self.preview = (
                    pd.concat([self.preview, df.head(self.preview_rows - len(self.preview))], ignore_index=True)
                    if len(self.preview)
                    else df.head(self.preview_rows)
                )
            self.rows += len(df)
            yield df

    def __iter__(self) -> Iterator[bytes]:
        return self._csv() if self.format == "csv" else self._parquet()

    def _csv(self) -> Iterator[bytes]:
        header = True
        for df in self._frames():
            yield _csv_text(df, header).encode("utf-8")
            header = False
        if header:  # no product: the header alone, so the columns are still the same
            yield _csv_text(frame([]), True).encode("utf-8")

    def _parquet(self) -> Iterator[bytes]:
        sink = _Sink()
        # pyarrow writes to any object with write/tell/flush; its stubs accept only typing.IO's
        with pq.ParquetWriter(sink, SCHEMA, compression="zstd") as writer:  # type: ignore[arg-type]
            for df in self._frames():
                writer.write_table(pa.Table.from_pandas(df, schema=SCHEMA, preserve_index=False))
                yield sink.drain()  # one row group written: hand its bytes on, keep none
        yield sink.drain()  # the footer


class _Sink(io.RawIOBase):
    """A write-only stream that keeps only what was written since the last drain; `tell` is the
    whole stream's position, which the Parquet footer's offsets are computed from."""

    def __init__(self):
        super().__init__()
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        chunk = bytes(data)
        self._parts.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def snapshot_name(day: dt.date, refresh_id: int | None) -> str:
    """The snapshot file of a refresh cycle: catalog-2026-05-09-refresh-12.parquet."""
    return f"catalog-{day.isoformat()}-refresh-{refresh_id if refresh_id is not None else 0}.parquet"


def markdown_preview(
    df: pd.DataFrame, columns: tuple[str, ...] = ("product_key", "sku", "name", "category", "price", "price_unit")
) -> str:
    """The first rows as a Markdown table (Dagster's metadata), "no products" when empty."""
    if df.empty:
        return "no products"

    def cell(value) -> str:
        return "" if pd.isna(value) else str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for _, row in df.iterrows()]
    return "\n".join(lines)
