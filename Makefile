# amp-publisher: every command a user or CI needs. `make demo` and `make test` work on a fresh
# clone with Python 3.11+ and make; each target installs what it needs into .venv first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# The official validator test pairs; users may point this at an amphtml checkout.
AMP_VALIDATOR_TESTDATA ?= third_party/amp-spec/tests

.PHONY: help venv demo test chaos messages sam-local unit lint lint-template checkov rules rules-check conformance layer function bench clean sam screenshots runtime-css

help:
	@echo "make demo         set up, start the embedded backend, publish events/articles/*.json"
	@echo "                  (PAGE_MODE=paired make demo: canonical HTML pages plus AMP pages at <slug>/amp/)"
	@echo "make test         the whole suite (unit, integration, template lint, rules check, conformance)"
	@echo "make conformance  run the validator over the official AMP test pairs"
	@echo "make rules        regenerate src/amp_publisher/core/amp/rules data from third_party/amp-spec"
	@echo "make runtime-css  refresh the AMP runtime CSS transformed pages inline (AMP_RUNTIME_BUILD=DIR: from a build)"
	@echo "make layer        build the Lambda dependency layer for python3.12 / x86_64 into build/layer"
	@echo "make function     build the function code as sam build does (bytecode for python3.12) into build/function"
	@echo "make bench        benchmarks (not part of make test)"
	@echo "make chaos        the chaos tests at full size (1,000 operations; not part of make test)"
	@echo "make screenshots  the demo pages in headless Chromium at 412 and 1280 px, checked (build/screenshots)"
	@echo "make messages    extract the theme's strings (babel.cfg) and update its catalogs (locale/*/messages.po)"
	@echo "make sam          install the AWS SAM CLI into .venv-sam (then .venv-sam/bin/sam build)"
	@echo "make sam-local    sam local invoke RenderFunction against the embedded backend (EVENT=events/<name>.json; needs Docker)"

# html5-parser first, built against the libxml2 inside lxml's wheel (layers/build_html5_parser.py
# says why), so that installing the package finds it satisfied instead of building it plainly.
$(STAMP): pyproject.toml layers/requirements.txt layers/build_html5_parser.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$$(grep '^lxml==' layers/requirements.txt)"
	$(PY) layers/build_html5_parser.py --python $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/amp-render demo

# Tests run on every CPU (pytest-xdist), handed out one at a time to whichever worker is free,
# in collection order (tests/conftest.py puts the slow ones first); an xdist_group (the demo
# run, the Chromium layout checks) stays in one worker, which makes its shared fixture once.
PYTEST_XDIST := -n auto --dist loadgroup --no-loadscope-reorder

test: $(STAMP) lint rules-check lint-template checkov conformance
	$(PY) -m pytest $(PYTEST_XDIST) -q

# The chaos tests at full size (docs/reliability.md); `make test` runs them smaller. CHAOS_SEED
# replays a run.
CHAOS_OPS ?= 1000
chaos: $(STAMP)
	CHAOS_OPS=$(CHAOS_OPS) $(PY) -m pytest -q -s -p no:randomly tests/test_chaos.py

unit: $(STAMP)
	$(PY) -m pytest -q -x

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests tools

# template.yaml: cfn-lint from .venv, then `sam validate --lint` and plain `sam validate` from
# aws-sam-cli in its own virtualenv (its pins clash with ours), created on first use. SAM only needs
# a region and some credentials to build its clients; dummy ones (and no profile, no instance
# metadata) keep it off any real account. It translates the template locally: no AWS call.
SAM_VENV        := .venv-sam
SAM_STAMP       := $(SAM_VENV)/.installed-stamp
SAM_CLI_VERSION ?= 1.170.0
SAM_PYTHON       = $(shell for c in "env PYENV_VERSION=3.12.1 python3" python3.12; do \
	$$c -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1 \
	&& { echo "$$c"; exit 0; }; done; echo $(PYTHON))
SAM_ENV := env -u AWS_PROFILE AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 \
	AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
	SAM_CLI_TELEMETRY=0

