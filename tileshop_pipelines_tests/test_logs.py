"""logs.py: the line formats, the masking, the settings; then real processes with test secrets
(the crawl service, a crawl through it into Postgres with Dagster's run logs, a CLI command on an
unreachable database) whose whole output is searched for those secrets."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.processes import wait_until_serving
from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog
from tileshop_pipelines.serving import logs
from tileshop_pipelines.serving.settings import SettingsError
from tileshop_pipelines_tests.crawl.service import LOCAL_SITE
from tileshop_pipelines_tests.support.ports import free_port

SECRETS = {
    "CRAWLER_TOKEN": "crawler-token-test-secret-91b2",
    "TILESHOP_ADMIN_TOKEN": "admin-token-test-secret-5c7d0e",
    "ANTHROPIC_API_KEY": "sk-ant-api03-test-secret-a8f4",
    "SUPABASE_SERVICE_KEY": "supabase-service-role-test-secret-33aa",
    "TILESHOP_ALERT_WEBHOOK_URL": "https://hooks.example.test/services/T01/B02/webhook-test-secret-77",
}
DB_PASSWORD = "db-password-test-secret-e4c1"


def _record(msg="hello %s", args=("world",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("tileshop_pipelines.crawl", logging.INFO, __file__, 1, msg, args, None)
    record.created = dt.datetime(2026, 12, 2, 6, 0, 1, 250000, tzinfo=dt.UTC).timestamp()
    record.__dict__.update(extra)
    return record


def test_a_json_line_has_time_level_logger_message():
    line = json.loads(logs.JsonFormatter().format(_record()))
    assert line == {
        "time": "2026-12-02T06:00:01.250Z",
        "level": "INFO",
        "logger": "tileshop_pipelines.crawl",
        "message": "hello world",
    }


def test_dagster_records_carry_run_job_step_and_their_own_message():
    class Event:
        event_type_value = "STEP_START"

    meta = {
        "run_id": "4a7c656c-9104",
        "job_name": "product_crawl",
        "step_key": "crawl_products",
        "orig_message": "crawl: 30 ok",
        "dagster_event": Event(),
    }
    record = _record("product_crawl - 4a7c656c - crawl_products - crawl: 30 ok", (), dagster_meta=meta)
    line = json.loads(logs.JsonFormatter().format(record))
    assert (line["message"], line["run_id"], line["job"], line["step"], line["event"]) == (
        "crawl: 30 ok",
        "4a7c656c-9104",
        "product_crawl",
        "crawl_products",
        "STEP_START",
    )
    text = logs.TextFormatter().format(record)
    assert text == (
        "2026-12-02T06:00:01.250Z INFO    tileshop_pipelines.crawl [run_id=4a7c656c-9104 "
        "job=product_crawl step=crawl_products event=STEP_START] crawl: 30 ok"
    )


def test_the_request_id_of_the_context_is_on_the_line():
    token = logs.request_id.set("req-42")
    try:
        assert json.loads(logs.JsonFormatter().format(_record()))["request_id"] == "req-42"
    finally:
        logs.request_id.reset(token)
    assert "request_id" not in json.loads(logs.JsonFormatter().format(_record()))


def test_masking_covers_urls_dsns_bearer_tokens_keys_and_known_secrets():
    logs.register_secrets(["plain-known-secret-value", "short"])
    samples = {
        "connect to postgresql://app:s3cr3t-pw@db.internal:5432/tiles failed": "postgresql://app:***@db.internal",
        "dsn host=db password=s3cr3t-pw user=app": "password=***",
        "GET /hook?token=abc123def&x=1": "token=***&x=1",
        "Authorization: Bearer abc.def-ghi": "Bearer ***",
        "key sk-ant-api03-XYZ_abc-123 rejected": "key *** rejected",
        "the value plain-known-secret-value leaked": "the value *** leaked",
    }
    for text, expected in samples.items():
        masked = logs.mask(text)
        assert expected in masked, (text, masked)
        assert "s3cr3t-pw" not in masked and "abc123def" not in masked and "XYZ_abc" not in masked
    assert logs.mask("a short word") == "a short word"  # values under 8 characters are not registered


def test_a_traceback_is_on_the_line_and_masked():
    try:
        raise RuntimeError("cannot connect to postgresql://u:tb-secret-pw@h/db")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(logs.JsonFormatter().format(record))
    assert "RuntimeError" in line["exception"] and "tb-secret-pw" not in line["exception"]


def test_bad_settings_name_the_variable():
    assert logs.read_settings({}) == ("text", logging.INFO)
    assert logs.read_settings({"LOG_FORMAT": " JSON ", "LOG_LEVEL": "debug"}) == ("json", logging.DEBUG)
    with pytest.raises(
        SettingsError, match="environment variable LOG_FORMAT: Input should be 'json' or 'text'; got 'yaml'"
    ):
        logs.read_settings({"LOG_FORMAT": "yaml"})
    with pytest.raises(SettingsError, match="environment variable LOG_LEVEL: Input should be 'DEBUG'"):
        logs.read_settings({"LOG_LEVEL": "verbose"})


def test_configure_installs_one_handler_and_takes_uvicorns_loggers_over():
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    try:
        logs.configure(env={"LOG_FORMAT": "json"}, stream=io.StringIO())
        logs.configure(env={"LOG_FORMAT": "json"}, stream=buffer)  # again: replaces, never doubles
        assert sum(isinstance(h, logs._OurHandler) for h in root.handlers) == 1
        logging.getLogger("uvicorn.error").addHandler(logging.StreamHandler(io.StringIO()))
        logs.configure(env={"LOG_FORMAT": "json"}, stream=buffer)
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("alembic.runtime.migration").info("Context impl PostgresqlImpl.")  # noise: dropped
    finally:
        for handler in [h for h in root.handlers if isinstance(h, logs._OurHandler)]:
            root.removeHandler(handler)
        root.setLevel(level)
    [line] = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert (line["logger"], line["message"]) == ("uvicorn.error", "Started server process")
    assert logs.uvicorn_log_config("info")["loggers"]["uvicorn.access"] == {
        "handlers": [],
        "propagate": True,
        "level": "INFO",
        "filters": ["query_mask"],
    }


def test_the_root_handler_skips_what_dagsters_handler_printed():
    buffer = io.StringIO()
    handler = logs._OurHandler(buffer)
    handler.setFormatter(logs.JsonFormatter())
    dagster_logger = logging.getLogger("dagster")
    earlier = dagster_logger.handlers[:]  # what in-process Dagster runs of earlier tests installed
    dagster_logger.handlers.clear()
    try:
        handler.handle(_record("once", ()))
        handler.handle(_record("twice", (), dagster_meta={"run_id": "r", "orig_message": "twice"}))
        own = logging.NullHandler()
        dagster_logger.addHandler(own)  # as Dagster's code servers configure it
        handler.handle(logging.LogRecord("dagster.daemon", logging.INFO, __file__, 1, "by dagster", (), None))
        dagster_logger.removeHandler(own)
        handler.handle(logging.LogRecord("dagster", logging.INFO, __file__, 1, "ours to print", (), None))
    finally:
        dagster_logger.handlers[:] = earlier
    assert [json.loads(line)["message"] for line in buffer.getvalue().splitlines()] == ["once", "ours to print"]


@pytest.mark.slow
def test_the_crawl_service_configures_logging_without_the_pipelines_dependencies():
    """Its image installs crawl4ai, FastAPI, uvicorn, httpx, orjson and pydantic-settings, not the pipeline's
    database, Dagster or model dependencies, and copies only tileshop_pipelines/serving and
    tileshop_pipelines/crawl of the project (crawler/Dockerfile): nothing else may be imported."""
    script = (
        "import sys\n"
        "for name in ('psycopg', 'orjson', 'pgvector', 'dagster', 'torch', 'numpy', 'rag_app'):\n"
        "    sys.modules[name] = None  # importing any of them fails\n"
        "from crawler.main import create_app\n"
        "import crawler.__main__\n"
        "from crawler.settings import CrawlerSettings\n"
        "from tileshop_pipelines.serving.server import server_config  # python -m crawler's, as the image runs it\n"
        "create_app(CrawlerSettings(CRAWLER_TOKEN='crawler-test-token-123456'))\n"
        "import logging; logging.getLogger('crawler').warning('token crawler-test-token-123456 masked')\n"
        "print(' '.join(sorted(name for name in sys.modules if sys.modules[name] is not None\n"
        "                      and name.split('.')[0] in ('tileshop_pipelines', 'rag_app', 'crawler'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LOG_FORMAT": "json", "PYTHONPATH": str(bootstrap.PROJECT_ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stderr.splitlines()[-1])["message"] == "token *** masked"
    imported = out.stdout.split()
    assert outside_the_crawler_image(imported) == [], "crawler/ imports what its image does not ship"
    assert {"crawler.main", "tileshop_pipelines.serving.http", "tileshop_pipelines.crawl.transports"} <= set(imported)


def outside_the_crawler_image(modules: list[str]) -> list[str]:
    """The project's modules among `modules` that crawler/Dockerfile does not copy."""
    shipped = ("crawler", "tileshop_pipelines.serving", "tileshop_pipelines.crawl")
    return [
        m for m in modules if m != "tileshop_pipelines" and not any(m == s or m.startswith(f"{s}.") for s in shipped)
    ]


