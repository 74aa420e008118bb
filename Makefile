# Artisanat 2030 — everyday commands. `make run` and `make test` are the whole set-up.
#
# Overridable from the command line or the environment, e.g.
#   make test PYTEST_ARGS="-k measurement -x"
#   make run PORT=8001

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# make test / test-postgres / test-slow: pytest-xdist workers (one database each); auto = one per core.
TEST_WORKERS ?= auto
# make test leaves out the tests marked slow (make test-slow runs them; CI runs both).
# TEST_MARKERS= (empty) runs everything.
TEST_MARKERS ?= not slow
# make fuzz: examples per operation and role, and pytest-xdist workers.
FUZZ_EXAMPLES ?= 100
FUZZ_WORKERS ?= 2

# The stamp is newer than requirements.txt once its pins are installed, so a second
# `make run` or `make test` does not reinstall anything.
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv run test test-slow test-postgres fuzz lint format bench bench-quick bench-smoke soak soak-quick

help:
	@echo "make venv           create $(VENV) and install requirements.txt (only when it changed)"
	@echo "make run            migrate, load the strategy and demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test           the test suite on SQLite on every core, the slow tests left out (PYTEST_ARGS=... for extra pytest arguments)"
	@echo "make test-slow      the slow tests (backup drills, faults, concurrency) on SQLite; CI runs both"
	@echo "make test-postgres  the whole test suite on a throw-away PostgreSQL 15 server, on every core"
	@echo "make soak           gunicorn on a throw-away PostgreSQL, 32 clients for 5 minutes, then reconciliation"
	@echo "make soak-quick     the same for one minute (CI)"
	@echo "make bench          benchmark on SQLite and PostgreSQL at 10 000 and 1 000 000 measurements (bench/results/)"
	@echo "make bench-quick    the same at 10 000 and 100 000 measurements, 5 s per endpoint (about 10 minutes)"
	@echo "make bench-smoke    CI: 2 000 measurements, 1 s per endpoint, both databases; fails on any error (bench/results/smoke.*)"
	@echo "make clients-tools   the API client generators (.venv-clients) and redocly/tsc (clients/node_modules); make test-slow and test-postgres install them"
	@echo "make fuzz           schemathesis over every API operation x 3 roles, FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) each (SQLite)"
	@echo "make lint           ruff check and ruff format --check"
	@echo "make format         ruff format and ruff check --fix"

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

run: export DJANGO_DEBUG = 1
run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_strategy
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# An empty DATABASE_URL means the SQLite default, whatever the shell exported; an empty
# REDIS_URL keeps the throttles' counts in the test database (never flush a real Redis).
test: export DJANGO_DEBUG = 1
test: export DATABASE_URL =
test: export REDIS_URL =
test: venv
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m "$(TEST_MARKERS)" $(PYTEST_ARGS)

# The tests marked slow (pyproject.toml): servers and processes of their own.
test-slow: export DJANGO_DEBUG = 1
test-slow: export DATABASE_URL =
test-slow: export REDIS_URL =
test-slow: venv
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m slow $(PYTEST_ARGS)

test-postgres: venv
	bash scripts/test-postgres.sh -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

# Soak test (README.md, "Soak test"): report printed and written to soak/results/.
SOAK_CLIENTS ?= 32
soak: venv
	bash scripts/soak.sh 300 $(SOAK_CLIENTS)

soak-quick: venv
	bash scripts/soak.sh 60 $(SOAK_CLIENTS)

# Schemathesis over /api/schema/ (tests/fuzz/fuzz_api.py, not part of `make test`):
# every operation, as administrator, validator and partner reporter, FUZZ_EXAMPLES
# generated examples each plus schemathesis' coverage cases, derandomized; one seeded
# SQLite database per pytest-xdist worker. Prints a summary (operations, examples,
# failures) and fails on any failure.
fuzz: export DJANGO_DEBUG = 1
fuzz: export DATABASE_URL =
fuzz: export ARTISANAT_FUZZ_EXAMPLES = $(FUZZ_EXAMPLES)
fuzz: venv
	$(BIN)/pytest tests/fuzz/fuzz_api.py -n $(FUZZ_WORKERS) --dist worksteal -p no:randomly -q --tb=short $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# README, "Performance": gunicorn in production settings, wrk, bench/results/latest.{md,json}.
bench: venv
	bash bench/bench.sh

bench-quick: venv
	bash bench/bench.sh --quick

# No target judged (a noisy machine): any error, non-2xx answer or exception fails it.
bench-smoke: venv
	bash bench/bench.sh --smoke

# The production topology on this machine (docs/deployment.md): PostgreSQL primary and
# streaming replica, Redis, two gunicorn instances, nginx in front; prints the URL.
.PHONY: cluster cluster-stop soak-cluster soak-cluster-quick
cluster: venv
	bash scripts/cluster.sh start

cluster-stop:
	bash scripts/cluster.sh stop

# A cluster of its own, a soak through its load balancer while one gunicorn is killed,
# the replica stopped and Redis restarted; report in soak/results/cluster-*.md/json.
soak-cluster: venv
	bash scripts/soak_cluster.sh 300 6

# CI: the same with 60 s of load (about 2 minutes with the cluster's start).
soak-cluster-quick: venv
	bash scripts/soak_cluster.sh 60 4

# tests/clients (marked slow): the client generators in .venv-clients (requirements-clients.txt:
# openapi-python-client, openapi-generator-cli with its own Java) and the npm tools in
# clients/node_modules (@redocly/cli, typescript), each installed once (a stamp); the
# test itself downloads nothing. make test-slow and make test-postgres install them.
.PHONY: clients-tools
CLIENTS_VENV ?= .venv-clients
CLIENTS_STAMP := $(CLIENTS_VENV)/.installed
NPM_STAMP := clients/node_modules/.installed

clients-tools: $(CLIENTS_STAMP) $(NPM_STAMP)

$(CLIENTS_STAMP): requirements-clients.txt
	@test -x $(CLIENTS_VENV)/bin/python || $(PYTHON) -m venv $(CLIENTS_VENV)
	$(CLIENTS_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-clients.txt
	@touch $@

$(NPM_STAMP): clients/package.json clients/package-lock.json
	cd clients && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

test-slow: clients-tools
test-postgres: clients-tools
