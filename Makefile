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

# The stamp is newer than requirements.txt once its pins are installed, so a second
# `make run` or `make test` does not reinstall anything.
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv run test test-postgres lint format

help:
	@echo "make venv           create $(VENV) and install requirements.txt (only when it changed)"
	@echo "make run            migrate, load the strategy and demo data, serve on http://$(HOST):$(PORT)/"
	@echo "make test           the whole test suite on SQLite (PYTEST_ARGS=... for extra pytest arguments)"
	@echo "make test-postgres  the whole test suite on a throw-away PostgreSQL 15 server"
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

# An empty DATABASE_URL means the SQLite default, whatever the shell exported.
test: export DJANGO_DEBUG = 1
test: export DATABASE_URL =
test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: venv
	bash scripts/test-postgres.sh $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