def test_outside_the_crawler_image_names_what_the_image_lacks():
    assert (
        outside_the_crawler_image(
            ["tileshop_pipelines", "crawler.main", "tileshop_pipelines.crawl.addresses", "tileshop_pipelines.serving"]
        )
        == []
    )
    assert outside_the_crawler_image(
        ["rag_app.security", "tileshop_pipelines.store.db", "tileshop_pipelines.crawler_extra"]
    ) == ["rag_app.security", "tileshop_pipelines.store.db", "tileshop_pipelines.crawler_extra"]


# --- real processes -----------------------------------------------------------------------------


def _with_password(url: str) -> str:
    """The test database's URL with a password in it (the test server trusts local connections,
    so the password is sent and ignored: a secret the processes hold)."""
    parts = urlsplit(url)
    netloc = f"{parts.username or 'postgres'}:{DB_PASSWORD}@{parts.netloc.rsplit('@', 1)[-1]}"
    return urlunsplit((parts.scheme, netloc, *parts[2:]))


def _leaks(text: str) -> list[str]:
    return [name for name, value in {**SECRETS, "DB_PASSWORD": DB_PASSWORD}.items() if value in text]


CRAWL_SCRIPT = textwrap.dedent("""
    import dagster as dg
    from tileshop_pipelines.cli import configure_logging
    from tileshop_pipelines.local_runs import crawl_all_products, refresh_sitemap
    from tileshop_pipelines.processes import prepare

    configure_logging()
    prepare()
    with dg.DagsterInstance.get() as instance:
        assert refresh_sitemap(instance, log_level="DEBUG").success
        assert crawl_all_products(instance, log_level="DEBUG").success
    print("crawled")
""")


