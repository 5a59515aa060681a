"""Alerts for whoever is on call: what failed, in one Slack-compatible message with a link into the
Dagster UI, posted once per incident to TILESHOP_ALERT_WEBHOOK_URL (unset: logged only).

An incident is a subject in trouble, from its first failure until it recovers:
- `run_failure:<job>`: a run of the job failed; closed by the job's next successful run;
- `check_failure:<asset>:<check>`: an asset check failed; closed when it passes again;
- `freshness:<asset>`: the asset missed its freshness window (Dagster's freshness state FAIL);
  closed when it is fresh again (PASS).
While one is open, further failures of the same subject are counted (store.alerts), not posted:
a crawl failing every 30 s during a site outage is one message, not 120 an hour.

Pure logic (messages, keys, which events open or close an incident) with no Dagster import;
the sensors in defs/alerts.py feed it. The store keeps the dedupe memory in Postgres
(alert_incidents), so a daemon restart or a second daemon does not post again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from tileshop_pipelines.store import alerts as alerts_sql

log = logging.getLogger(__name__)

POST_TIMEOUT_S = 10.0
MAX_DETAIL_CHARS = 1500  # Slack shows ~3,000 characters of a message; a stack trace belongs in the UI


@dataclass(frozen=True)
class Alert:
    key: str  # the incident: one post per key while it is open
    kind: str  # run_failure | check_failure | freshness
    title: str
    detail: str
    link: str | None

    @property
    def text(self) -> str:
        """The message: title, detail, and the link in Slack's <url|label> form."""
        lines = [f":rotating_light: {self.title}"]
        if self.detail:
            lines.append(self.detail)
        if self.link:
            lines.append(f"<{self.link}|Open in Dagster>")
        return "\n".join(lines)

    def payload(self) -> dict:
        """Slack-compatible incoming-webhook JSON (Mattermost, Rocket.Chat, Teams' Slack mode read it too)."""
        return {"text": self.text}


def _clip(text: str | None) -> str:
    text = (text or "").strip()
    return text if len(text) <= MAX_DETAIL_CHARS else text[: MAX_DETAIL_CHARS - 1] + "…"


def run_url(ui_url: str, run_id: str) -> str:
    return f"{ui_url.rstrip('/')}/runs/{run_id}"


def asset_url(ui_url: str, asset: str, view: str | None = None) -> str:
    path = "/".join(quote(part, safe="") for part in asset.split("/"))
    return f"{ui_url.rstrip('/')}/assets/{path}" + (f"?view={view}" if view else "")


def run_failure_key(job: str) -> str:
    return f"run_failure:{job}"


def check_key(asset: str, check: str) -> str:
    return f"check_failure:{asset}:{check}"


def freshness_key(asset: str) -> str:
    return f"freshness:{asset}"


def run_failure(job: str, run_id: str, message: str | None, ui_url: str, step_errors: Sequence[str] = ()) -> Alert:
    """`step_errors`: each failed step's "step: error" (the cause; the run's message only names the steps)."""
    detail = "\n".join([message or "", *(f"> {error}" for error in step_errors)])
    return Alert(
        run_failure_key(job),
        "run_failure",
        f"Dagster run of `{job}` failed (run {run_id[:8]})",
        _clip(detail),
        run_url(ui_url, run_id),
    )


def check_failure(
    asset: str,
    check: str,
    *,
    description: str | None,
    severity: str,
    run_id: str | None,
    partition: str | None,
    ui_url: str,
    facts: dict | None = None,
) -> Alert:
    """`facts`: the check's plain metadata values (counts, rates), shown as `name: value`."""
    where = f" (partition {partition})" if partition else ""
    title = f"Asset check `{check}` on `{asset}` failed{where}, severity {severity}"
    link = run_url(ui_url, run_id) if run_id else asset_url(ui_url, asset, "checks")
    shown = ", ".join(f"{name}: {value}" for name, value in (facts or {}).items())
    return Alert(
        check_key(asset, check),
        "check_failure",
        title,
        _clip("\n".join(part for part in (description, shown) if part)),
        link,
    )


def freshness_failure(
    asset: str, *, last_materialized: dt.datetime | None, fail_window: dt.timedelta | None, ui_url: str
) -> Alert:
    window = f" of {_duration(fail_window)}" if fail_window else ""
    if last_materialized is None:
        detail = "It has never been materialized."
    else:
        detail = f"Last materialized {last_materialized.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC."
    return Alert(
        freshness_key(asset),
        "freshness",
        f"`{asset}` missed its freshness window{window}",
        detail,
        asset_url(ui_url, asset),
    )


def _duration(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} h"


def freshness_transition(new_state: str) -> str | None:
    """What a change of Dagster's freshness state means here: FAIL opens the incident, PASS closes
    it; WARN (inside the window still) and UNKNOWN (never materialized) change nothing."""
    return {"FAIL": "open", "PASS": "resolve"}.get(new_state)


class WebhookSender:
    """Posts alerts to a Slack-compatible webhook; with no URL, alerts are only logged."""

    def __init__(self, url: str | None, timeout_s: float = POST_TIMEOUT_S):
        self.url = url or None
        self.timeout_s = timeout_s

    def send(self, alert: Alert) -> str:
        """posted | logged | failed: <reason> (the reason never carries the URL: it is a secret)."""
        if self.url is None:
            return "logged"
        try:
            response = httpx.post(self.url, json=alert.payload(), timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            return f"failed: {type(exc).__name__}"
        if response.status_code >= 300:
            return f"failed: HTTP {response.status_code}"
        return "posted"


def notify(conn, alert: Alert, sender: WebhookSender) -> str | None:
    """Open the alert's incident and post it if it is new, or if its earlier post failed (the
    webhook was down: tried again at the incident's next occurrence). Returns the delivery, or
    None when the incident was already open and told (counted, not posted). Logged at ERROR."""
    new, earlier = alerts_sql.open_incident(conn, alert.key, alert.kind, alert.title, alert.link)
    if not new and not (earlier or "").startswith("failed"):
        log.warning("alert %s still open (not posted again): %s", alert.key, alert.title)
        return None
    delivery = sender.send(alert)
    alerts_sql.record_delivery(conn, alert.key, delivery)
    log.error("alert %s (%s): %s %s", alert.key, delivery, alert.title, alert.link or "")
    return delivery


def resolve(conn, keys: list[str]) -> list[str]:
    """Close the open incidents among `keys`; logged, not posted."""
    closed = alerts_sql.resolve_incidents(conn, keys)
    for key in closed:
        log.info("alert %s resolved", key)
    return closed
