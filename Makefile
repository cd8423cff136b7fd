# Beeldportaal: `make run` sets up and serves everything; `make test` sets up and runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck importlint unit bench clean services-up services-down

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/beeldportaal init
	$(BIN)/beeldportaal serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy beeldportaal profiles xds_common xds_registry xds_repository imaging_source fhir_facade conformance tests bench

importlint: $(STAMP)
	$(BIN)/lint-imports

# The test services (PostgreSQL 15) are installed and started by scripts/services.sh and
# stopped again when the tests end, whatever their outcome.
test: $(STAMP) lint typecheck importlint
	set -o pipefail; scripts/services.sh up; \
	trap 'scripts/services.sh down' EXIT; \
	source .test-services/services.env; \
	$(BIN)/python -m pytest -n 2 --dist loadfile

# Benchmarks print their figures and write bench/out/*.json (targets in each docstring).
bench: $(STAMP)
	scripts/services.sh up; trap 'scripts/services.sh down' EXIT; \
	source .test-services/services.env; \
	$(BIN)/python bench/registry.py && $(BIN)/python bench/repository.py \
	&& $(BIN)/python bench/imaging.py && $(BIN)/python bench/fhir.py --keep var/bench-keep

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
