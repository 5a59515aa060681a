"""`tileshop daemon`'s liveness rule (daemon.daemons_live) is `dagster-daemon liveness-check`'s,
read through the instance's methods instead of Dagster's private function: the two agree on every
heartbeat state. The endpoint itself: deploy/test_processes.py."""

from __future__ import annotations

import dagster as dg
import pytest

from tileshop_pipelines.daemon import HEARTBEAT_INTERVAL_S, HEARTBEAT_TOLERANCE_S, daemons_live


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
        assert ours == all_daemons_live(instance, curr_time_seconds=now,
                                        heartbeat_tolerance_seconds=HEARTBEAT_TOLERANCE_S), now
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
