"""Runs that died do not block the next one.

A run killed outright (`kill -9`, an OOM kill, a machine stopped mid-run) stays STARTED in
Dagster's storage and keeps its slot in the `crawl` pool, so the next crawl step waits for a slot
that is never released. Two mechanisms clear it:

- In-process runs (`tileshop run`, local_runs.py) carry the host and pid of the process running
  them; when the next one starts, and every few seconds while it runs (a run that lost Postgres
  lives on for half a minute of retries), runs whose process is gone are marked failed and every
  pool slot held by a run that is not in progress is freed.
- Daemon-launched runs carry `dagster/max_runtime` (every job's, defs/policy.py; dagster.yaml's
  default for the rest): run monitoring fails a run past it, and frees the slots of ended runs
  (`free_slots_after_run_end_seconds` in dagster.yaml). A deployment's daemon (`tileshop daemon`,
  exactly one) runs every run worker on its own machine, so when it starts, no run worker it
  launched can still be alive: its started runs are failed at once (`fail_orphaned_daemon_runs`)
  instead of holding the pool for an hour. Run retries (dagster.yaml) launch the failed sitemap and
  index runs again; the crawl sensor asks for the failed crawl runs' products again.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import dagster as dg

# A run that has started and not finished, as Dagster counts one (its IN_PROGRESS_RUN_STATUSES, a
# private module's; spelled here in the public enum, and checked against it by the tests).
IN_PROGRESS_STATUSES = (
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
    dg.DagsterRunStatus.SUSPENDED,
)
HOST_TAG = "tileshop/host"
PID_TAG = "tileshop/pid"
# Set on a run failed because the daemon's machine restarted under it: the crawl sensor asks for its
# products again at once instead of waiting out their in-flight hour.
ORPHANED_TAG = "tileshop/orphaned"


def process_tags() -> dict[str, str]:
    """Tags naming the process that runs an in-process run."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def process_gone(tags: Mapping[str, str], host: str, alive=pid_alive) -> bool:
    """True only when the run names a process of this host that no longer exists; a run of
    another host, or without the tags (daemon-launched), is never judged from here."""
    if tags.get(HOST_TAG) != host or not (tags.get(PID_TAG) or "").isdigit():
        return False
    pid = int(tags[PID_TAG])
    return pid != os.getpid() and not alive(pid)


def recover_dead_runs(instance: dg.DagsterInstance) -> dict[str, list[str]]:
    """Mark in-process runs whose process died as failed; free pool slots of runs not in progress."""
    host = socket.gethostname()
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=list(IN_PROGRESS_STATUSES))):
        if process_gone(run.tags, host):
            instance.report_run_failed(
                run,
                message=f"its process ({run.tags[PID_TAG]} on {host}) is gone; "
                "marked failed so that its pool slot is freed",
            )
            failed.append(run.run_id)
    storage = instance.event_log_storage
    freed = []
    for run_id in sorted(storage.get_concurrency_run_ids()):
        holder = instance.get_run_by_id(run_id)
        if holder is None or holder.status not in IN_PROGRESS_STATUSES:
            storage.free_concurrency_slots_for_run(run_id)
            freed.append(run_id)
    return {"failed": failed, "slots_freed": freed}


ORPHAN_STATUSES = (dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING)


def fail_orphaned_daemon_runs(instance: dg.DagsterInstance) -> list[str]:
    """At a deployment daemon's start: mark its runs (daemon-launched: no host/pid tags) that are
    still starting, started or canceling as failed, then free pool slots. Queued runs stay queued."""
    failed = []
    for run in instance.get_runs(dg.RunsFilter(statuses=list(ORPHAN_STATUSES))):
        if HOST_TAG not in run.tags:
            instance.add_run_tags(run.run_id, {ORPHANED_TAG: "daemon-restart"})
            instance.report_run_failed(
                run,
                message="the daemon's machine restarted and its run workers with it; "
                "marked failed so that its work is launched again",
            )
            failed.append(run.run_id)
    recover_dead_runs(instance)
    return failed
