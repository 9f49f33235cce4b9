# `make demo` and `make test` each set up .venv themselves on a machine that has only Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint format schema clean tools

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ultiroam-graphql serve --demo

test: $(STAMP) lint tools
	$(BIN)/pytest

# Debian packages some tests drive: chromium (tests/test_browser.py) and wrk (the benchmarks'
# smoke test). Installed here when missing and possible (root and apt-get); otherwise one line
# says why, and those tests skip (or fail under REQUIRE_SERVICES=1, as in CI).
tools:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "tools:$$missing missing, and installing needs root and apt-get; their tests skip"; \
	else \
		apt_install="apt-get install -y -qq --no-install-recommends$$missing"; \
		$$apt_install >/dev/null 2>&1 || { apt-get update -qq && $$apt_install >/dev/null; } \
			|| echo "tools: apt-get could not install$$missing; their tests skip"; \
	fi

# Every performance target against its baseline, in the same run (about ten minutes).
bench: $(STAMP) tools
	$(BIN)/python benchmarks/run_all.py

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