$(SAM_STAMP):
	$(SAM_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'aws-sam-cli==$(SAM_CLI_VERSION)'
	@touch $@

# The demo pages in headless Chromium with the AMP runtime built from source (tools/screenshots.py
# says where it looks); SCREENSHOTS_DOCS=docs/screenshots also refreshes the copies the README
# shows. Needs the system's chromium (.ci/run installs it when missing).
SCREENSHOTS_DOCS ?=
screenshots: $(STAMP)
	@$(PY) -c 'import playwright' 2>/dev/null || $(PY) -m pip install --quiet -e '.[screenshots]'
	@mkdir -p build
	$(VENV)/bin/amp-render demo > build/demo.log || { cat build/demo.log; exit 1; }
	$(PY) tools/screenshots.py $(if $(SCREENSHOTS_DOCS),--docs $(SCREENSHOTS_DOCS))

# The SAM CLI the README's deploy commands call as .venv-sam/bin/sam.
sam: $(SAM_STAMP)
	@$(SAM_VENV)/bin/sam --version
	@echo "deploy with: $(SAM_VENV)/bin/sam build && $(SAM_VENV)/bin/sam deploy --guided"

lint-template: $(STAMP) $(SAM_STAMP)
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --template-file template.yaml --lint
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --template-file template.yaml
	@echo "(plain sam validate checks the SAM translation; the \"--lint\" it suggests ran above)"

# Security and best-practice checks of template.yaml. checkov pins boto3 below the version the
# package uses, so it lives in its own virtualenv, at this pinned version, created on first use.
# Every remaining finding is fixed or skipped in the template with a one-line reason
# (Metadata: checkov: skip). --skip-download: nothing is fetched from the vendor's platform.
CHECKOV_VENV    := .venv-checkov
CHECKOV_STAMP   := $(CHECKOV_VENV)/.installed-stamp
CHECKOV_VERSION ?= 3.3.30

$(CHECKOV_STAMP):
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	@touch $@

checkov: $(CHECKOV_STAMP)
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --compact \
	  --quiet --skip-download 2>/dev/null

# The function code exactly as `sam build` makes it (src/Makefile): the package with its bytecode
# compiled by CPython 3.12, and the theme's templates compiled (pip from our virtualenv fetches
# the layer's Jinja2 release for that).
function: $(STAMP)
	rm -rf build/function
	$(MAKE) -f src/Makefile build-RenderFunction ARTIFACTS_DIR=$(CURDIR)/build/function \
		PYTHON312="$(SAM_PYTHON)" PIP="$(CURDIR)/$(PY) -m pip"

# The DependencyLayer content exactly as `sam build` makes it (layers/Makefile), zipped; fails if
# it exceeds Lambda's unzipped limit for a function and its layers (262,144,000 bytes).
LAYER_LIMIT := 262144000
layer: $(STAMP)
	rm -rf build/layer build/dependency-layer.zip
	$(MAKE) -C layers build-DependencyLayer ARTIFACTS_DIR=$(CURDIR)/build/layer PIP="$(CURDIR)/$(PY) -m pip" \
		PYTHON312="$(SAM_PYTHON)"
	cd build/layer && $(CURDIR)/$(PY) -m zipfile -c ../dependency-layer.zip python
	@unzipped=$$(du -sb build/layer/python | cut -f1); zipped=$$(stat -c %s build/dependency-layer.zip); \
	echo "build/dependency-layer.zip: $$zipped bytes zipped, $$unzipped bytes unzipped (limit $(LAYER_LIMIT))"; \
	test $$unzipped -lt $(LAYER_LIMIT) || { echo "layer too large for Lambda" >&2; exit 1; }

rules: $(STAMP)
	$(PY) tools/build_rules.py

rules-check: $(STAMP)
	@tmp=$$(mktemp) && out=$$($(PY) tools/build_rules.py -o $$tmp 2>&1) \
	  || { echo "$$out" >&2; rm -f $$tmp; exit 1; }; \
	  if diff -q src/amp_publisher/core/amp/rules.json $$tmp > /dev/null; then rm -f $$tmp; \
	    echo "rules.json is current (generated again from third_party/amp-spec)"; \
	  else rm -f $$tmp; echo "rules.json is stale: run 'make rules' and commit it" >&2; exit 1; fi

# The floor is the PASS/FAIL agreement reached so far (docs/conformance.md); raise it, never lower.
CONFORMANCE_FLOOR ?= 0.95
conformance: $(STAMP)
	AMP_VALIDATOR_TESTDATA=$(AMP_VALIDATOR_TESTDATA) $(PY) tools/conformance.py --min-agreement $(CONFORMANCE_FLOOR)

# Benchmarks (DESIGN §8 budgets; Hugo side by side), not part of `make test`: prints a Markdown
# table and writes bench/results.json. Installs Hugo (apt-get --no-install-recommends) when missing
# and says so when it cannot. BENCH_ARGS=--quick for a smoke run, --update-docs to refresh
# docs/benchmarks.md.
BENCH_ARGS ?=
# Then the site index (bench/site.py): a burst of uploads into a seeded site, and one article into
# a big one; SITE_BENCH_ARGS="--site 1000 --uploads 100 --big 10000" for a shorter run.
SITE_BENCH_ARGS ?=
# Then what the reader gets (bench/reader.py): FCP and LCP of the sample pages, plain and
# transformed, in throttled headless Chromium (needs chromium and the AMP runtime built from
# source; says so and skips without them); READER_BENCH_ARGS="--runs 3" for a shorter run.
READER_BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/site.py $(SITE_BENCH_ARGS)
	@$(PY) -c 'import playwright' 2>/dev/null || $(PY) -m pip install --quiet -e '.[screenshots]'
	$(PY) bench/reader.py $(READER_BENCH_ARGS)

# `sam local invoke RenderFunction -e $(EVENT)` against the embedded backend, checked
# (docs/sam-local.md). Needs Docker; builds a stand-in Lambda image where none can be pulled.
EVENT ?= events/s3-put-reference.json
sam-local: $(STAMP) $(SAM_STAMP)
	$(PY) tools/sam_local/run.py $(EVENT)

clean:
	rm -rf build .pytest_cache .hypothesis .aws-sam

# The default theme's fixed strings: extract them (templates' and Python's _() calls, babel.cfg)
# and merge them into every catalog; translate what is new, then commit the .po files (they are
# read at load, see src/amp_publisher/core/i18n.py). tests/test_i18n.py fails on a string left
# untranslated.
LOCALES := src/amp_publisher/core/templates/default/locale
messages: $(STAMP)
	@mkdir -p build
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output --width 100 \
		--project amp-publisher --copyright-holder "The amp-publisher authors" \
		-o build/messages.pot src
	$(VENV)/bin/pybabel update -i build/messages.pot -d $(LOCALES) --no-fuzzy-matching \
		--width 100 --ignore-obsolete --ignore-pot-creation-date

# The AMP runtime CSS that transformed pages inline (AMP_TRANSFORM=on): from the AMP CDN's current
# production runtime, or from a runtime build's CDN folder with AMP_RUNTIME_BUILD=DIR.
AMP_RUNTIME_BUILD ?=
runtime-css: $(STAMP)
	$(PY) tools/refresh_runtime_css.py $(if $(AMP_RUNTIME_BUILD),--from $(AMP_RUNTIME_BUILD))
