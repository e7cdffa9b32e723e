# gridgov — make help lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
VAR ?= var
export GRIDGOV_VAR_DIR ?= $(VAR)

.PHONY: help install run demo test test-pg lint bench clean

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

install: $(STAMP) ## Create .venv and install gridgov with its pinned dependencies

demo: $(STAMP) ## (Re)load the Shenzhen demo and simulate 7 days of cases into var/
	$(BIN)/gridgov demo load --reset
	$(BIN)/gridgov simulate --days 7 --per-day 300

run: $(STAMP) ## Install, load the demo on first run, serve UI and API on http://127.0.0.1:8000
	@test -f $(VAR)/gridgov.db || $(MAKE) demo
	$(BIN)/gridgov init
	$(BIN)/gridgov serve --host 127.0.0.1 --port 8000

test: $(STAMP) ## Run the test suite (SQLite; set GRIDGOV_TEST_DATABASE_URL for PostgreSQL)
	$(BIN)/pytest

test-pg: $(STAMP) ## Run the test suite against a throwaway local PostgreSQL server
	bash scripts/with-postgres.sh $(BIN)/pytest

lint: $(STAMP) ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: $(STAMP) ## Run the benchmarks in bench/ (JSON lines; installs the anchors: cpca, geopandas)
	$(BIN)/pip install -q -e '.[dev,bench]'
	@for f in bench/[a-z]*.py; do echo "# $$f" >&2; $(BIN)/python $$f || exit 1; done

clean: ## Remove var/ (database, keys, uploads) and .venv
	rm -rf $(VAR) $(VENV)
