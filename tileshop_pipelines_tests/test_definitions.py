"""The code location: loaded lazily with no side effects at import, from the defs folder as Dagster
loads one (each definition registered once), its graph pinned by a snapshot, the policy over it
(owners, code references linked to the repository), and the downstream automation waiting for
blocking checks. `dg` and `dagster dev` on this checkout: test_instance.py."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import dagster as dg
import pytest
import yaml

from tileshop_pipelines.definitions import FOLLOW_UPSTREAM, browsable_url, build_definitions, repository_url

SNAPSHOT = Path(__file__).with_name("snapshots") / "definitions.json"
PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Everything a module could do at import that this project promises not to: start a process,
# write or create a file, connect anywhere. Dagster's own import runs `file -b python` (its
# vendored croniter asks platform.architecture()), so events are recorded only after `import dagster`.
AUDIT = r"""
import os, sys
import dagster  # noqa: F401
events = []
def hook(event, args):
    if event in ("subprocess.Popen", "os.system", "os.posix_spawn", "os.fork", "os.exec", "os.mkdir",
                 "os.rename", "os.remove", "shutil.copyfile", "socket.connect"):
        events.append((event, repr(args)[:200]))
    elif event == "open":
        mode, flags = (args[1], args[2]) if len(args) > 2 else (args[1] if len(args) > 1 else None, 0)
        writes = isinstance(mode, str) and any(c in mode for c in "wax+")
        if writes or (isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)):
            events.append((event, repr(args)[:200]))
