# amp-renderer: every command a user or CI needs. `make demo` and `make test` work on a fresh
# clone with Python 3.11+ and make; each target installs what it needs into .venv first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The official validator test pairs; users may point this at an amphtml checkout.
AMP_VALIDATOR_TESTDATA ?= third_party/amp-spec/tests

.PHONY: help venv demo test unit lint lint-template rules rules-check conformance layer bench clean

help:
	@echo "make demo         set up, start the embedded backend, publish events/articles/*.json"
	@echo "make test         the whole suite (unit, integration, template lint, rules check, conformance)"
	@echo "make conformance  run the validator over the official AMP test pairs"
	@echo "make rules        regenerate src/amp_renderer/amp/rules data from third_party/amp-spec"
	@echo "make layer        build the Lambda dependency layer for python3.12 / x86_64 into build/layer"
	@echo "make bench        benchmarks (not part of make test)"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/amp-render demo

test: $(STAMP) lint rules-check lint-template
	$(PY) -m pytest -n auto -q

unit: $(STAMP)
	$(PY) -m pytest -q -x

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests tools

clean:
	rm -rf build .pytest_cache .hypothesis .aws-sam
