"""The alert sensors against real incidents: a failed run, a failed check and a missed freshness
window, each posted once to a local webhook receiver; the receiver's log is saved to
test-artifacts/alert_receiver.log.

The run failure and the failed check are real runs against the sample catalog. The freshness
window is Dagster's own evaluation (its freshness daemon, one iteration, over this code location)
of `product_vectors`' 3-day policy after a materialization recorded 4 days ago: the one arranged
fact is when the index was last written, since a test cannot wait three days.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

import dagster as dg
import pytest

from tileshop_pipelines.local_runs import refresh_sitemap
from tileshop_pipelines.store import alerts as alerts_sql
from tileshop_pipelines.store import db

from .alert_receiver import AlertReceiver
from .support.ports import free_port
from .support.sample_site import AUTOMATION_OFF

pytestmark = pytest.mark.slow  # real runs, sensors and Dagster's freshness daemon over a sample site


ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
UI = "http://dagster.test:3000"


@pytest.fixture(scope="module")
def site(own_sample_site):
    # A site of this module's own: its test removes products from the catalog.
    with AlertReceiver() as receiver:
        sample = own_sample_site(
            30, 5, env={**AUTOMATION_OFF, "TILESHOP_ALERT_WEBHOOK_URL": receiver.url, "TILESHOP_DAGSTER_UI_URL": UI}
        )
        with sample.environment():
            from tileshop_pipelines.definitions import defs

            with dg.DagsterInstance.get() as instance:
                yield {
                    "server": sample.server,
                    "catalog": sample.catalog,
                    "receiver": receiver,
                    "instance": instance,
                    "defs": defs(),
                    "env": sample.env,
                }


def _asset_alerts(site, cursor):
    sensor = site["defs"].get_repository_def().get_sensor_def("asset_alerts")
    context = dg.build_sensor_context(
        instance=site["instance"], cursor=cursor, definitions=site["defs"], resources=site["defs"].resources
    )
    result = sensor(context)
    return context.cursor, result


def _run_sensor(site, name, run_id, event_type):
    instance = site["instance"]
    run = instance.get_run_by_id(run_id)
    event = instance.get_records_for_run(run_id, of_type=event_type).records[-1].event_log_entry.dagster_event
    context = dg.build_run_status_sensor_context(
        sensor_name=name,
        dagster_event=event,
        dagster_instance=instance,
        dagster_run=run,
        repository_def=site["defs"].get_repository_def(),
        resources=site["defs"].resources,
    )
    sensor = site["defs"].get_repository_def().get_sensor_def(name)
    return sensor(context.for_run_failure() if event_type == dg.DagsterEventType.RUN_FAILURE else context)


def _index_written_days_ago(instance: dg.DagsterInstance, days: float) -> None:
    """A materialization of product_vectors in the event log, stamped `days` ago."""
    from dagster._core.events import DagsterEvent, StepMaterializationData
    from dagster._core.events.log import EventLogEntry
    from dagster._core.instance.utils import RUNLESS_JOB_NAME, RUNLESS_RUN_ID

    event = DagsterEvent(
        dg.DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name=RUNLESS_JOB_NAME,
        event_specific_data=StepMaterializationData(dg.AssetMaterialization("product_vectors")),
    )
    instance.store_event(
        EventLogEntry(
            error_info=None,
            level=logging.INFO,
            user_message="",
            run_id=RUNLESS_RUN_ID,
            timestamp=time.time() - days * 86400,
            dagster_event=event,
        )
    )


def _evaluate_freshness(instance: dg.DagsterInstance) -> None:
    """One iteration of Dagster's freshness daemon over this code location (in process)."""
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.test_utils import InProcessTestWorkspaceLoadTarget, create_test_daemon_workspace_context
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._daemon.freshness import FreshnessDaemon

    target = InProcessTestWorkspaceLoadTarget(
        InProcessCodeLocationOrigin(
            LoadableTargetOrigin(module_name="tileshop_pipelines.definitions", attribute="defs"),
            location_name="tileshop_pipelines",
        )
    )
    with create_test_daemon_workspace_context(target, instance) as context:
        list(FreshnessDaemon().run_iteration(context))


