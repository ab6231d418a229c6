# Two commands set up a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help install run test lint fmt typecheck unit integration multiprocess e2e browser services clean

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the app with its dev tools

run: $(STAMP) ## Serve on http://127.0.0.1:8000 (SQLite, keys under var/, the dev mailbox at /_dev/mail)
	APP_COOKIE_SECURE=$${APP_COOKIE_SECURE:-false} APP_DEV_MAILBOX=$${APP_DEV_MAILBOX:-1} \
	  $(BIN)/python -m app serve --host $(HOST) --port $(PORT)

# The multi-process and e2e suites mostly wait on their own servers and browser: they run
# in two lanes side by side, each printing its output when it ends. e2e is the shorter, so
# its lane then takes the multi-process files that start the most servers of their own.
MP_SECOND := tests/multiprocess/test_startup_on_an_empty_database.py \
  tests/multiprocess/test_serve_switches.py tests/multiprocess/test_serve.py

# lint (one core for ~15 s) runs beside the integration suite.
test: unit ## Everything CI runs: lint, types, unit, integration, multi-process, e2e
	@$(MAKE) --no-print-directory -j2 --output-sync=target lint integration
	@$(MAKE) --no-print-directory -j2 --output-sync=target multiprocess-lane e2e-lane

.PHONY: multiprocess-lane e2e-lane
multiprocess-lane: $(STAMP) services
	$(BIN)/pytest tests/multiprocess -q $(MP_SECOND:%=--ignore=%)

e2e-lane: browser services
	$(BIN)/pytest e2e -q
	$(BIN)/pytest $(MP_SECOND) -q

lint: $(STAMP) ## ruff format --check, ruff check, mypy --strict on app/
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: $(STAMP) ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP) ## Unit tests (pure functions)
	$(BIN)/pytest tests/unit -q

# Each test builds an app on a fresh database: one pytest-xdist worker per core (each
# starts its own PostgreSQL and Redis); an idle worker takes tests queued for the other.
integration: $(STAMP) services ## Integration tests on SQLite, PostgreSQL and PostgreSQL + Redis
	$(BIN)/pytest tests/integration -q -n auto --maxprocesses 4 --dist worksteal

multiprocess: $(STAMP) services ## Real deployments of 2 workers (and 2 hosts) on each backend
	$(BIN)/pytest tests/multiprocess -q

# The tests start private PostgreSQL and Redis servers themselves (free ports, a temporary
# directory); this only makes sure Debian's binaries are there, unless TEST_DATABASE_URL /
# TEST_REDIS_URL name servers to use instead.
services: ## Make sure PostgreSQL, Redis and nginx can be started by the tests (Debian packages)
	@missing=""; \
	if [ -z "$$TEST_DATABASE_URL" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  && ! command -v initdb >/dev/null; then missing="$$missing postgresql"; fi; \
	if [ -z "$$TEST_REDIS_URL" ] && ! command -v redis-server >/dev/null; then \
	  missing="$$missing redis-server"; fi; \
	if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
	  missing="$$missing nginx-light"; fi; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  $$SUDO systemctl disable --now postgresql redis-server nginx >/dev/null 2>&1 || true; \
	fi

browser: $(STAMP) ## Make sure a Chromium exists for Playwright
	@if [ -n "$$PLAYWRIGHT_CHROMIUM_EXECUTABLE" ] || [ -x /usr/bin/chromium ]; then \
	  echo "chromium: $${PLAYWRIGHT_CHROMIUM_EXECUTABLE:-/usr/bin/chromium}"; \
	else $(BIN)/playwright install chromium; fi

e2e: browser services ## Playwright suite against real server processes (its own pytest run)
	$(BIN)/pytest e2e -q

clean: ## Remove the venv, caches and var/
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

.PHONY: bench bench-quick

BENCH_DEPS := $(BIN)/python -c 'import jwt, asyncpg, redis, psycopg' 2>/dev/null \
  || $(BIN)/pip install --quiet -e '.[bench]'

# The stacks people pick instead (Django + django-allauth, FastAPI + fastapi-users) run
# from a venv of their own, never the app's: bench/stacks/requirements.txt, pinned.
BENCH_VENV := var/bench-venv
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): bench/stacks/requirements.txt
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet -r bench/stacks/requirements.txt
	touch $(BENCH_STAMP)

bench: $(STAMP) $(BENCH_STAMP) services ## The page against a bare Litestar page, peers, stacks, backends, scale (~22 min): docs/benchmarks.md
	@$(BENCH_DEPS)
	$(BIN)/python -m bench

bench-quick: $(STAMP) $(BENCH_STAMP) services ## A ~5 minute subset of make bench, written to var/bench/
	@$(BENCH_DEPS)
	$(BIN)/python -m bench --quick
