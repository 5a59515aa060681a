"""`tileshop daemon`: its liveness rule (daemon.daemons_live) is `dagster-daemon liveness-check`'s,
read through the instance's methods instead of Dagster's private function (the two agree on every
heartbeat state); and with a real dagster-daemon, it is healthy while its daemons heartbeat and
exits (code 1, so Fly's restart policy restarts the machine) once they stop: the dagster-daemon
process is frozen with SIGSTOP, alive but silent, as a hung daemon is. The endpoint itself:
deploy/test_processes.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.daemon import (
    EXIT_STALE,
    HEARTBEAT_INTERVAL_S,
    HEARTBEAT_TOLERANCE_S,
    STOP_TIMEOUT_S,
    WATCHDOG_INTERVAL_S,
    daemons_live,
)

from .support.ports import free_port

TOLERANCE_S = 5


def _health(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the field after the state: the parent's pid
            found.append(int(stat.parent.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@pytest.mark.slow
def test_tileshop_daemon_exits_when_its_daemons_stop_heartbeating(make_database, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(bootstrap.PROJECT_ROOT),
        "DATABASE_URL": make_database(),
        "DATA_PATH": str(tmp_path),
        "DAGSTER_HOME": "",
        "DAGSTER_PG_URL": "",
        "TILESHOP_AUTOMATION": "off",
        "DAGSTER_DAEMON_HEARTBEAT_TOLERANCE": str(TOLERANCE_S),
    }
    log = tmp_path / "daemon.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tileshop_pipelines.cli",
                "daemon",
                "--health-host",
                "::",
                "--health-port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=bootstrap.PROJECT_ROOT,
        )
    try:
        deadline = time.monotonic() + 240
        while _health(port) != 200:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the daemons never heartbeat"
            time.sleep(1)
        daemon = [pid for pid in _children(proc.pid) if "dagster-daemon" in _cmdline(pid)]
        assert len(daemon) == 1, [_cmdline(pid) for pid in _children(proc.pid)]
        os.kill(daemon[0], signal.SIGSTOP)
        frozen_at = time.monotonic()
        # Stale at most interval + tolerance after the last heartbeat, seen within a watchdog
        # interval (or at the end of the start-up grace), then SIGTERM, ignored, and SIGKILL.
        limit = 2 * HEARTBEAT_INTERVAL_S + TOLERANCE_S + WATCHDOG_INTERVAL_S + STOP_TIMEOUT_S + 60
        code = proc.wait(timeout=limit)
        took = time.monotonic() - frozen_at
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = log.read_text()
    assert code == EXIT_STALE, output[-3000:]
    assert "the Dagster daemons have stopped heartbeating" in output
    assert took >= STOP_TIMEOUT_S  # the frozen process ignored SIGTERM and was killed
    assert not os.path.exists(f"/proc/{daemon[0]}") or "Z" in Path(f"/proc/{daemon[0]}/stat").read_text().split()[2]


@pytest.fixture
def instance(tmp_path):
    """A persistent (not ephemeral) instance: it requires daemons (sensor, backfill, scheduler, ...)."""
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert instance.get_required_daemon_types()
        yield instance


def test_live_means_every_required_daemon_heartbeated_within_the_tolerance(instance):
    from dagster._daemon.controller import all_daemons_live
    from dagster._daemon.types import DaemonHeartbeat

    def agree(now: float) -> bool:
        ours = daemons_live(instance, now=now)
        assert ours == all_daemons_live(
            instance, curr_time_seconds=now, heartbeat_tolerance_seconds=HEARTBEAT_TOLERANCE_S
        ), now
        return ours

    now = 1_000_000.0
    assert not agree(now)  # no heartbeat yet
    required = instance.get_required_daemon_types()
    for kind in required:
        instance.add_daemon_heartbeat(DaemonHeartbeat(now, kind, None, None))
    assert agree(now)
    assert agree(now + HEARTBEAT_INTERVAL_S + HEARTBEAT_TOLERANCE_S)  # the last second it counts
    assert not agree(now + HEARTBEAT_INTERVAL_S + HEARTBEAT_TOLERANCE_S + 1)
    # One daemon stopped heartbeating while the others go on: not live.
    later = now + 1000
    for kind in required[1:]:
        instance.add_daemon_heartbeat(DaemonHeartbeat(later, kind, None, None))
    assert not agree(later)
    instance.add_daemon_heartbeat(DaemonHeartbeat(later, required[0], None, None))
    assert agree(later)
