"""The Dagster code location: the definitions under defs/, loaded as Dagster loads a project's defs
folder (`dg.load_from_defs_folder`, pyproject's [tool.dg]), with the project's policy applied over
them.

Each module of defs/ contributes what it defines: its assets, checks, jobs and sensors, or, where
they depend on the settings, what its `@dg.definitions` function builds. A module imports another
module's assets through that module (`from ... import assets as acquisition`), never by name, so
each is registered once.

Loaded lazily (`@dg.definitions`): importing this module starts no database, writes no file and
reads no network; the settings are read and validated when Dagster loads the location.

The policy: everything downstream of the per-product crawl follows its upstream automatically (each
step incremental by hash: unchanged products cost nothing), waits for the blocking checks upstream,
and runs with the index's guardrails; the sitemap and the index carry freshness windows; every
asset has an owner and its code references, linked to the repository when its URL is known.
"""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import dagster as dg

from tileshop_pipelines import bootstrap
from tileshop_pipelines.defs.acquisition import assets as acquisition
from tileshop_pipelines.defs.acquisition.automation import default_status
from tileshop_pipelines.defs.catalog import snapshot
from tileshop_pipelines.defs.document_index import assets as document_index
from tileshop_pipelines.defs.documents import assets as documents
from tileshop_pipelines.defs.embedding import assets as embedding
from tileshop_pipelines.defs.policy import INDEX_RUN_TAGS, OWNERS
from tileshop_pipelines.defs.run_logs import silent_console
from tileshop_pipelines.defs.vectors import assets as vectors
from tileshop_pipelines.freshness import FRESHNESS_WINDOWS
from tileshop_pipelines.serving import logs
from tileshop_pipelines.settings import PipelineSettings, load_settings

# Run after any upstream update (any product partition or the sitemap, for product_chunks), once
# nothing upstream is in progress and upstream's blocking checks passed (a crawl whose records lost
# their prices never reaches the index). eager() without its missing-dependency guard: one product
# whose first fetch failed would otherwise hold back the whole index. The sitemap's blocking check
# is not waited for: a refused listing stores nothing, so product updates keep flowing.
FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager().without(~dg.AutomationCondition.any_deps_missing())
    & dg.AutomationCondition.all_deps_blocking_checks_passed().ignore(
        dg.AssetSelection.assets(acquisition.sitemap_urls)
    )
).with_label("follow upstream")

# The windows are in tileshop_pipelines/freshness.py (the app's monitoring page reads them too).
FRESHNESS = {
    asset: dg.FreshnessPolicy.time_window(fail_window=window.fail, warn_window=window.warn)
    for asset, window in FRESHNESS_WINDOWS.items()
}
# The catalog's Parquet snapshot (one file per refresh cycle) and the documents the products name
# follow the records the same way, and the documents' passages follow the documents.
DOWNSTREAM = [
    embedding.product_chunks,
    embedding.product_embeddings,
    vectors.product_vectors,
    snapshot.catalog_snapshot,
    documents.product_documents,
    document_index.document_chunks,
    document_index.document_embeddings,
    document_index.document_vectors,
]
DOWNSTREAM_KEYS = {asset.key for asset in DOWNSTREAM}
# Code references point at this branch of the repository (TILESHOP_GIT_URL or the checkout's origin).
GIT_BRANCH = "main"

index_refresh_job = dg.define_asset_job(
    "index_refresh",
    selection=dg.AssetSelection.assets(*DOWNSTREAM),
    tags=INDEX_RUN_TAGS,
    description="products -> chunks -> embeddings -> vectors (incremental by hash), the catalog snapshot, the "
    "products' documents (fetched and read when new, changed or due) and their passages -> embeddings "
    "-> document_vectors.",
)


