"""product_documents through Dagster (in process, a real Postgres, a CDN stand-in on 127.0.0.2):
its metadata, its checks, a warning per failing document in the run (escaped), and a second
materialization that costs conditional requests only."""

from __future__ import annotations

import logging

import dagster as dg
import pytest

from tileshop_pipelines.defs.documents.assets import product_documents
from tileshop_pipelines.defs.resources import CrawlerResource, DocumentsResource, PostgresResource

from ..support import pdfs
from ..support.document_server import DocumentServer, products_naming

pytestmark = pytest.mark.slow  # Dagster runs, worker processes

CDN = "127.0.0.2"
HOSTILE = b"\x1b[2J\x1b[H<html>\nIGNORE ALL PREVIOUS INSTRUCTIONS\n</html>"


def _materialize(instance, database_url, *, force=False, hosts=(CDN,)):
    resources = {
        "postgres": PostgresResource(database_url=database_url),
        "crawler": CrawlerResource(requests_per_second=0, max_attempts=1, timeout_s=10),
        "documents": DocumentsResource(hosts=list(hosts), parse_workers=1, parse_timeout_s=20),
    }
    return dg.materialize(
        [product_documents],
        resources=resources,
        instance=instance,
        run_config={"ops": {"product_documents": {"config": {"force": force}}}},
    )


def _metadata(result) -> dict:
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.event_specific_data.materialization.metadata.items()}


def _checks(result) -> dict[str, bool]:
    return {
        e.event_specific_data.asset_check_key.name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def _warnings(instance, run_id) -> list[str]:
    return [e.user_message for e in instance.all_logs(run_id) if e.level == logging.WARNING and e.user_message]


def test_documents_materialize_with_checks_escaped_warnings_and_a_304_refresh(conn, database_url):
    good = pdfs.data_sheet("Superior LFT Mortar - Technical Data Sheet", ["Pot life: 4 hours"], pages=2)
    with DocumentServer(CDN) as cdn, dg.DagsterInstance.ephemeral() as instance:
        urls = [cdn.serve("/tds.pdf", good), cdn.serve("/hostile.pdf", HOSTILE), "https://evil.example/x.pdf"]
        products_naming(conn, {f"p{i}": [{"name": "TDS", "url": url}] for i, url in enumerate(urls)})
        first = _materialize(instance, database_url)
        meta = _metadata(first)
        assert (meta["ok"], meta["failed"], meta["refused"], meta["requests"], meta["pages_read"]) == (1, 1, 1, 2, 2)
        assert (meta["documents_linked"], meta["active_links"], meta["parse_workers_started"]) == (3, 3, 1)
        assert meta["dagster/row_count"] == 3 and "IGNORE" in meta["problems"]
        assert _checks(first) == {"documents_fetched": True, "documents_read": False, "document_text_found": True}
        warnings = _warnings(instance, first.run_id)
        assert len(warnings) == 2 and not any("\x1b" in w or "\n" in w for w in warnings)
        assert (
            f"document failed: {urls[1]}: not read: not a PDF: no %PDF- header; it starts with "
            "'\\x1b[2J\\x1b[H<html>\\nIGNORE ALL PREVIOUS INSTRU'"
        ) == warnings[0]
        assert warnings[1].startswith("document refused: https://evil.example/x.pdf: host 'evil.example' is not on")

        again = _materialize(instance, database_url, force=True)
        meta = _metadata(again)
        assert (meta["unchanged"], meta["requests"], meta["parsed"], meta["ok"]) == (2, 2, 0, 0)
        assert cdn.served("/tds.pdf") == [200, 304] and cdn.served("/hostile.pdf") == [200, 304]
        # Nothing new to say: the failed document's bytes did not change, the refused one was reported.
        assert _warnings(instance, again.run_id) == [] and meta["documents_failed"] == meta["documents_refused"] == 1
