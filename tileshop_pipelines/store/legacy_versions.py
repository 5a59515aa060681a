"""SQL of the predecessor's product_data import (tileshop_pipelines/legacy/product_data.py): the
rows read from its database, the legacy versions written into products / product_history. Bound
parameters only; one transaction under the import lock of store/legacy.py (a killed import leaves
nothing).

Never downgrade what the pipeline wrote: a legacy record is written only where the pipeline has
none; for a crawled product the legacy record becomes version 0, before the pipeline's first
version, never the current one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from tileshop_pipelines.store import db
from tileshop_pipelines.store.legacy import LEGACY_IMPORT_LOCK_ID, DryRun

LEGACY_CONTENT_HASH = "legacy"  # products.content_hash of a legacy record: no page was ever stored

_VERSION_COLUMNS = {
    "product_key": "text",
    "legacy_id": "int8",
    "sku": "text",
    "url": "text",
    "name": "text",
    "price": "float8",
    "price_unit": "text",
    "record": "jsonb",
    "valid_from": "timestamptz",
}


def read_product_data(dsn: str) -> Iterator[dict]:
    """Every product_data row of the predecessor's database as {column: value}, read in a
    read-only transaction through a server-side cursor. Raises LegacyInputError when the database
    cannot be read or has no product_data table with the columns the import needs."""
    from tileshop_pipelines.legacy.product_data import COLUMNS, REQUIRED_COLUMNS, LegacyInputError

    try:
        source = psycopg.connect(db.libpq_url(dsn))
    except psycopg.Error as exc:
        raise LegacyInputError(f"cannot connect to the predecessor's database: {exc}".strip()) from None
    with source:
        source.read_only = True  # before the first statement: every transaction of this session is read-only
        try:
            present = {
                row[0]
                for row in source.execute(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name = %s",
                    ("product_data",),
                )
            }
            if not present:
                raise LegacyInputError("the predecessor's database has no product_data table")
            missing = [name for name in REQUIRED_COLUMNS if name not in present]
            if missing:
                raise LegacyInputError(f"product_data has no column {', '.join(missing)}")
            columns = [name for name in COLUMNS if name in present]
            query = sql.SQL("SELECT {} FROM product_data ORDER BY id").format(
                sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with source.cursor(name="legacy_product_data") as cur:
                cur.itersize = 2000
                cur.execute(query)
                for values in cur:
                    yield dict(zip(columns, values, strict=True))
        except psycopg.Error as exc:
            raise LegacyInputError(f"cannot read product_data: {exc}".strip()) from None


def import_legacy_versions(conn: psycopg.Connection, versions: list, *, dry_run: bool = False) -> dict:
    """Write legacy versions (product_data.LegacyVersion) in one transaction; returns the report.

    A product the pipeline never stored gets the legacy record as its current record (version 1,
    valid from the predecessor's scrape), so its next crawl is compared with it and becomes
    version 2. A product the pipeline stored keeps its records; the legacy one becomes version 0,
    valid until the pipeline's first version, when it was scraped before it. Rerunning with the
    same rows writes nothing; a changed row updates a legacy record no crawl has replaced yet.
    """
    report: dict = {}
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (LEGACY_IMPORT_LOCK_ID,))
            db.stage(
                cur,
                "legacy_version_load",
                _VERSION_COLUMNS,
                [
                    (
                        v.product_key,
                        v.legacy_id,
                        v.sku,
                        v.url,
                        v.name,
                        v.price,
                        v.price_unit,
                        Jsonb(v.record),
                        v.valid_from,
                    )
                    for v in versions
                ],
            )
            cur.execute(
                "SELECT 1 FROM products p JOIN legacy_version_load USING (product_key)"
                " ORDER BY p.product_key FOR UPDATE OF p"
            )  # as save_records: versions under row locks
            cur.execute(
                """
                CREATE TEMP TABLE legacy_version_plan ON COMMIT DROP AS
                SELECT l.*, md5(l.record::text) AS record_hash, h.first_version, h.first_from,
                       CASE WHEN t.product_key IS NOT NULL AND p.product_key IS NOT NULL AND t.version = 1
                                 AND p.version = 1 AND p.record_hash = t.record_hash THEN 'legacy_current'
                            WHEN t.product_key IS NOT NULL THEN 'in_history'
                            WHEN p.product_key IS NULL AND h.first_version IS NULL THEN 'new'
                            WHEN h.first_version >= 1 AND l.valid_from < h.first_from THEN 'before_pipeline'
                            ELSE 'pipeline_newer'
                       END AS plan
                  FROM legacy_version_load l
                  LEFT JOIN products p USING (product_key)
                  LEFT JOIN legacy_product_versions t USING (product_key)
                  LEFT JOIN LATERAL (SELECT min(version) AS first_version, min(valid_from) AS first_from
                                       FROM product_history WHERE product_key = l.product_key) h ON true
                """
            )
            cur.execute(
                """
                UPDATE legacy_version_plan l SET plan = 'unchanged' FROM legacy_product_versions t
                 WHERE l.plan = 'legacy_current' AND t.product_key = l.product_key
                   AND (t.record_hash, t.valid_from, t.legacy_id, t.url) = (l.record_hash, l.valid_from, l.legacy_id, l.url)
                """
            )
            written = Counter[str]()
            written["products_inserted"] = cur.execute(
                """
                INSERT INTO products (product_key, sku, url, name, price, price_unit, record, content_hash, version,
                                      record_hash, parsed_at)
                SELECT product_key, sku, url, name, price, price_unit, record, %s, 1, record_hash, valid_from
                  FROM legacy_version_plan WHERE plan = 'new'
                """,
                (LEGACY_CONTENT_HASH,),
            ).rowcount
            written["products_updated"] = cur.execute(
                """
                UPDATE products p SET sku = l.sku, url = l.url, name = l.name, price = l.price,
                       price_unit = l.price_unit, record = l.record, record_hash = l.record_hash,
                       parsed_at = l.valid_from
                  FROM legacy_version_plan l WHERE l.plan = 'legacy_current' AND p.product_key = l.product_key
                """
            ).rowcount
            written["history_updated"] = cur.execute(
                """
                UPDATE product_history h SET sku = l.sku, url = l.url, name = l.name, price = l.price,
                       price_unit = l.price_unit, record = l.record, record_hash = l.record_hash,
                       valid_from = l.valid_from
                  FROM legacy_version_plan l
                 WHERE l.plan = 'legacy_current' AND h.product_key = l.product_key AND h.version = 1
                """
            ).rowcount
            written["history_inserted"] = cur.execute(
                """
                INSERT INTO product_history (product_key, version, sku, url, name, price, price_unit, record,
                                             record_hash, valid_from, valid_to)
                SELECT product_key, CASE plan WHEN 'new' THEN 1 ELSE 0 END, sku, url, name, price, price_unit, record,
                       record_hash, valid_from, CASE plan WHEN 'new' THEN NULL ELSE first_from END
                  FROM legacy_version_plan WHERE plan IN ('new', 'before_pipeline')
                """
            ).rowcount
            cur.execute(
                """
                INSERT INTO legacy_product_versions AS t (product_key, version, legacy_id, url, record_hash, valid_from)
                SELECT product_key, CASE plan WHEN 'new' THEN 1 ELSE 0 END, legacy_id, url, record_hash, valid_from
                  FROM legacy_version_plan WHERE plan IN ('new', 'before_pipeline', 'legacy_current')
                ON CONFLICT (product_key) DO UPDATE SET legacy_id = EXCLUDED.legacy_id, url = EXCLUDED.url,
                    record_hash = EXCLUDED.record_hash, valid_from = EXCLUDED.valid_from, imported_at = now()
                """
            )
            report["plan"] = dict(
                sorted(cur.execute("SELECT plan, count(*) FROM legacy_version_plan GROUP BY plan").fetchall())
            )
            report["written"] = dict(sorted(written.items()))
            report["changed"] = sum(written.values()) > 0
            report["state"] = legacy_version_counts(cur)
            if report["changed"] and not dry_run:
                cur.execute(
                    "INSERT INTO legacy_import_runs (command, source, report) VALUES (%s, %s, %s)",
                    ("legacy-db", "product_data", Jsonb(report)),
                )
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    return report


def legacy_version_counts(cur: psycopg.Cursor) -> dict:
    """The legacy versions stored: current records nothing has replaced, versions before the
    pipeline's first, and legacy records a crawl has since superseded."""
    current, before, superseded = db.one(
        cur.execute(
            """
        SELECT count(*) FILTER (WHERE t.version = 1 AND p.version = 1 AND p.record_hash = t.record_hash),
               count(*) FILTER (WHERE t.version = 0),
               count(*) FILTER (WHERE t.version = 1 AND (p.version IS DISTINCT FROM 1
                                                         OR p.record_hash IS DISTINCT FROM t.record_hash))
          FROM legacy_product_versions t LEFT JOIN products p USING (product_key)
        """
        )
    )
    return {
        "legacy_current": current,
        "legacy_before_pipeline": before,
        "legacy_superseded": superseded,
        "legacy_versions": current + before + superseded,
    }