sys.addaudithook(hook)
import importlib
importlib.import_module(sys.argv[1])
print(repr(events))
"""


@pytest.mark.slow
@pytest.mark.parametrize("module", ["tileshop_pipelines.definitions", "rag_app.main"])
def test_importing_the_code_location_starts_nothing_and_writes_nothing(module, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DAGSTER_HOME", "DAGSTER_PG_URL")}
    env.update(
        TILESHOP_HOME=str(tmp_path / "home"),
        HOME=str(tmp_path / "user"),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    out = subprocess.run(
        [sys.executable, "-c", AUDIT, module], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert list(tmp_path.iterdir()) == []  # no state folder, no home folder


def _graph_snapshot(defs: dg.Definitions) -> dict:
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        condition = node.automation_condition
        assets_def = graph.assets_def_for_key(key)
        retry = assets_def.op.retry_policy if assets_def.is_executable else None
        assets[key.to_user_string()] = {
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "partitions": getattr(node.partitions_def, "name", None),
            "group": node.group_name,
            "code_version": node.code_version,
            "automation": condition.get_label() if condition else None,
            "freshness": type(node.freshness_policy).__name__ if node.freshness_policy else None,
            "retries": retry.max_retries if retry else 0,
            "table": node.metadata.get("dagster/table_name"),
            "kinds": sorted(node.kinds),
            "owners": list(node.owners),
        }
    checks = {
        f"{k.asset_key.to_user_string()}:{k.name}": {"blocking": graph.get(k).blocking}
        for k in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    }
    return {
        "assets": assets,
        "checks": checks,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": {s.name: s.cron_schedule for s in defs.schedules},
        "sensors": sorted(s.name for s in defs.sensors),
    }


def test_the_graph_matches_its_snapshot(monkeypatch):
    """A change to assets, deps, partitions, checks, jobs, schedules or sensors shows up in review:
    TILESHOP_UPDATE_SNAPSHOT=1 rewrites the snapshot, and the diff is the change."""
    for name in ("TILESHOP_SITEMAP_CRON", "TILESHOP_AUTOMATION", "TILESHOP_BACKUP_CRON"):
        monkeypatch.delenv(name, raising=False)
    from tileshop_pipelines.definitions import defs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        current = _graph_snapshot(defs())
    if os.environ.get("TILESHOP_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(json.dumps(current, indent=2) + "\n")
    assert current == json.loads(SNAPSHOT.read_text()), "graph changed: TILESHOP_UPDATE_SNAPSHOT=1 to accept"


def test_settings_reach_the_definitions(monkeypatch):
    from tileshop_pipelines.definitions import defs

    monkeypatch.setenv("TILESHOP_AUTOMATION", "off")
    monkeypatch.setenv("TILESHOP_SITEMAP_CRON", "15 3 * * *")
    monkeypatch.setenv("TILESHOP_CRAWL_BATCH_SIZE", "7")
    monkeypatch.setenv("TILESHOP_BACKUP_CRON", "30 4 * * *")
    loaded = defs()
    assert {s.name: s.cron_schedule for s in loaded.schedules} == {
        "daily_sitemap_refresh": "15 3 * * *",
        "daily_database_backup": "30 4 * * *",
    }
    assert {s.default_status.value for s in [*loaded.sensors, *loaded.schedules]} == {"STOPPED"}
    crawl = loaded.resolve_assets_def("products")
    assert crawl.backfill_policy.max_partitions_per_run == 7


@pytest.mark.parametrize(
    ("bucket", "automation", "status"),
    [
        ({}, "on", "STOPPED"),  # no bucket: the job would only fail
        ({"BUCKET_NAME": "tileshop-prod", "AWS_ENDPOINT_URL_S3": "https://fly.storage.tigris.dev"}, "on", "RUNNING"),
        ({"BUCKET_NAME": "tileshop-prod", "AWS_ENDPOINT_URL_S3": "https://fly.storage.tigris.dev"}, "off", "STOPPED"),
    ],
)
def test_the_backup_schedule_runs_when_a_bucket_is_configured(monkeypatch, bucket, automation, status):
    from tileshop_pipelines.definitions import defs

    for name in ("BUCKET_NAME", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {**bucket, "TILESHOP_AUTOMATION": automation}.items():
        monkeypatch.setenv(name, value)
    schedule = next(s for s in defs().schedules if s.name == "daily_database_backup")
    assert schedule.default_status.value == status and schedule.job_name == "database_backup"
    assert defs().resolve_job_def("database_backup").tags["dagster/max_runtime"] == "7200"


def test_a_bad_setting_fails_the_load_naming_the_variable(monkeypatch):
    from tileshop_pipelines.definitions import defs
    from tileshop_pipelines.serving.settings import SettingsError

    monkeypatch.setenv("TILESHOP_CRAWL_MODE", "ftp")
    with pytest.raises(SettingsError, match="TILESHOP_CRAWL_MODE"):
        defs()


def test_follow_upstream_waits_for_a_failed_blocking_check():
    """The project's own condition on a two-asset graph: a failed blocking check upstream keeps the
    downstream asset from being requested; the next passing update releases it."""
    state = {"passed": True}

    @dg.asset(check_specs=[dg.AssetCheckSpec("complete", asset="upstream", blocking=True)])
    def upstream():
        yield dg.MaterializeResult(check_results=[dg.AssetCheckResult(passed=state["passed"])])

    @dg.asset(deps=[upstream], automation_condition=FOLLOW_UPSTREAM)
    def downstream():
        return None

    defs = dg.Definitions(assets=[upstream, downstream])
    instance = dg.DagsterInstance.ephemeral()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dg.materialize([upstream, downstream], instance=instance)
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert first.get_num_requested(dg.AssetKey("downstream")) == 0

        state["passed"] = False
        result = dg.materialize([upstream], instance=instance, raise_on_error=False)
        assert not result.success  # a failed blocking check fails its step
        blocked = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        assert blocked.get_num_requested(dg.AssetKey("downstream")) == 0

        state["passed"] = True
        dg.materialize([upstream], instance=instance)
        released = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=blocked.cursor)
        assert released.get_num_requested(dg.AssetKey("downstream")) == 1


def _loaded_folder() -> dg.Definitions:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dg.load_from_defs_folder(path_within_project=PROJECT_ROOT)


def test_the_defs_folder_registers_each_definition_once():
    """Dagster's loader finds what each module of defs/ defines (its @dg.definitions, else its
    module-level objects): an asset imported by name into a second module would be found twice."""
    loaded = _loaded_folder()
    assets = list(loaded.assets or [])
    keys = [key for asset in assets for key in asset.keys]
    assert len(keys) == len(set(keys)), sorted(keys)
    assert len({id(a) for a in assets}) == len(assets)
    checks = list(loaded.asset_checks or [])
    assert len({id(c) for c in checks}) == len(checks) == 9  # product_vectors 4, document_vectors 5
    for kind in ("jobs", "schedules", "sensors"):
        names = [d.name for d in getattr(loaded, kind) or []]
        assert len(names) == len(set(names)), (kind, names)
    assert sorted(loaded.resources or {}) == [
        "alerts",
        "backups",
        "crawler",
        "documents",
        "embedder",
        "postgres",
        "site",
        "vector_store",
    ]
    assert loaded.executor is None and not loaded.loggers  # definitions.py sets them, once


def test_the_policy_passes_on_everything_the_folder_loaded():
    """build_definitions rebuilds the Definitions with the policy's assets: every constructor field
    of Dagster's Definitions is carried over (a field added by a Dagster upgrade fails here)."""
    carried = {
        "assets",
        "asset_checks",
        "jobs",
        "schedules",
        "sensors",
        "resources",
        "executor",
        "loggers",
        "metadata",
        "component_tree",
    }
    assert set(inspect.signature(dg.Definitions.__new__).parameters) - {"cls"} == carried
    from tileshop_pipelines.settings import load_settings

    loaded = _loaded_folder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = build_definitions(loaded, load_settings({}))
    assert {d.name for d in built.sensors} == {d.name for d in loaded.sensors} | {"follow_upstream_sensor"}
    assert {d.name for d in built.jobs} == {d.name for d in loaded.jobs} | {"index_refresh"}
    assert built.schedules == loaded.schedules and built.asset_checks == loaded.asset_checks
    assert built.resources == loaded.resources and built.component_tree is loaded.component_tree


