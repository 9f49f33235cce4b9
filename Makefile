# `make demo` and `make test` each set up .venv themselves on a machine that has only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format schema clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ultiroam-graphql serve --demo

test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check plugin tests examples benchmarks
	$(BIN)/ruff format --check plugin tests examples benchmarks

format: $(STAMP)
	$(BIN)/ruff check --fix plugin tests examples benchmarks
	$(BIN)/ruff format plugin tests examples benchmarks

schema: $(STAMP)
	$(BIN)/ultiroam-graphql schema > schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
