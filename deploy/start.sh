#!/usr/bin/env bash
# Container entry point: the Dagster daemon (schedules, sensors, run queue) and the webserver.
# DATABASE_URL is required in production; DAGSTER_PG_URL is derived from it.
set -euo pipefail -m
: "${DATABASE_URL:?DATABASE_URL must be set (Fly Postgres or Supabase connection string)}"
export DAGSTER_PG_URL="${DAGSTER_PG_URL:-$(python -c 'import os; from tileshop_pipelines.store.db import dagster_storage_url; print(dagster_storage_url(os.environ["DATABASE_URL"]))')}"
# Schema changes once per start, before anything else connects (idempotent, advisory-locked).
tileshop db migrate
# LOG_FORMAT=json: Dagster's own lines as JSON too (its keys: timestamp, level, logger, event); the
# runs' lines go through dagster.yaml's python_logs handler (tileshop_pipelines/logs.py).
dagster_log_format=$([ "${LOG_FORMAT:-text}" = json ] && echo json || echo colored)
dagster_log_level=$(echo "${LOG_LEVEL:-info}" | tr '[:upper:]' '[:lower:]')
dagster-daemon run -w workspace.yaml --log-format "$dagster_log_format" --log-level "$dagster_log_level" &
daemon=$!
dagster-webserver -w workspace.yaml -h 0.0.0.0 -p 3000 --log-format "$dagster_log_format" \
  --dagster-log-level "$dagster_log_level" &
web=$!
trap 'kill -TERM $daemon $web; wait' TERM INT
wait -n $daemon $web
