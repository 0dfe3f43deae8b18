# The commands people type. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: help install translations migrate demo run worker test test-postgres test-fast browsers lint format bench reliability reliability-short lock clean

help:
	@echo "make run            install, migrate, fill demo data if empty, serve on http://$(HOST):$(PORT)"
	@echo "make test           the whole suite on SQLite (browser tests included)"
	@echo "make test-postgres  the whole suite on PostgreSQL ($(PG_TEST_URL))"
	@echo "make worker         a background worker (needs REDIS_URL)"
	@echo "make reliability    load, fault, fuzz and access tests at full scale; figures to docs/reliability.md"
	@echo "make lint / format / bench / demo / lock"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

translations: install
	@$(BIN)/pybabel compile --use-fuzzy -d app/translations -f --statistics 2>&1 | tail -n 1

migrate: translations
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo

run: migrate
	$(BIN)/flask demo --if-empty
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

worker: migrate
	$(BIN)/flask worker

browsers:
	@bash tools/install_debian_tool.sh /usr/bin/chromium chromium fonts-dejavu-core

test: translations browsers
	$(BIN)/python -m pytest -n 2 --dist loadfile --ignore=tests/reliability

test-postgres: translations browsers
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -n 2 --dist loadfile --ignore=tests/reliability

test-fast: translations
	$(BIN)/python -m pytest -m "not browser" -x -q --ignore=tests/reliability

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: migrate
	@bash tools/install_debian_tool.sh wrk wrk
	$(BIN)/python bench/run_all.py

# Load and fault tests (tests/reliability) plus the hostile-input and access tests, on
# PostgreSQL at full scale; the figures they record become docs/reliability.md's tables.
RELIABILITY_DIR ?= build/reliability
HARDENING_TESTS ?= tests/reliability tests/access tests/test_api_fuzz.py \
	tests/test_api_fuzz_findings.py tests/test_api_hostile_bodies.py tests/test_api_naughty.py \
	tests/test_forms_naughty.py tests/browser/test_naughty_rendering.py

reliability: translations browsers
	rm -rf $(RELIABILITY_DIR)
	RELIABILITY_SCALE=full RELIABILITY_RECORD_DIR=$(RELIABILITY_DIR) TEST_DATABASE_URL=$(PG_TEST_URL) \
		$(BIN)/python -m pytest -q $(HARDENING_TESTS)
	$(BIN)/python tools/reliability_report.py $(RELIABILITY_DIR) --write docs/reliability.md

# The short form `.ci/run` uses: the load and fault tests with small loads (the hostile-input
# and access tests already run in `make test`).
reliability-short: translations
	RELIABILITY_SCALE=short TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q tests/reliability

lock: $(BIN)/activate
	$(BIN)/pip install --quiet --dry-run --ignore-installed --report /tmp/req.json -r requirements.in
	$(BIN)/python tools/pin_requirements.py /tmp/req.json "# Pinned runtime dependencies, resolved from requirements.in by \`make lock\`." > requirements.txt
	$(BIN)/pip install --quiet --dry-run --ignore-installed --report /tmp/req-dev.json -r requirements-dev.in
	$(BIN)/python tools/pin_requirements.py /tmp/req-dev.json "# Pinned test and lint tools, resolved from requirements-dev.in by \`make lock\`." requirements.txt > requirements-dev.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
