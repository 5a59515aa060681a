"""A dead run's slot in the `crawl` pool is recovered without a daemon."""

import os
import subprocess
import sys

import dagster as dg

from tileshop_pipelines.defs.run_recovery import HOST_TAG, PID_TAG, process_gone, recover_dead_runs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_a_process_of_this_host_that_is_gone_counts_as_dead():
    dead = str(_dead_pid())
    assert process_gone({HOST_TAG: "h", PID_TAG: dead}, "h")
    assert not process_gone({HOST_TAG: "h", PID_TAG: str(os.getpid())}, "h")  # this process
    assert not process_gone({HOST_TAG: "other", PID_TAG: dead}, "h")  # cannot be judged from here
    assert not process_gone({}, "h") and not process_gone({HOST_TAG: "h", PID_TAG: "x"}, "h")


def test_a_killed_runs_slot_is_freed_and_the_run_marked_failed():
    import socket

    instance = dg.DagsterInstance.ephemeral()
    instance.event_log_storage.set_concurrency_slots("crawl", 1)

    @dg.op(pool="crawl")
    def crawl_step():
        return None

    @dg.job
    def job():
        crawl_step()

    alive_run = instance.create_run_for_job(job, tags={HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())})
    dead_run = instance.create_run_for_job(job, tags={HOST_TAG: socket.gethostname(), PID_TAG: str(_dead_pid())})
    for run in (alive_run, dead_run):
        instance.handle_run_event(run.run_id, dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_START.value, job_name=run.job_name))
    storage = instance.event_log_storage
    claim = storage.claim_concurrency_slot("crawl", dead_run.run_id, "crawl_step")
    assert claim.is_claimed
    assert not storage.claim_concurrency_slot("crawl", "next-run", "crawl_step").is_claimed  # blocked

    recovered = recover_dead_runs(instance)
    assert recovered == {"failed": [dead_run.run_id], "slots_freed": sorted([dead_run.run_id, "next-run"])}
    assert instance.get_run_by_id(dead_run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert instance.get_run_by_id(alive_run.run_id).status == dg.DagsterRunStatus.STARTED
    assert storage.claim_concurrency_slot("crawl", "next-run", "crawl_step").is_claimed