def test_the_project_files_name_one_code_location():
    """dg (pyproject's [tool.dg]), `dagster dev` from the root ([tool.dagster]) and the deployed
    webserver and daemon (workspace.yaml) load the same module under the same name."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]
    [entry] = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())["load_from"]
    project = pyproject["dg"]["project"]
    assert pyproject["dg"]["directory_type"] == "project"
    assert (
        project["code_location_target_module"]
        == pyproject["dagster"]["module_name"]
        == entry["python_module"]["module_name"]
        == "tileshop_pipelines.definitions"
    )
    assert (
        project["code_location_name"]
        == pyproject["dagster"]["code_location_name"]
        == entry["python_module"]["location_name"]
    )
    assert project["defs_module"] == "tileshop_pipelines.defs" and project["root_module"] == "tileshop_pipelines"


def _graph(monkeypatch, **env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from tileshop_pipelines.definitions import defs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return defs().resolve_asset_graph()


def test_every_asset_has_an_owner_kinds_and_its_code(monkeypatch):
    monkeypatch.delenv("TILESHOP_GIT_URL", raising=False)
    graph = _graph(monkeypatch)
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.owners == ["team:catalog"], key
        assert node.kinds >= {"postgres"} or node.kinds == {"pandas", "parquet"}, key  # what it runs and stores in
        [reference] = node.metadata["dagster/code_references"].code_references
        # The definition's own line (a local file when the checkout has no origin remote; the URL
        # form is the next test's)
        if isinstance(reference, dg.LocalFileCodeReference):
            source = Path(reference.file_path).read_text().splitlines()
            assert "def " in source[reference.line_number - 1] or "@dg." in source[reference.line_number - 1]


def test_code_references_link_to_the_repositorys_main_branch(monkeypatch):
    graph = _graph(monkeypatch, TILESHOP_GIT_URL="https://github.com/tileshop/tileshop-pipelines.git")
    for key in graph.get_all_asset_keys():
        [reference] = graph.get(key).metadata["dagster/code_references"].code_references
        assert isinstance(reference, dg.UrlCodeReference), key
        prefix = "https://github.com/tileshop/tileshop-pipelines/tree/main/"
        assert reference.url.startswith(prefix), reference.url
        path, _, line = reference.url.removeprefix(prefix).partition("#L")
        source = (PROJECT_ROOT / path).read_text().splitlines()  # the file, at the line of its definition
        assert path.startswith("tileshop_pipelines/defs/")
        assert source[int(line) - 1].strip().startswith(("def ", "@dg."))


@pytest.mark.parametrize(
    ("remote", "url"),
    [
        ("git@github.com:tileshop/tileshop-pipelines.git", "https://github.com/tileshop/tileshop-pipelines"),
        ("https://github.com/tileshop/tileshop-pipelines.git", "https://github.com/tileshop/tileshop-pipelines"),
        ("ssh://git@gitlab.com/group/sub/pipelines.git", "https://gitlab.com/group/sub/pipelines"),
        ("https://token@github.com/tileshop/tileshop-pipelines", "https://github.com/tileshop/tileshop-pipelines"),
        ("git@bitbucket.org:tileshop/tileshop-pipelines.git", None),  # Dagster links GitHub and GitLab only
        ("/srv/git/pipelines.git", None),
        ("", None),
    ],
)
def test_a_remote_becomes_a_browsable_url(remote, url):
    assert browsable_url(remote) == url


def test_the_repository_url_comes_from_the_setting_else_the_origin_remote(tmp_path):
    assert repository_url("https://github.com/a/b") == "https://github.com/a/b"
    assert repository_url(None, tmp_path) is None  # no checkout: the images
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    assert repository_url(None, tmp_path) is None  # a checkout without an origin
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:a/b.git"], check=True)
    assert repository_url(None, tmp_path) == "https://github.com/a/b"
