# gridgov — make help lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
NATIVE := src/build/.native-matcher
VAR ?= var
DEMO_PEOPLE ?= 200000
export GRIDGOV_VAR_DIR ?= $(VAR)

.PHONY: help install native run demo test test-pg lint bench parser clean fuzz

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-9s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml frontend/package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "需要 $(PYTHON)（Python 3.11）"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@if command -v npm >/dev/null; then cd frontend && npm ci --no-audit --no-fund --loglevel=error && node copy-vendor.mjs; \
	else echo "未找到 npm：跳过地图与图表组件（Leaflet/ECharts），页面会提示缺少组件"; fi
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP) $(NATIVE) ## Create .venv and install gridgov with its pinned dependencies

# The address matcher and the match_* modules it imports, and the parser's per-token Python (tokens and their
# features, tags, gazetteer marks, sequence feature ids, post-processing), compiled together with mypyc into one
# shared library (same source: about 1.4-2x faster for the matcher, ~20 % more addresses per CPU-second for
# parse_batch; address/native.py lists the same modules). Rebuilt whenever one of them or a module they import is
# newer; with no C compiler the step is skipped and they run as plain Python. The builds are touched afterwards:
# setuptools keeps an unchanged extension's old time, and the tests compare times.
MATCHER := matcher match_types match_text match_phonetic match_index match_exact match_fuzzy features tags gazetteer feature_ids components
MATCHER_IMPORTS := normalize records cn_divisions
NATIVE_BUILDS := src/*__mypyc*.so src/gridgov/address/*.so
$(NATIVE): $(STAMP) $(patsubst %,src/gridgov/address/%.py,$(MATCHER) $(MATCHER_IMPORTS))
	@mkdir -p src/build
	@rm -f $(NATIVE_BUILDS)
	@cd src && if ../$(BIN)/mypyc $(patsubst %,gridgov/address/%.py,$(MATCHER)) > build/mypyc.log 2>&1; then \
		touch $(NATIVE_BUILDS:src/%=%); echo "matcher compiled with mypyc"; \
		else rm -f $(NATIVE_BUILDS:src/%=%); \
		echo "mypyc could not compile the matcher (see src/build/mypyc.log): it runs as plain Python"; fi
	@touch $@

native: $(NATIVE) ## Compile the address matcher and parser modules with mypyc (done by install/run/test/bench)

demo: $(STAMP) $(NATIVE) ## (Re)load the Shenzhen demo, simulate 7 days of cases and replay 3 hours of IoT telemetry into var/ (DEMO_PEOPLE=20000 for a smaller block data set)
	$(BIN)/gridgov demo load --reset --people $(DEMO_PEOPLE)
	$(BIN)/gridgov simulate --days 7 --per-day 300
	$(BIN)/gridgov demo hazards

run: $(STAMP) $(NATIVE) ## Install, load the demo on first run, serve UI and API on http://127.0.0.1:8000
	@test -f $(VAR)/gridgov.db || $(MAKE) demo
	$(BIN)/gridgov init
	$(BIN)/gridgov serve --host 127.0.0.1 --port 8000

test: $(STAMP) $(NATIVE) ## Run the test suite (SQLite; set GRIDGOV_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/pytest

test-pg: $(STAMP) $(NATIVE) ## Run the test suite against a throwaway local PostgreSQL server
	bash scripts/with-postgres.sh $(BIN)/pytest

lint: $(STAMP) ## ruff, and mypy --strict over src, tests and bench
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP) $(NATIVE) ## Run the benchmarks in bench/ (JSON lines; installs the anchors cpca, geopandas and the neural extra)
	$(BIN)/pip install -q -e '.[dev,bench]'
	@for f in bench/[a-z]*.py; do echo "# $$f" >&2; $(BIN)/python $$f || exit 1; done

# The packaged address parser: the national division file and the CRF trained on generated addresses (no
# third-party data). Committed, so install/run/test only load it; rebuild after changing the generator or features.
parser: $(STAMP) ## Rebuild the packaged address parser and its division file (about 15 minutes)
	$(BIN)/python scripts/build_cn_gazetteer.py
	$(BIN)/python scripts/build_address_model.py

clean: ## Remove var/ (database, keys, uploads), .venv and the compiled matcher
	rm -rf $(VAR) $(VENV) src/build $(NATIVE_BUILDS)

fuzz: $(STAMP) $(NATIVE) ## Schemathesis over the OpenAPI spec as every role (alone: it writes into its own database)
	$(BIN)/pytest -m fuzz tests/fuzz
