"""SQL for alert_incidents (migration 015): the dedupe memory of the alerts (one post per incident)."""

from __future__ import annotations

import psycopg

from tileshop_pipelines.store import db


def open_incident(
    conn: psycopg.Connection, key: str, kind: str, summary: str, link: str | None
) -> tuple[bool, str | None]:
    """Open the incident `key`, or count one more occurrence of it if it is open already.
    Returns (new, delivery so far): new, post it; open, its earlier delivery (posted, logged,
    failed: ...)."""
    new, delivery = db.one(
        conn.execute(
            """
        INSERT INTO alert_incidents AS a (incident_key, kind, summary, link) VALUES (%s, %s, %s, %s)
        ON CONFLICT (incident_key) WHERE resolved_at IS NULL
        DO UPDATE SET occurrences = a.occurrences + 1, last_seen_at = now()
        RETURNING occurrences = 1, delivery
        """,
            (key, kind, summary, link),
        )
    )
    return bool(new), delivery


def record_delivery(conn: psycopg.Connection, key: str, delivery: str) -> None:
    """How the open incident's alert went: posted, logged (no webhook), failed: <reason>."""
    conn.execute(
        "UPDATE alert_incidents SET delivery = %s, notified_at = CASE WHEN %s = 'posted' THEN now() END "
        "WHERE incident_key = %s AND resolved_at IS NULL",
        (delivery, delivery, key),
    )


def resolve_incidents(conn: psycopg.Connection, keys: list[str]) -> list[str]:
    """Close the open incidents among `keys` (their subject recovered); returns those closed."""
    if not keys:
        return []
    return [
        row[0]
        for row in conn.execute(
            "UPDATE alert_incidents SET resolved_at = now() WHERE incident_key = ANY(%s) AND resolved_at IS NULL "
            "RETURNING incident_key",
            (keys,),
        )
    ]


def open_incidents(conn: psycopg.Connection) -> list[dict]:
    """The open incidents, newest first."""
    cur = conn.execute(
        "SELECT incident_key, kind, summary, link, opened_at, last_seen_at, occurrences, delivery "
        "FROM alert_incidents WHERE resolved_at IS NULL ORDER BY opened_at DESC, id DESC"
    )
    names = [c.name for c in cur.description or ()]  # (a SELECT's: never None)
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
