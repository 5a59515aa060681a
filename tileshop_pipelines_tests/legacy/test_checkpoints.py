"""`tileshop transfer checkpoint` on the predecessor's real checkpoint files (kept in tests/legacy/data/)."""

from __future__ import annotations

import argparse
import datetime as dt
import json

import pytest

from tileshop_pipelines.cli import transfer as transfer_cli
from tileshop_pipelines.legacy.checkpoints import CheckpointError, read_checkpoint
from tileshop_pipelines.store import acquisition
from tileshop_pipelines.store.legacy import import_checkpoints
from tileshop_pipelines_tests.legacy.predecessor import LEGACY_DATA

FILES = sorted(LEGACY_DATA.glob("tileshop_sitemap*.json"))

# Per file, as SOURCES.txt describes it: entries by scrape_status as written, then the state after
# importing it alone. The bare /products/ (failed in most versions) is not a product page; one
# product URL is listed twice in every version (the later evidence of the two wins).
EXPECTED = {
    "tileshop_sitemap.json": (
        {"completed": 288, "pending": 4485},
        dict(urls=4772, other_urls=0, products=4772, new=4484, known_due_for_check=288, failed_due_for_retry=0),
    ),
    "tileshop_sitemap_2025-06-27_earliest.json": (
        {"completed": 167, "failed": 124, "pending": 4484},
        dict(urls=4774, other_urls=1, products=4773, new=4483, known_due_for_check=167, failed_due_for_retry=123),
    ),
    "tileshop_sitemap_2025-06-27_with_errors.json": (
        {"completed": 2005, "failed": 774, "pending": 1996},
        dict(urls=4774, other_urls=1, products=4773, new=1995, known_due_for_check=2005, failed_due_for_retry=773),
    ),
    "tileshop_sitemap_2025-07-04_4778_urls.json": (
        {"completed": 553, "failed": 1, "pending": 4224},
        dict(urls=4777, other_urls=1, products=4776, new=4223, known_due_for_check=553, failed_due_for_retry=0),
    ),
    "tileshop_sitemap_2025-07-06_outage.json": (
        {"completed": 65, "failed": 380, "pending": 4333},
        dict(urls=4777, other_urls=1, products=4776, new=4332, known_due_for_check=65, failed_due_for_retry=379),
    ),
    "tileshop_sitemap_2025-07-08_full_crawl_state.json": (
        {"completed": 4775, "failed": 2, "pending": 1},
        dict(urls=4777, other_urls=1, products=4776, new=0, known_due_for_check=4775, failed_due_for_retry=1),
    ),
    "tileshop_sitemap_2025-07-09_4771_urls_no_source.json": (
        {"pending": 4771},
        dict(urls=4770, other_urls=0, products=4770, new=4770, known_due_for_check=0, failed_due_for_retry=0),
    ),
}
# All seven together, in any order: the latest download (tileshop_sitemap.json, 2025-07-09 15:55)
# is the listing; 15 URLs the earlier versions listed are no longer listed (14 products and the
# bare /products/); products last seen completed in an earlier version stay known.
ALL_FILES = dict(
    urls=4787,
    other_urls=1,
    products=4786,
    products_no_longer_listed=14,
    new=4488,
    known_due_for_check=298,
    failed_due_for_retry=0,
)


def _state(report: dict, keys) -> dict:
    return {key: report["state"][key] for key in keys}


def test_the_expected_files_are_all_here():
    assert sorted(f.name for f in FILES) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_file_alone(conn, name):
    statuses, state = EXPECTED[name]
    checkpoint = read_checkpoint(LEGACY_DATA / name)
    assert dict(checkpoint.statuses) == statuses
    assert checkpoint.duplicates == 1
    report = import_checkpoints(conn, [checkpoint])
    assert _state(report, state) == state
    assert report["state"]["products_no_longer_listed"] == 0
    # What the pipeline's tables say, independently of the report.
    pages = dict(conn.execute("SELECT state, count(*) FROM product_pages GROUP BY state").fetchall())
    assert (
        pages.get("ok", 0) == state["known_due_for_check"] and pages.get("failed", 0) == state["failed_due_for_retry"]
    )
    assert (
        conn.execute("SELECT count(*) FROM product_pages WHERE html IS NOT NULL OR checked_at IS NOT NULL").fetchone()[
            0
        ]
        == 0
    )  # no HTML was ever had: nothing claims a check
    listed = conn.execute("SELECT count(DISTINCT product_key) FROM listed_product_urls").fetchone()[0]
    assert listed == state["products"]
    # Every listed product is due: never checked (new) or failed with its retry due now.
    due = acquisition.due_products(conn, max_age=dt.timedelta(days=36500), limit=10_000)
    reasons = {reason: sum(1 for d in due if d.reason == reason) for reason in ("new", "retry")}
    assert reasons == {"new": state["new"] + state["known_due_for_check"], "retry": state["failed_due_for_retry"]}