def build_definitions(loaded: dg.Definitions, settings: PipelineSettings) -> dg.Definitions:
    """The policy over the definitions loaded from defs/ (see the module docstring)."""

    def with_policy(spec: dg.AssetSpec) -> dg.AssetSpec:
        return spec.replace_attributes(
            freshness_policy=FRESHNESS.get(spec.key.to_user_string(), spec.freshness_policy),
            automation_condition=FOLLOW_UPSTREAM if spec.key in DOWNSTREAM_KEYS else spec.automation_condition,
            owners=spec.owners or OWNERS,
        )

    defined = list(loaded.assets or [])
    mappable = [a for a in defined if isinstance(a, (dg.AssetsDefinition, dg.AssetSpec))]
    if len(mappable) != len(defined):  # a SourceAsset or cacheable assets: no spec to set policy on
        raise TypeError("defs/ defines assets other than asset definitions and specs")
    assets = code_references(dg.map_asset_specs(with_policy, mappable), repository_url(settings.git_url))
    return dg.Definitions(
        assets=assets,
        asset_checks=loaded.asset_checks,
        jobs=[*(loaded.jobs or []), index_refresh_job],
        schedules=loaded.schedules,
        sensors=[
            *(loaded.sensors or []),
            dg.AutomationConditionSensorDefinition(
                "follow_upstream_sensor",
                target=dg.AssetSelection.assets(*DOWNSTREAM),
                run_tags=INDEX_RUN_TAGS,
                default_status=default_status(settings),
                minimum_interval_seconds=30,
            ),
        ],
        resources=loaded.resources,
        loggers={"console": silent_console},
        # Every run here is a chain of steps with nothing to run in parallel (a crawl run is one
        # step), so a run's steps share its process: no step process to start and import the
        # pipeline again (bench production: seconds per run, more than a crawl batch's work).
        executor=dg.in_process_executor,
        metadata=loaded.metadata,
        component_tree=loaded.component_tree,
    )


def code_references(assets: Sequence, git_url: str | None) -> list:
    """Each asset's source file and line (the UI's "code" link); on the repository's main branch
    when its URL is known, else the local file."""
    with warnings.catch_warnings():  # source code references are a beta API: stable enough to show
        warnings.simplefilter("ignore", dg.BetaWarning)
        referenced = dg.with_source_code_references(assets)
        if git_url is None:
            return list(referenced)
        return list(
            dg.link_code_references_to_git(
                referenced,
                git_url=git_url,
                git_branch=GIT_BRANCH,
                file_path_mapping=dg.AnchorBasedFilePathMapping(
                    local_file_anchor=bootstrap.PROJECT_ROOT / "pyproject.toml",
                    file_anchor_path_in_repository="pyproject.toml",
                ),
            )
        )


def repository_url(configured: str | None, checkout: Path = bootstrap.PROJECT_ROOT) -> str | None:
    """TILESHOP_GIT_URL, else the checkout's `origin` remote as a browsable https URL; None when
    neither names a GitHub or GitLab repository (the only hosts Dagster links to) or there is no
    checkout (the images hold no .git)."""
    if configured:
        return configured
    if not (checkout / ".git").exists():
        return None
    try:
        remote = subprocess.run(
            ["git", "-C", str(checkout), "remote", "get-url", "origin"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):  # no git here
        return None
    return browsable_url(remote.stdout.strip()) if remote.returncode == 0 else None


def browsable_url(remote: str) -> str | None:
    """A git remote (https, ssh:// or scp-like git@host:path) as https://host/owner/repo, for
    GitHub and GitLab; None otherwise."""
    if "://" not in remote and ":" in remote:  # git@github.com:owner/repo.git
        user_host, _, path = remote.partition(":")
        host = user_host.rpartition("@")[2]
    else:
        parts = urlsplit(remote)
        host, path = (parts.hostname or ""), parts.path
    path = path.strip("/").removesuffix(".git")
    if not path or not any(name in host for name in ("github", "gitlab")):
        return None
    return f"https://{host}/{path}"


@dg.definitions
def defs() -> dg.Definitions:
    """What Dagster loads (pyproject's [tool.dg] and [tool.dagster], workspace.yaml), in its code
    servers and run workers: their log lines in LOG_FORMAT with the settings' secrets masked
    (logs.py; dagster.yaml routes the runs' own lines through the same formatter), and the
    environment crawl4ai and Dagster read set as `tileshop` commands set it."""
    settings = load_settings()  # first: a bad variable fails the load naming it
    bootstrap.configure_process()
    logs.configure(secrets=[*logs.secret_values(settings), *bootstrap.process_secrets()])
    return build_definitions(dg.load_from_defs_folder(path_within_project=bootstrap.PROJECT_ROOT), settings)
