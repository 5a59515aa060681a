"""Prometheus' naming conventions (prometheus.io/docs/practices/naming), checked over a registry:
one application prefix, base units named in the plural (`_seconds`, `_bytes`), `_total` on counters
and only there, a point in time as `_timestamp_seconds`, no unit-less ambiguity (`_size`, `_num`,
`_ms`), and no label Fly's scraper overwrites (app, region, host, instance)."""

from __future__ import annotations

from prometheus_client.registry import Collector

PREFIX = "tileshop_"
UNITS = ("_seconds", "_bytes", "_ratio")
# What a unit-less histogram counts, named in the plural (a counted thing, not a unit).
COUNTED = ("_questions",)
AMBIGUOUS = {"ms", "milliseconds", "num", "size", "kb", "mb", "percent", "count"}
FLY_LABELS = {"app", "region", "host", "instance"}  # docs: Fly sets these on every series it scrapes


def naming_problems(registry: Collector) -> list[str]:
    """What breaks the conventions among `registry`'s own metrics (the tileshop_ ones)."""
    problems = []
    for family in registry.collect():
        name = family.name
        if not name.startswith(PREFIX):
            continue  # process_*, python_*: the client library's standard names
        words = set(name.split("_"))
        if words & AMBIGUOUS:
            problems.append(f"{name}: says {sorted(words & AMBIGUOUS)}, not a base unit or what is counted")
        if family.type == "counter":
            if any(not s.name.endswith(("_total", "_created")) for s in family.samples):
                problems.append(f"{name}: a counter's samples end in _total")
        elif name.endswith("_total"):
            problems.append(f"{name}: only counters end in _total ({family.type})")
        if family.type == "histogram" and not name.endswith(UNITS + COUNTED):
            problems.append(f"{name}: a histogram names its unit ({', '.join(UNITS + COUNTED)})")
        if "timestamp" in words and not name.endswith("_timestamp_seconds"):
            problems.append(f"{name}: a point in time is _timestamp_seconds (Unix time)")
        labels = {label for sample in family.samples for label in sample.labels} - {"le"}
        if labels & FLY_LABELS:
            problems.append(f"{name}: label {sorted(labels & FLY_LABELS)} is overwritten by Fly's scraper")
    return problems
