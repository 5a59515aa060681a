"""The code location: loaded lazily with no side effects at import, its graph pinned by a snapshot,
and the downstream automation waiting for blocking checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import dagster as dg
import pytest

from tileshop_pipelines.definitions import FOLLOW_UPSTREAM

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
    env.update(TILESHOP_HOME=str(tmp_path / "home"), HOME=str(tmp_path / "user"), PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=str(PROJECT_ROOT))
    out = subprocess.run([sys.executable, "-c", AUDIT, module], env=env, capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
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
        }
    checks = {f"{k.asset_key.to_user_string()}:{k.name}": {"blocking": graph.get(k).blocking}
              for k in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))}
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
    assert {s.name: s.cron_schedule for s in loaded.schedules} == {"daily_sitemap_refresh": "15 3 * * *",
                                                                   "daily_database_backup": "30 4 * * *"}
    assert {s.default_status.value for s in [*loaded.sensors, *loaded.schedules]} == {"STOPPED"}
    crawl = loaded.resolve_assets_def("products")
    assert crawl.backfill_policy.max_partitions_per_run == 7


@pytest.mark.parametrize(("bucket", "automation", "status"), [
    ({}, "on", "STOPPED"),  # no bucket: the job would only fail
    ({"BUCKET_NAME": "tileshop-prod", "AWS_ENDPOINT_URL_S3": "https://fly.storage.tigris.dev"}, "on", "RUNNING"),
    ({"BUCKET_NAME": "tileshop-prod", "AWS_ENDPOINT_URL_S3": "https://fly.storage.tigris.dev"}, "off", "STOPPED"),
])
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