def test_failed_keeps_its_errors(conn):
    import_checkpoints(conn, [read_checkpoint(LEGACY_DATA / "tileshop_sitemap_2025-06-27_with_errors.json")])
    with_previous = conn.execute(
        "SELECT count(*) FROM legacy_checkpoint_urls WHERE scrape_status = 'failed' AND previous_error IS NOT NULL"
    ).fetchone()[0]
    assert with_previous > 0
    assert (
        conn.execute(
            "SELECT count(*) FROM product_pages WHERE state = 'failed' AND (error IS NULL OR attempts <> 1)"
        ).fetchone()[0]
        == 0
    )


@pytest.mark.parametrize("order", ["oldest_first", "newest_first"])
def test_all_files_together_in_both_orders(conn, order):
    files = FILES if order == "oldest_first" else FILES[::-1]
    report = import_checkpoints(conn, [read_checkpoint(f) for f in files])
    assert _state(report, ALL_FILES) == ALL_FILES
    # The outage's 379 failures were superseded by later evidence: none is left failed.
    assert conn.execute("SELECT count(*) FROM product_pages WHERE state = 'failed'").fetchone()[0] == 0


@pytest.mark.slow
def test_files_one_call_each_in_reverse_give_the_same_state(conn):
    for f in FILES[::-1]:
        report = import_checkpoints(conn, [read_checkpoint(f)])
    assert _state(report, ALL_FILES) == ALL_FILES
    again = import_checkpoints(conn, [read_checkpoint(f) for f in FILES])
    assert again["changed"] is False and not any(again["written"].values())


