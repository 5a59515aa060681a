# The two commands: `make run` (set up, then materialize the whole graph on the embedded default)
# and `make test` (set up, then the test suite; CI runs it). Everything else is optional; while
# working, `make test-fast` runs the suite without the tests marked slow (processes, daemons, the
# browser, schemathesis), in under 4 minutes. `make lint` (part of `make test`) runs ruff's lint,
# ruff's format check and mypy, configured in pyproject.toml; .pre-commit-config.yaml runs the same
# before each commit (`.venv/bin/pre-commit install`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
export CRAWL4_AI_BASE_DIRECTORY ?= $(CURDIR)/.tileshop/crawl4ai
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup browser redis prometheus run serve lint test test-fast bench ui status db-stop clean deploy-check

setup: $(STAMP)

# torch first and exactly 2.13.0: its CPU wheel is on disk; any other resolution pulls CUDA builds.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/tileshop run

# The shoppers' app (rag_app) on the embedded default database; prints its URL. HOST/PORT override.
HOST ?= 127.0.0.1
PORT ?= 8000
serve: setup
	$(BIN)/python -m rag_app --host $(HOST) --port $(PORT)

# The chat page's browser test and the crawler's browser mode drive Debian's chromium (never a
# downloaded browser).
browser:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

# The shared-state test (several app processes sharing rate limits through REDIS_URL) starts Debian's
# redis-server on a free port.
redis:
	command -v redis-server >/dev/null || (apt-get update && apt-get install -y --no-install-recommends redis-server)

# The metrics test starts Debian's prometheus scraping the app, the crawl service and the daemon, and
# checks deploy/prometheus/alerts.yml with its promtool (the same package).
prometheus:
	command -v prometheus >/dev/null && command -v promtool >/dev/null \
	  || (apt-get update && apt-get install -y --no-install-recommends prometheus)

# `dg check defs` loads the code location as `dg dev` and the webserver do (pyproject's [tool.dg],
# which names workspace.yaml's module: test_definitions checks they agree) on the instance
# dagster.yaml describes: it checks the definitions and the instance's configuration together.
test: setup browser redis prometheus
	$(BIN)/dg check defs
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest

# Lint, format check and type check (pyproject's [tool.ruff] and [tool.mypy] say what and why). The
# formatter's fix is `$(BIN)/ruff format`, the linter's safe fixes `$(BIN)/ruff check --fix`.
lint: setup
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

test-fast: setup browser redis prometheus
	$(BIN)/python -m pytest -m "not slow"

# The Fly deployment rehearsed here with buildah/podman (docs/DEPLOY.md): builds the images, runs
# each Fly process as a container, prints sizes, build and start times, RSS; cleans up. As root.
deploy-check: setup
	command -v buildah >/dev/null && command -v podman >/dev/null && command -v runc >/dev/null \
	  && command -v debootstrap >/dev/null || (apt-get update && apt-get install -y --no-install-recommends buildah podman runc debootstrap)
	$(BIN)/python deploy/rehearse.py $(DEPLOY_CHECK_ARGS)

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

ui: setup
	$(BIN)/tileshop ui

status: setup
	$(BIN)/tileshop status

db-stop:
	$(BIN)/tileshop db stop

clean: db-stop
	rm -rf .tileshop
