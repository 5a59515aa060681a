"""products -> product_documents: the documents listed products name (data sheets, installation
instructions, safety data sheets, warranties), fetched and read into Postgres
(acquisition/documents.py does the work; this is its Dagster face)."""

import asyncio

import dagster as dg
from pydantic import Field

from tileshop_pipelines.acquisition.documents import DocumentLinksLost, DocumentReport, refresh_documents
from tileshop_pipelines.defs.acquisition import assets as acquisition  # by module: the defs folder registers each once
from tileshop_pipelines.defs.policy import INDEX_RETRY, table_metadata, table_name
from tileshop_pipelines.defs.resources import CrawlerResource, DocumentsResource, PostgresResource
from tileshop_pipelines.pdf.extract import shown
from tileshop_pipelines.store import documents as documents_sql

GROUP = "documents"
ASSET = "product_documents"
MIN_FETCHED_SHARE = 0.9
MIN_READ_SHARE = 0.9
MIN_TEXT_SHARE = 0.9
MAX_WARNING_LINES = 20


class DocumentsConfig(dg.Config):
    force: bool = Field(
        default=False,
        description="Check every linked document now (conditional GET: an "
        "unchanged one costs a 304), not only the due ones.",
    )


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 1.0


def _cell(text: str) -> str:
    return shown(text, 300).replace("|", "\\|")


def problems_table(problems: list[tuple[str, str, str]], limit: int = 50) -> str:
    if not problems:
        return "none"
    lines = ["| document | state | reason |", "| --- | --- | --- |"]
    lines += [f"| {_cell(url)} | {state} | {_cell(reason)} |" for url, state, reason in problems[:limit]]
    if len(problems) > limit:
        lines.append(f"| ... {len(problems) - limit} more | | |")
    return "\n".join(lines)


# sitemap_urls too: the listing decides which products' links count (a delisted product's links
# are unlinked), and its daily refresh keeps the documents' freshness when no record changed.
@dg.asset(
    name=ASSET,
    group_name=GROUP,
    deps=[acquisition.products, acquisition.sitemap_urls],
    kinds={"postgres", "pdf"},
    code_version="1",
    retry_policy=INDEX_RETRY,
    metadata=table_name("documents"),
    check_specs=[
        dg.AssetCheckSpec(
            "documents_fetched",
            asset=ASSET,
            description=f"At least {MIN_FETCHED_SHARE:.0%} of the linked documents on allowed hosts "
            "have been fetched (their bytes are held), and the CDN did not trip the "
            "circuit breaker.",
        ),
        dg.AssetCheckSpec(
            "documents_read",
            asset=ASSET,
            description=f"At least {MIN_READ_SHARE:.0%} of the fetched documents are read: the text "
            "stored is of their current bytes.",
        ),
        dg.AssetCheckSpec(
            "document_text_found",
            asset=ASSET,
            description=f"At least {MIN_TEXT_SHARE:.0%} of the read documents have text (a scanned "
            "sheet without a text layer has none).",
        ),
    ],
)
def product_documents(
    context: dg.AssetExecutionContext,
    config: DocumentsConfig,
    crawler: CrawlerResource,
    documents: DocumentsResource,
    postgres: PostgresResource,
):
    """One row per document URL the listed products name, linked to each of them; fetched once
    (conditional GET, the crawler's politeness per host, only from TILESHOP_DOCUMENT_HOSTS), its
    text read per page by pypdf in bounded worker processes; unchanged documents are not parsed
    again, a document a product stops naming is unlinked, never deleted, every version kept in
    document_history. A document that fails does so alone, with its reason in its row."""
    with postgres.connect() as conn, documents.parser_pool() as pool:
        try:
            report = asyncio.run(
                refresh_documents(
                    conn,
                    crawler.document_fetcher(documents),
                    pool,
                    documents.policy(config.force),
                    log=context.log.info,
                )
            )
        except DocumentLinksLost as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from exc
        stats = documents_sql.document_stats(conn)
        tables = table_metadata(conn, "documents")
        workers_started, workers_lost = pool.started, pool.lost
    _warn(context, report)
    counts = report.counts
    context.log.info(f"documents: {counts}; {stats}")
    links = report.links
    yield dg.MaterializeResult(
        metadata={
            **counts,
            "documents_added": links.documents_added,
            "links_added": links.linked,
            "links_restored": links.relinked,
            "links_unlinked": links.unlinked,
            "active_links": links.active_links,
            **{
                f"documents_{state}": stats[state] for state in ("linked", "ok", "failed", "refused", "gone", "pending")
            },
            "pages_stored": stats["pages"],
            "parse_seconds": round(report.parse_seconds, 3),
            "parse_cpu_seconds": round(report.parse_cpu_seconds, 3),
            "parse_workers_started": workers_started,
            "parse_workers_stopped": workers_lost,
            "circuit_open": report.circuit_open or "",
            "problems": dg.MetadataValue.md(problems_table(report.problems())),
            **tables,
        }
    )
    fetched = _share(stats["fetched"], stats["allowed"])
    yield dg.AssetCheckResult(
        check_name="documents_fetched",
        asset_key=ASSET,
        passed=report.circuit_open is None and fetched >= MIN_FETCHED_SHARE,
        description=report.circuit_open and f"circuit breaker open: {report.circuit_open}",
        metadata={
            "share": fetched,
            "fetched": stats["fetched"],
            "allowed": stats["allowed"],
            "refused": stats["refused"],
        },
    )
    read = _share(stats["read"], stats["fetched"])
    yield dg.AssetCheckResult(
        check_name="documents_read",
        asset_key=ASSET,
        passed=read >= MIN_READ_SHARE,
        metadata={"share": read, "read": stats["read"], "fetched": stats["fetched"]},
    )
    text = _share(stats["with_text"], stats["read"])
    yield dg.AssetCheckResult(
        check_name="document_text_found",
        asset_key=ASSET,
        passed=text >= MIN_TEXT_SHARE,
        metadata={"share": text, "with_text": stats["with_text"], "read": stats["read"]},
    )


def _warn(context: dg.AssetExecutionContext, report: DocumentReport) -> None:
    """A warning line per document that failed in this run or was newly refused (the first ones;
    the metadata table lists every refused one too), each part escaped: a URL or a reason may quote
    a document."""
    problems = report.problems(new_only=True)
    for url, state, reason in problems[:MAX_WARNING_LINES]:
        context.log.warning(f"document {state}: {shown(url)}: {shown(reason, 300)}")
    if len(problems) > MAX_WARNING_LINES:
        context.log.warning(
            f"... and {len(problems) - MAX_WARNING_LINES} more documents failed or refused "
            "(the materialization's `problems` lists them)"
        )
    if report.circuit_open:
        context.log.warning(
            f"documents: circuit breaker open ({report.circuit_open}); the documents not "
            "answered were left as they were"
        )


product_documents_key = dg.AssetKey(ASSET)