@pytest.mark.slow
def test_no_secret_in_the_logs_of_the_crawl_service_a_crawl_and_a_failing_database(tileshop_env, tmp_path):
    port = free_port()
    base = {
        **os.environ,
        **SECRETS,
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "DEBUG",
        "PYTHONPATH": str(bootstrap.PROJECT_ROOT),
    }
    service_err = tmp_path / "crawler.err"
    with CatalogServer(build_catalog(n_products=25, seed=3), port=0) as site, open(service_err, "wb") as err:
        service = subprocess.Popen(
            [sys.executable, "-m", "crawler", "--host", "127.0.0.1", "--port", str(port)],
            env={**base, **LOCAL_SITE},
            cwd=bootstrap.PROJECT_ROOT,
            stdout=err,
            stderr=err,
            start_new_session=True,
        )
        try:
            wait_until_serving(service, f"http://127.0.0.1:{port}/health", "the crawl service", 60)
            refused = httpx.post(
                f"http://127.0.0.1:{port}/crawl",
                json={"urls": [site.base_url]},
                headers={"Authorization": f"Bearer {SECRETS['CRAWLER_TOKEN']}-wrong"},
            )
            assert refused.status_code == 401
            # a client that puts the token in the query string: the access log line must not show it
            assert httpx.get(f"http://127.0.0.1:{port}/health?token={SECRETS['CRAWLER_TOKEN']}").status_code == 200
            crawl_env = {
                **base,
                "DATABASE_URL": _with_password(tileshop_env["DATABASE_URL"]),
                "TILESHOP_SITEMAP_URL": f"{site.base_url}/sitemap.xml",
                "TILESHOP_CRAWL_RATE": "0",
                "TILESHOP_CRAWL_MODE": "service",
                "CRAWLER_URL": f"http://127.0.0.1:{port}",
                "TILESHOP_AUTOMATION": "off",
            }
            crawl = subprocess.run(
                [sys.executable, "-c", CRAWL_SCRIPT],
                env=crawl_env,
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            os.killpg(service.pid, signal.SIGTERM)
            service.wait(timeout=20)
    assert crawl.returncode == 0 and "crawled" in crawl.stdout, crawl.stderr[-3000:]
    assert site.hits and site.last_user_agent  # the pages were fetched, through the service

    closed = free_port()
    failing = subprocess.run(
        [sys.executable, "-m", "tileshop_pipelines.cli", "db", "migrate"],
        cwd=tmp_path,
        env={**base, "DATABASE_URL": f"postgresql://tileshop:{DB_PASSWORD}@127.0.0.1:{closed}/x"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failing.returncode == 2 and "cannot connect to the database at postgresql://tileshop:***@" in failing.stderr

    service_log = service_err.read_text()
    for name, text in {
        "crawl service": service_log,
        "crawl stdout": crawl.stdout,
        "crawl stderr": crawl.stderr,
        "failing CLI": failing.stdout + failing.stderr,
    }.items():
        assert _leaks(text) == [], f"{name} leaked {_leaks(text)}"
    crawl_lines = [json.loads(line) for line in crawl.stderr.splitlines()]  # one JSON object per line, only
    service_lines = [json.loads(line) for line in service_log.splitlines()]
    assert any(
        line["logger"] == "uvicorn.access" and "POST /crawl" in line["message"] and "401" in line["message"]
        for line in service_lines
    )
    assert any(line["logger"] == "uvicorn.error" and line["level"] == "INFO" for line in service_lines)
    assert any("GET /health?*** " in line["message"] for line in service_lines)  # the whole query string masked
    runs = {line["run_id"] for line in crawl_lines if line.get("run_id")}
    assert len(runs) == 2  # the sitemap refresh and the crawl, each line tagged with its run
    assert any(line.get("event") == "STEP_SUCCESS" and line.get("step") == "crawl_products" for line in crawl_lines)
