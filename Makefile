# Terrain: `make run` sets everything up and runs the demo; `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# With no DATABASE_URL / REDIS_URL in the environment, use (and if needed install
# and start) a local PostgreSQL+PostGIS and Redis. Set them to use your own servers.
ifeq ($(origin DATABASE_URL),undefined)
export LOCAL_DB := 1
DATABASE_URL := postgres://terrain:terrain@localhost:5432/terrain
endif
ifeq ($(origin REDIS_URL),undefined)
export LOCAL_REDIS := 1
REDIS_URL := redis://127.0.0.1:6379/0
endif
export DATABASE_URL REDIS_URL
HOST ?= 127.0.0.1
PORT ?= 8000
export PLATFORM_PORT := $(PORT)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .make

.PHONY: help setup run test verify lint format bench migrate seed system clean

help:
	@echo "make run    set up and run Terrain with a demo campaign at http://demo.localhost:$(PORT)/"
	@echo "make test   set up and run every test (ruff, pytest with PostgreSQL, Redis, Celery, Chromium)"
	@echo "make bench  run the benchmarks in bench/"
	@echo "make verify run the hardening checks (isolation, permissions, fuzzing, bad inputs, faults, load)"

$(STAMPS):
	@mkdir -p $(STAMPS)

system: | $(STAMPS)
	@scripts/ensure-system.sh $(SYSTEM_FLAGS)

$(STAMPS)/venv: requirements/base.txt requirements/dev.txt requirements/prod.txt | $(STAMPS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements/dev.txt
	@touch $@

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

migrate: system $(STAMPS)/venv
	$(PY) scripts/ensure_database.py
	$(PY) manage.py migrate_schemas --noinput -v 0
	$(PY) manage.py setup_platform

setup: migrate node_modules/.stamp
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
	$(PY) manage.py collectstatic --noinput -v 0

seed: setup
	$(PY) manage.py seed_demo

run: seed
	@echo
	@echo "  Platform:      http://localhost:$(PORT)/"
	@echo "  Demo campaign: http://demo.localhost:$(PORT)/   (logins printed above)"
	@echo "  API docs:      http://demo.localhost:$(PORT)/api/docs/"
	@echo "  Ctrl-C stops the web server, the Celery worker and celery beat."
	@echo
	HOST=$(HOST) PORT=$(PORT) $(VENV)/bin/honcho start -f Procfile

test: SYSTEM_FLAGS := --browser
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The hardening checks of tests/verify, the slow ones included (load, faults, chaos,
# fuzzing); the cheap ones also run in `make test`. Ends with one line per check:
# VERIFY <name> tried=<N> failed=<N>.
verify: SYSTEM_FLAGS := --browser
verify: setup
	$(VENV)/bin/pytest tests/verify --verify -q $(PYTEST_ARGS)

lint: $(STAMPS)/venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMPS)/venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	@set -e; for script in bench/bench_*.py; do $(PY) $$script; done

clean:
	rm -rf $(STAMPS) staticfiles
