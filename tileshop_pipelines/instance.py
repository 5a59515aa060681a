"""The Dagster instance's storage: the project's database, found the way every `tileshop` command
finds it, so that any Dagster process reaches it with nothing exported.

dagster.yaml names `ProjectStorage` instead of a Postgres URL read from a variable. Dagster builds
the instance before it loads any code: `dg dev`, `dg launch`, `dg check defs` and `dagster dev`
from the checkout read the root dagster.yaml (their DAGSTER_HOME is a temporary folder), `tileshop`
commands and the images copy it into DAGSTER_HOME (bootstrap.configure_environment), and every
process they start (webserver, daemon, code servers, run workers) rebuilds the storage from the
instance's reference, here again. Each reaches:

- DAGSTER_PG_URL when set (Dagster's storage in a database of its own), else
- DATABASE_URL's server (a deployment: the release command has migrated it), else
- the embedded server (started if it is not running), whose schema nobody else migrated when
  nothing was exported: migrated here, as every `tileshop` command does first.

The URLs found are exported (bootstrap.configure_database), as `tileshop` commands export them: the
processes Dagster starts from this one inherit them and connect without looking again (each look
at the embedded server takes its package's machine-wide lock, and again at the process's exit).
"""

from __future__ import annotations

from dagster_postgres import DagsterPostgresStorage

from tileshop_pipelines import bootstrap


def storage_url() -> str:
    """Dagster's storage URL for this process (see the module docstring); the embedded server is
    started and the project's schema migrated when DATABASE_URL is unset."""
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.migrations import migrate

    settings = bootstrap.process_settings()
    bootstrap.configure_process(settings)
    database_url = db.database_url()
    if settings.database_url is None:
        with db.connect(database_url) as conn:
            migrate(conn)
    return bootstrap.configure_database(database_url, settings)["DAGSTER_PG_URL"]


class ProjectStorage(DagsterPostgresStorage):
    """dagster-postgres' run, event log and schedule storage on the project's database. No config:
    the URL is resolved in each process (a password never lands in an instance reference)."""

    @classmethod
    def config_type(cls):
        return {}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(postgres_url=storage_url(), inst_data=inst_data)