def test_second_run_changes_nothing_and_says_so(conn, monkeypatch, tmp_path, database_url, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path))
    files = [str(LEGACY_DATA / "tileshop_sitemap_2025-07-06_outage.json")]
    assert _run(["transfer", "checkpoint", *files]) == 0
    first = capsys.readouterr().out
    assert "written:" in first
    snapshot = conn.execute("SELECT md5(string_agg(p::text, ',' ORDER BY product_key)) FROM product_pages p").fetchone()
    assert _run(["transfer", "checkpoint", *files, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["changed"] is False and report["files_already_imported"] == [
        "tileshop_sitemap_2025-07-06_outage.json"
    ]
    assert _run(["transfer", "checkpoint", *files]) == 0
    assert "nothing changed" in capsys.readouterr().out
    assert (
        conn.execute("SELECT md5(string_agg(p::text, ',' ORDER BY product_key)) FROM product_pages p").fetchone()
        == snapshot
    )
    assert conn.execute("SELECT count(*) FROM legacy_import_runs").fetchone()[0] == 1


def test_dry_run_writes_nothing(conn, monkeypatch, tmp_path, database_url, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path))
    assert _run(["transfer", "checkpoint", str(FILES[0]), "--dry-run"]) == 0
    assert "would write" in capsys.readouterr().out
    for table in ("sitemap_urls", "product_pages", "legacy_checkpoint_urls", "legacy_import_runs"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_pipeline_state_is_never_downgraded(conn):
    name = "tileshop_sitemap_2025-07-06_outage.json"
    checkpoint = read_checkpoint(LEGACY_DATA / name)
    failed = sorted(
        (e for e in checkpoint.evidence.values() if e.scrape_status == "failed" and e.kind == "product"),
        key=lambda e: e.url,
    )[:2]
    completed = next(e for e in checkpoint.evidence.values() if e.scrape_status == "completed")
    # The pipeline listed and checked three of its products: two answered, one is failing.
    from tileshop_pipelines.catalog.urls import classify_url

    pipeline = [failed[0], failed[1], completed]
    acquisition.record_sitemap(
        conn, [acquisition.ListedUrl(e.url, "product", e.product_key, e.sku, None) for e in pipeline]
    )
    acquisition.record_page_checks(
        conn,
        [
            acquisition.PageCheck(failed[0].product_key, failed[0].url, "ok", 200, html="<html>good</html>"),
            acquisition.PageCheck(completed.product_key, completed.url, "ok", 200, html="<html>ok</html>"),
            acquisition.PageCheck(failed[1].product_key, failed[1].url, "blocked", 200, error="home page"),
        ],
    )
    before = conn.execute(
        "SELECT product_key, state, html, checked_at, attempts, error FROM product_pages ORDER BY product_key"
    ).fetchall()
    report = import_checkpoints(conn, [checkpoint])
    after = conn.execute(
        "SELECT product_key, state, html, checked_at, attempts, error FROM product_pages"
        " WHERE product_key = ANY(%s) ORDER BY product_key",
        ([e.product_key for e in pipeline],),
    ).fetchall()
    assert after == before
    assert report["pages_kept_pipeline_state"] == 3
    # The pipeline's listing is the truth: the other products are known but not listed now.
    assert conn.execute("SELECT count(DISTINCT product_key) FROM listed_product_urls").fetchone()[0] == 3
    assert report["state"]["products_no_longer_listed"] == report["state"]["products"] - 3
    assert classify_url(completed.url).product_key == completed.product_key
    # A later import, also of newer evidence, still leaves them alone.
    report = import_checkpoints(conn, [read_checkpoint(LEGACY_DATA / "tileshop_sitemap.json")])
    assert (
        conn.execute(
            "SELECT product_key, state, html, checked_at, attempts, error FROM product_pages"
            " WHERE product_key = ANY(%s) ORDER BY product_key",
            ([e.product_key for e in pipeline],),
        ).fetchall()
        == before
    )


@pytest.mark.slow
def test_a_later_call_replaces_what_an_earlier_call_wrote(conn):
    import_checkpoints(conn, [read_checkpoint(LEGACY_DATA / "tileshop_sitemap_2025-07-08_full_crawl_state.json")])
    assert conn.execute("SELECT count(*) FROM product_pages").fetchone()[0] == 4776
    report = import_checkpoints(
        conn, [read_checkpoint(LEGACY_DATA / "tileshop_sitemap_2025-07-09_4771_urls_no_source.json")]
    )
    # 07-09's download reset every listed URL to pending: its evidence is newer than 07-08's scrapes.
    assert report["written"]["pages_deleted"] > 0
    assert report["state"]["new"] + report["state"]["known_due_for_check"] == report["state"]["products"]


# --- invalid files: exit 2, the file and the byte offset named, nothing written ------------------


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tileshop")
    transfer_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def _nothing_written(conn) -> None:
    for table in ("sitemap_urls", "product_pages", "legacy_checkpoint_urls", "legacy_checkpoint_files"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table


@pytest.fixture
def cli_env(monkeypatch, tmp_path, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path))
    return tmp_path


def test_truncated_file(conn, cli_env, capsys):
    data = (LEGACY_DATA / "tileshop_sitemap.json").read_bytes()
    cut = data.index(b"},", len(data) // 2) + 2  # a write that stopped after an entry's comma
    truncated = cli_env / "truncated.json"
    truncated.write_bytes(data[:cut])
    assert _run(["transfer", "checkpoint", str(LEGACY_DATA / "tileshop_sitemap.json"), str(truncated)]) == 2
    error = capsys.readouterr().err
    assert f"{truncated}: byte {cut}: invalid JSON" in error
    _nothing_written(conn)


def test_interleaved_file(conn, cli_env, capsys):
    """Two writers appended to one file: two versions one after the other."""
    first = (LEGACY_DATA / "tileshop_sitemap_2025-07-04_4778_urls.json").read_bytes().rstrip()
    second = (LEGACY_DATA / "tileshop_sitemap_2025-07-06_outage.json").read_bytes()
    interleaved = cli_env / "interleaved.json"
    interleaved.write_bytes(first + b"\n" + second)
    assert _run(["transfer", "checkpoint", str(interleaved), str(FILES[0])]) == 2
    error = capsys.readouterr().err
    assert f"{interleaved}: byte {len(first) + 1}: invalid JSON: Extra data" in error
    _nothing_written(conn)


def test_interleaved_mid_entry(conn, cli_env):
    """A second writer's bytes landing inside an entry: the offset is where the JSON breaks."""
    a = (LEGACY_DATA / "tileshop_sitemap_2025-07-04_4778_urls.json").read_bytes()
    b = (LEGACY_DATA / "tileshop_sitemap_2025-07-06_outage.json").read_bytes()
    at = a.index(b'"scrape_status"', len(a) // 3)
    path = cli_env / "mid.json"
    path.write_bytes(a[:at] + b[:200] + a[at:])
    with pytest.raises(CheckpointError) as raised:
        read_checkpoint(path)
    assert raised.value.file_name == str(path) and raised.value.offset == at  # the "{" of the other version


def test_not_a_checkpoint(conn, cli_env, capsys):
    assert _run(["transfer", "checkpoint", str(FILES[0]), str(LEGACY_DATA / "categorized_sitemap.json")]) == 2
    assert "categorized_sitemap.json: byte 0: not a checkpoint: no 'downloaded_at' key" in capsys.readouterr().err
    _nothing_written(conn)


def test_bad_entry_offset(conn, cli_env, capsys):
    text = (
        '{"downloaded_at": "2025-07-09T10:00:00", "urls": [\n'
        '  {"url": "https://www.tileshop.com/products/a-123456", "scraped_at": null, "scrape_status": "pending"},\n'
        '  {"url": "https://www.tileshop.com/products/b-123457", "scraped_at": null, "scrape_status": "done"}]}'
    )
    path = cli_env / "bad_entry.json"
    path.write_text(text)
    assert _run(["transfer", "checkpoint", str(path)]) == 2
    offset = text.index('{"url": "https://www.tileshop.com/products/b')
    assert f"byte {offset}: not a checkpoint entry: scrape_status 'done'" in capsys.readouterr().err
    _nothing_written(conn)
