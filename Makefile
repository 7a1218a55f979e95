# Two commands on a fresh machine:  make run   ·   make test
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 42
USERS ?= 1000
# pytest-xdist workers for `make test` (each with its own test database and Redis db index).
TEST_WORKERS ?= 2

.PHONY: run install migrate seed test lint format messages bench bench-quick bench-report openapi clean

# pip shows a line per package and a progress bar per download (no silent half minute).
PIP_INSTALL := $(BIN)/pip install --progress-bar on --disable-pip-version-check

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "==> creating the virtualenv in $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> installing Circlemart and its dependencies (about 30 s the first time)"
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e '.[dev]'
	@touch $(STAMP)
	@echo "==> dependencies installed"

# hls.js for the live rooms' HLS player (Chromium has no native HLS): from the npm registry at
# install time into var/npm (not committed, no CDN), served as static live/vendor/hls.min.js.
# Without npm the live pages fall back to the browser's own HLS playback (Safari, Android).
HLS_JS_VERSION := 1.7.4
HLS_JS_STAMP := var/npm/.hls.js-$(HLS_JS_VERSION)

$(HLS_JS_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
		echo "==> installing hls.js $(HLS_JS_VERSION) from the npm registry (live rooms' player)"; \
		if npm install --prefix var/npm --no-audit --no-fund --no-save --loglevel=error \
			hls.js@$(HLS_JS_VERSION); then touch $@; \
		else echo "==> hls.js not installed (npm failed): HLS plays only where the browser can"; fi; \
	else echo "==> npm not found: no hls.js (HLS plays only where the browser can natively)"; fi

install: $(STAMP) $(HLS_JS_STAMP)

migrate: install
	@echo "==> applying database migrations"
	$(BIN)/circlemart migrate --noinput

seed: migrate
	@echo "==> seeding the demo world (a few minutes the first time; a re-run adds nothing)"
	PAYMENTS_TEST_MODE=1 $(BIN)/circlemart seed-demo --seed $(SEED) --users $(USERS)

## make run: venv, install, migrate, demo data, then serve web + worker on http://$(HOST):$(PORT)
## and the live rooms' websockets (uvicorn, ASGI) on ws://$(HOST):$(PORT)+1
## The demo pays through the built-in test gateway (no money moves): test mode is explicit.
## Quiet by default (warnings and errors); CIRCLEMART_VERBOSE=1 make run logs every request
## and background task.
run: seed
	@echo "==> starting the web server, the websocket server and the background worker"
	PAYMENTS_TEST_MODE=1 $(BIN)/circlemart serve --host $(HOST) --port $(PORT)

## make test: the whole suite on the embedded defaults (SQLite, local memory, no broker).
## Tests needing PostgreSQL/Redis/RabbitMQ/Chromium are listed as deselected unless configured.
## worksteal: an idle worker takes tests queued on a busy one. With the default (load), one
## worker was handed the slow browser and fault tests in one chunk and ran them alone for 20 min.
test: install
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

lint: install
	$(BIN)/ruff format --check
	$(BIN)/ruff check
	$(BIN)/mypy src
	$(BIN)/lint-imports
	$(BIN)/circlemart makemigrations --check --dry-run
	$(BIN)/python -m circlemart.config.openapi --check docs/openapi.json

format: install
	$(BIN)/ruff format
	$(BIN)/ruff check --fix

messages: install
	cd src/circlemart && ../../$(BIN)/circlemart makemessages -l zh_Hans --no-obsolete && ../../$(BIN)/circlemart compilemessages

## make bench: the HTTP floor (/hello beside /api/v1/me) on the server `circlemart serve` runs:
## closed-loop capacity, then open-loop p50/p99 at 25/50/75 % of it (bench/load.py).
bench: install
	$(BIN)/python bench/http_floor.py --json var/bench/http-floor.json

## make bench-quick: every bench's --quick smoke run, as CI runs them (answers checked, no speed
## asserted; one migrated template shared; PostgreSQL at BENCH_POSTGRES, Redis at BENCH_REDIS_URL).
bench-quick: install
	$(BIN)/python bench/quick.py

## make bench-report: rewrite docs/benchmarks.md's generated tables from var/bench/*.json.
bench-report: install
	$(BIN)/python bench/report.py

clean:
	rm -rf $(VENV) var

openapi: install
	$(BIN)/python -m circlemart.config.openapi --write docs/openapi.json
