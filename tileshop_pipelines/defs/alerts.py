"""The alert sensors: Dagster's events in, alerts.py's incidents out (posted once each).

- `run_failure_alerts`: a run of any job of this code location failed;
- `run_success_resolves_alerts`: a job's run succeeded, closing its run-failure incident;
- `asset_alerts`: asset check evaluations (failed: open; passed: close) and freshness state
  changes (FAIL: open; PASS: close) since its cursor. Freshness states are computed by Dagster's
  freshness daemon from the policies in definitions.py, so an alert agrees with the UI.
"""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from tileshop_pipelines import alerts as alerting
from tileshop_pipelines.defs.acquisition import automation
from tileshop_pipelines.defs.resources import AlertsResource, PostgresResource
from tileshop_pipelines.settings import load_settings

EVENTS_PER_TICK = 200


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=alert_sensors(automation.default_status(load_settings())))


def alert_sensors(default_status: dg.DefaultSensorStatus) -> list:
    @dg.run_failure_sensor(
        name="run_failure_alerts",
        default_status=default_status,
        description="Posts a failed run to TILESHOP_ALERT_WEBHOOK_URL, once per job until it "
        "succeeds again (unset: logged).",
    )
    def run_failure_alerts(context: dg.RunFailureSensorContext, postgres: PostgresResource, alerts: AlertsResource):
        run = context.dagster_run
        step_errors = [
            f"{event.step_key}: {_error_text(error)}"  # (a step failure's data has its error)
            for event in context.get_step_failure_events()
            if (error := getattr(event.event_specific_data, "error", None))
        ]
        alert = alerting.run_failure(
            run.job_name, run.run_id, context.failure_event.message, alerts.dagster_ui_url, step_errors
        )
        with postgres.connect() as conn:
            alerting.notify(conn, alert, alerts.sender())

    @dg.run_status_sensor(
        run_status=dg.DagsterRunStatus.SUCCESS,
        name="run_success_resolves_alerts",
        default_status=default_status,
        description="Closes a job's run-failure incident when one of its runs succeeds.",
    )
    def run_success_resolves_alerts(context: dg.RunStatusSensorContext, postgres: PostgresResource):
        with postgres.connect() as conn:
            alerting.resolve(conn, [alerting.run_failure_key(context.dagster_run.job_name)])

    @dg.sensor(
        name="asset_alerts",
        default_status=default_status,
        minimum_interval_seconds=60,
        description="Posts failed asset checks and missed freshness windows, once per incident.",
    )
    def asset_alerts(context: dg.SensorEvaluationContext, postgres: PostgresResource, alerts: AlertsResource):
        instance = context.instance
        cursor = json.loads(context.cursor) if context.cursor else None
        if cursor is None:  # first tick: from now on, not the whole history
            latest = instance.event_log_storage.get_maximum_record_id() or 0
            context.update_cursor(json.dumps({"checks": latest, "freshness": latest}))
            return dg.SkipReason("started watching asset checks and freshness from now")
        checks = _records(instance, dg.DagsterEventType.ASSET_CHECK_EVALUATION, cursor["checks"])
        freshness = _records(instance, dg.DagsterEventType.FRESHNESS_STATE_CHANGE, cursor["freshness"])
        sender = alerts.sender()
        ui_url = alerts.dagster_ui_url
        opened = closed = 0
        with postgres.connect() as conn:
            for record in checks:
                evaluation = record.event_log_entry.dagster_event.event_specific_data
                asset = evaluation.asset_key.to_user_string()
                if evaluation.passed:
                    closed += len(alerting.resolve(conn, [alerting.check_key(asset, evaluation.check_name)]))
                    continue
                alert = alerting.check_failure(
                    asset,
                    evaluation.check_name,
                    description=evaluation.description,
                    severity=evaluation.severity.value,
                    run_id=record.run_id or None,
                    partition=evaluation.partition,
                    ui_url=ui_url,
                    facts=_plain_metadata(evaluation.metadata),
                )
                opened += alerting.notify(conn, alert, sender) is not None
            for record in freshness:
                change = record.event_log_entry.dagster_event.event_specific_data
                asset = change.key.to_user_string()
                action = alerting.freshness_transition(change.new_state.value)
                if action == "resolve":
                    closed += len(alerting.resolve(conn, [alerting.freshness_key(asset)]))
                elif action == "open":
                    alert = alerting.freshness_failure(
                        asset,
                        last_materialized=_last_materialized(instance, change.key),
                        fail_window=_fail_window(context, change.key),
                        ui_url=ui_url,
                    )
                    opened += alerting.notify(conn, alert, sender) is not None
        context.update_cursor(
            json.dumps(
                {
                    "checks": checks[-1].storage_id if checks else cursor["checks"],
                    "freshness": freshness[-1].storage_id if freshness else cursor["freshness"],
                }
            )
        )
        if not opened and not closed:
            return dg.SkipReason(
                f"{len(checks)} check evaluations, {len(freshness)} freshness changes: no new incident"
            )
        context.log.info(f"{opened} incident(s) opened, {closed} closed")

    return [run_failure_alerts, run_success_resolves_alerts, asset_alerts]


def _error_text(error) -> str:
    """The error's message without its class path ("dagster._core.definitions.events.Failure: ")."""
    message = error.message.strip()
    head, _, rest = message.partition(": ")
    return rest if rest and head.rsplit(".", 1)[-1] == error.cls_name else message


def _plain_metadata(metadata) -> dict:
    """A check's counts and rates (numbers, short text, booleans), not its tables."""
    plain = {}
    for name, entry in metadata.items():
        value = getattr(entry, "value", entry)
        short_text = isinstance(value, str) and len(value) <= 200 and "\n" not in value
        if isinstance(value, bool | int | float) or short_text:
            plain[name] = value
    return plain


def _records(instance: dg.DagsterInstance, event_type: dg.DagsterEventType, after: int) -> list:
    return list(
        instance.get_event_records(
            dg.EventRecordsFilter(event_type=event_type, after_cursor=after), limit=EVENTS_PER_TICK, ascending=True
        )
    )


def _last_materialized(instance: dg.DagsterInstance, key: dg.AssetKey) -> dt.datetime | None:
    event = instance.get_latest_materialization_event(key)
    return dt.datetime.fromtimestamp(event.timestamp, dt.UTC) if event else None


def _fail_window(context: dg.SensorEvaluationContext, key: dg.AssetKey) -> dt.timedelta | None:
    if context.repository_def is None:  # no repository in this context
        return None
    try:
        policy = context.repository_def.asset_graph.get(key).freshness_policy
    except (AttributeError, KeyError):  # an asset it does not have
        return None
    window = getattr(policy, "fail_window", None)
    return window.to_timedelta() if window is not None else None
