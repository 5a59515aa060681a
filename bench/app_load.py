"""The load generator of the app benches (load_rag.py, monitoring_overhead.py): the app in its own
process (`python -m rag_app`), open-loop simulated users, the saturation steps, the app's own
counters from its /metrics listener, and latency summaries.

Open loop: each simulated user sends a request after an exponential pause, whether or not earlier
answers came back, so a slow server meets the same arrival rate (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request

from tileshop_pipelines.processes import wait_until_serving

FIRST_WINDOW_S = 10.0  # the seconds right after the app starts serving, reported on their own


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summarize_ms(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p95_ms": round(percentile(values, 95), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "mean_ms": round(statistics.fmean(values), 2) if values else None,
    }


# --- the app under load ---------------------------------------------------------------------
def start_app(
    url: str,
    port: int,
    max_in_flight: int | None = None,
    analytics: bool = True,
    log_to: str | None = None,
    metrics_port: int = 0,
) -> subprocess.Popen:
    """The app as deployed, but for rate limits (every simulated user shares one address) and,
    when given, the admission limit (a very high one measures the app without shedding);
    `analytics` False: no monitoring rollups or search analytics written (TILESHOP_ANALYTICS=off);
    `log_to`: a file for its log lines as the image writes them (LOG_FORMAT=json at INFO: one access
    line per request), else warnings only; `metrics_port`: its /metrics listener's (0: none)."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TILESHOP_RATE_LIMIT_PER_MINUTE": "1000000",
        "TILESHOP_RATE_LIMIT_BURST": "1000000",
        "ANTHROPIC_API_KEY": "",
        "TILESHOP_ANALYTICS": "on" if analytics else "off",
        "LOG_FORMAT": "json",
        "METRICS_PORT": str(metrics_port),
    }
    if max_in_flight is not None:
        env["TILESHOP_MAX_IN_FLIGHT_SEARCHES"] = str(max_in_flight)
    stderr = open(log_to, "ab") if log_to else None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rag_app", "--port", str(port), "--log-level", "info" if log_to else "warning"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    finally:
        if stderr is not None:
            stderr.close()
    return wait_until_serving(proc, f"http://127.0.0.1:{port}/api/system/health", "the app", 120)


async def open_loop(
    base: str, endpoint: str, payloads: list, rate: float, duration_s: float, users: int, seed: int
) -> dict:
    """`users` simulated users with exponential think times (mean users/rate s) for `duration_s`.

    The client is aiohttp: it shares the two cores with the app, and costs a fraction of httpx's
    CPU per request, so less of the measurement is the load generator itself."""
    import aiohttp

    rng = random.Random(seed)
    latencies: list[float] = []
    first_window: list[float] = []  # answers to requests sent in the first FIRST_WINDOW_S
    errors: dict[str, int] = {}
    pending: set[asyncio.Task] = set()
    mean_pause = users / rate
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(
        base_url=base, timeout=timeout, connector=aiohttp.TCPConnector(limit=1000)
    ) as client:

        async def one(payload) -> None:
            t = time.perf_counter()
            try:
                if endpoint == "/api/chat":
                    request = client.post(endpoint, json={"query": payload})
                else:
                    request = client.get(endpoint, params={k: str(v) for k, v in payload.items()})
                async with request as response:
                    await response.read()
                    if response.status != 200:
                        errors[str(response.status)] = errors.get(str(response.status), 0) + 1
                        return
            except (TimeoutError, aiohttp.ClientError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                return
            latencies.append(1000 * (time.perf_counter() - t))
            if t - started < FIRST_WINDOW_S:
                first_window.append(latencies[-1])

        async def user(index: int) -> None:
            end = started + duration_s
            await asyncio.sleep(rng.uniform(0, mean_pause))
            while time.perf_counter() < end:
                task = asyncio.create_task(one(rng.choice(payloads)))
                pending.add(task)
                task.add_done_callback(pending.discard)
                await asyncio.sleep(rng.expovariate(1 / mean_pause))

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))  # every send falls inside duration_s
        if pending:
            await asyncio.gather(*pending)
    sent = len(latencies) + sum(errors.values())
    return {
        "endpoint": endpoint,
        "target_rate": rate,
        "users": users,
        "duration_s": duration_s,
        "sent": sent,
        "achieved_rate": round(sent / duration_s, 1),
        "ok": len(latencies),
        "errors": errors,
        "error_rate": round(sum(errors.values()) / sent, 4) if sent else None,
        **summarize_ms(latencies),
        "first_10s": summarize_ms(first_window),
    }


def app_counters(metrics_url: str) -> dict:
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    wanted = (
        "tileshop_query_embedding_duration_seconds_sum",
        "tileshop_query_embedding_duration_seconds_count",
        "tileshop_retrieval_duration_seconds_sum",
        "tileshop_retrieval_duration_seconds_count",
    )
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines() if line.split(" ")[0] in wanted}


def saturation(base: str, endpoint: str, payloads: list, start_rate: float, step_s: float, seed: int) -> dict:
    """Raise the arrival rate by half each step until p95 passes 500 ms (or errors pass 1%)."""
    steps = []
    rate = start_rate
    while rate <= 2000:
        row = asyncio.run(open_loop(base, endpoint, payloads, rate, step_s, users=max(50, int(rate * 2)), seed=seed))
        steps.append({k: row[k] for k in ("target_rate", "achieved_rate", "p50_ms", "p95_ms", "error_rate", "errors")})
        print(f"  {endpoint} at {rate:.0f}/s: p95 {row['p95_ms']} ms, errors {row['error_rate']}", flush=True)
        if row["p95_ms"] > 500 or (row["error_rate"] or 0) > 0.01:
            return {
                "saturation_rate": rate,
                "last_good_rate": steps[-2]["target_rate"] if len(steps) > 1 else None,
                "steps": steps,
            }
        rate *= 1.5
    return {"saturation_rate": None, "steps": steps}