def _open(site) -> dict[str, dict]:
    with db.connect(site["env"]["DATABASE_URL"]) as conn:
        return {i["incident_key"]: i for i in alerts_sql.open_incidents(conn)}


def test_a_failed_run_a_failed_check_and_a_missed_freshness_window_are_each_posted_once(site):
    instance, receiver, catalog = site["instance"], site["receiver"], site["catalog"]
    cursor, first = _asset_alerts(site, None)  # the first tick starts watching from now
    assert isinstance(first, dg.SkipReason) and cursor
    assert refresh_sitemap(instance).success

    # 1. A run failure: the sitemap is unreachable.
    sitemap_url = os.environ["TILESHOP_SITEMAP_URL"]
    os.environ["TILESHOP_SITEMAP_URL"] = f"http://127.0.0.1:{free_port()}/sitemap.xml"
    try:
        unreachable = refresh_sitemap(instance)
    finally:
        os.environ["TILESHOP_SITEMAP_URL"] = sitemap_url
    assert not unreachable.success
    _run_sensor(site, "run_failure_alerts", unreachable.run_id, dg.DagsterEventType.RUN_FAILURE)
    assert len(receiver.received) == 1

    # 2. A failed check: the sitemap lost 5 of its 30 products (17% > 10%): sitemap_not_shrunk fails,
    # and so does its run, the same job's second failure: counted, not posted again.
    for product in catalog.products[:5]:
        catalog.remove(product.path)
    shrunk = refresh_sitemap(instance)
    assert not shrunk.success
    cursor, result = _asset_alerts(site, cursor)
    assert not isinstance(result, dg.SkipReason)
    _run_sensor(site, "run_failure_alerts", shrunk.run_id, dg.DagsterEventType.RUN_FAILURE)
    assert len(receiver.received) == 2
    assert _open(site)["run_failure:sitemap_refresh"]["occurrences"] == 2

    # 3. A missed freshness window: the index was last written 4 days ago (its window: 3 days).
    _index_written_days_ago(instance, 4)
    _evaluate_freshness(instance)
    cursor, result = _asset_alerts(site, cursor)
    assert len(receiver.received) == 3
    cursor, result = _asset_alerts(site, cursor)  # nothing new: nothing posted
    assert isinstance(result, dg.SkipReason) and len(receiver.received) == 3

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "alert_receiver.log").write_text("\n".join(receiver.lines) + "\n")
    run_text, check_text, fresh_text = (payload["text"] for payload in receiver.received)
    assert f"Dagster run of `sitemap_refresh` failed (run {unreachable.run_id[:8]})" in run_text
    assert f"<{UI}/runs/{unreachable.run_id}|Open in Dagster>" in run_text
    assert "> sitemap_urls: sitemap acquisition failed, stored state untouched:" in run_text  # the cause
    assert "Connection refused" in run_text
    assert "Asset check `sitemap_not_shrunk` on `sitemap_urls` failed, severity ERROR" in check_text
    assert f"<{UI}/runs/{shrunk.run_id}|Open in Dagster>" in check_text
    assert "listed_products: 25, previous_products: 30" in check_text
    assert "`product_vectors` missed its freshness window of 3 days" in fresh_text
    assert f"<{UI}/assets/product_vectors|Open in Dagster>" in fresh_text
    assert set(_open(site)) == {
        "run_failure:sitemap_refresh",
        "check_failure:sitemap_urls:sitemap_not_shrunk",
        "freshness:product_vectors",
    }
    assert {i["delivery"] for i in _open(site).values()} == {"posted"}

    # Recovery closes the incidents: the job succeeds (the shrink accepted) and its check passes.
    accepted = refresh_sitemap(instance, run_config={"ops": {"sitemap_urls": {"config": {"allow_shrink": True}}}})
    assert accepted.success
    _run_sensor(site, "run_success_resolves_alerts", accepted.run_id, dg.DagsterEventType.RUN_SUCCESS)
    _asset_alerts(site, cursor)
    assert set(_open(site)) == {"freshness:product_vectors"}
    assert len(receiver.received) == 3
    assert json.loads(json.dumps(receiver.received))  # Slack-compatible: plain JSON objects with "text"
    assert all(set(p) == {"text"} for p in receiver.received)
