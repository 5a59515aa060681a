"""The report texts of the predecessor's imports (`tileshop transfer checkpoint|legacy-db`): what
each import read, mapped, would write or wrote, and the state it leaves."""

from __future__ import annotations


def checkpoint_summary(report: dict) -> str:
    lines = []
    for f in report["files"]:
        statuses = ", ".join(f"{n} {status}" for status, n in f["statuses"].items())
        lines.append(
            f"{f['file']} (downloaded {f['downloaded_at']}): {f['entries']} entries ({statuses}); "
            f"{f['urls']} URLs, {f['duplicates']} duplicate entries, {f['other_urls']} not product pages, "
            f"{f['stale_errors']} stale errors ignored"
        )
    s = report["state"]
    verb = "would be" if report["dry_run"] else "now"
    lines.append(
        f"state {verb}: {s['urls']} URLs ({s['other_urls']} not product pages), {s['products']} products "
        f"({s['products_no_longer_listed']} no longer listed): {s['new']} new, "
        f"{s['known_due_for_check']} known and due for a check, {s['failed_due_for_retry']} failed and "
        f"due for a retry; {report['pages_kept_pipeline_state']} kept the state the pipeline wrote"
    )
    if not report["changed"]:
        lines.append("nothing changed: everything in these files was imported before")
    else:
        written = ", ".join(f"{n} {name}" for name, n in report["written"].items() if n)
        lines.append(("would write: " if report["dry_run"] else "written: ") + written)
    return "\n".join(lines)


def legacy_db_summary(report: dict) -> str:
    skipped = ", ".join(f"{n} {reason}" for reason, n in report["skipped"].items()) or "none"
    lines = [
        f"product_data: {report['rows_read']} rows read, {report['rows_mapped']} mapped to legacy versions, "
        f"skipped: {skipped}"
    ]
    for name, reasons in report["rejected"].items():
        lines.append(f"  rejected {name}: " + ", ".join(f"{n} {reason}" for reason, n in reasons.items()))
    w, s = report["written"], report["state"]
    verb = "would be" if report["dry_run"] else "now"
    lines.append(
        f"legacy versions {verb}: {s['legacy_current']} products held only by their legacy record, "
        f"{s['legacy_before_pipeline']} as the version before the pipeline's first, "
        f"{s['legacy_superseded']} superseded by a crawl since"
    )
    if not report["changed"]:
        lines.append("nothing changed: every row was imported before")
    else:
        lines.append(
            ("would write: " if report["dry_run"] else "written: ")
            + ", ".join(f"{n} {name}" for name, n in w.items() if n)
        )
    return "\n".join(lines)
