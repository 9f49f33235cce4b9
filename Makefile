# `make demo` and `make test` each set up .venv themselves on a machine that has only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format schema clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ultiroam-graphql serve --demo

test: $(STAMP) lint chromium
	$(BIN)/pytest

# tests/test_browser.py drives Debian's chromium: installed here when missing and possible
# (root and apt-get); otherwise one line says why, and those tests skip.
chromium:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "chromium: missing, and installing it needs root and apt-get; browser tests will skip"; \
	else \
		apt_install="apt-get install -y -qq --no-install-recommends chromium"; \
		$$apt_install >/dev/null 2>&1 || { apt-get update -qq && $$apt_install >/dev/null; } \
			|| echo "chromium: apt-get could not install it; browser tests will skip"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check plugin tests examples benchmarks scripts
	$(BIN)/ruff format --check plugin tests examples benchmarks scripts

format: $(STAMP)
	$(BIN)/ruff check --fix plugin tests examples benchmarks scripts
	$(BIN)/ruff format plugin tests examples benchmarks scripts

schema: $(STAMP)
	$(BIN)/ultiroam-graphql schema > schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
