"""Process helpers shared by the commands, the tests and the benchmarks: preparing a process that
uses the database, the sample catalog in a child process, waiting for a child to serve, and running
work that SIGTERM/SIGINT end within a second."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request


def prepare() -> dict[str, str]:
    """What every command that uses the database does first: the environment Dagster and
    crawl4ai read (bootstrap.configure_environment), and the schema brought up to date (idempotent,
    under an advisory lock: cheap when nothing is pending)."""
    from tileshop_pipelines import bootstrap
    from tileshop_pipelines.store import db
    from tileshop_pipelines.store.migrations import migrate

    env = bootstrap.configure_environment(db.database_url())
    with db.connect() as conn:
        migrate(conn)
    return env


def start_catalog_process(port: int, products: int, seed: int, cdn_port: int = 0) -> subprocess.Popen:
    """The sample catalog in its own process (so it doesn't compete with the crawl for the GIL), with
    its documents' CDN stand-in on 127.0.0.2:`cdn_port` (0: a free port)."""
    from tileshop_pipelines.sample_catalog import CDN_HOST

    for host, taken, option in (("127.0.0.1", port, "--catalog-port"), (CDN_HOST, cdn_port, "--cdn-port")):
        with socket.socket() as probe:
            if taken and probe.connect_ex((host, taken)) == 0:
                raise RuntimeError(f"port {taken} on {host} is already in use; pass {option}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tileshop_pipelines.cli",
            "catalog",
            "serve",
            "--port",
            str(port),
            "--products",
            str(products),
            "--seed",
            str(seed),
            "--cdn-port",
            str(cdn_port),
        ],
        stdout=subprocess.DEVNULL,
    )
    return wait_until_serving(proc, f"http://127.0.0.1:{port}/robots.txt", "the sample catalog server", 60)


def wait_until_serving(proc: subprocess.Popen, url: str, what: str, timeout_s: float) -> subprocess.Popen:
    """Wait until `proc` answers `url`; terminate it and raise, naming `what`, if it exits or times out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"{what} did not start within {timeout_s:.0f} s")


def run_until_signalled(work, on_stop=lambda: None):
    """`work()` on a worker thread; SIGTERM or SIGINT end the command within a second.

    In-process Dagster runs only look at captured interrupts between steps, so a step waiting for
    a pool slot or crawling for minutes would not stop. What a stop leaves is resumable: every
    crawl batch is committed with its records or not at all (the connection's open transaction
    rolls back), and the run, still marked started with this process's pid, is recovered by the
    next run (defs/run_recovery.py).
    """
    import signal
    import threading

    outcome: dict = {}

    def target():
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the main thread
            outcome["error"] = exc

    def stop(signum, _frame):
        print(
            f"\ntileshop: {signal.Signals(signum).name}: stopping; the next run resumes where this one stopped",
            file=sys.stderr,
            flush=True,
        )
        on_stop()
        sys.stdout.flush()
        os._exit(128 + signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker = threading.Thread(target=target, name="tileshop-run", daemon=True)
        worker.start()
        while worker.is_alive():
            worker.join(timeout=0.5)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
