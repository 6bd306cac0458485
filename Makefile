# paylab: the README's two commands. Each installs what is missing first (idempotent).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := .stamps
UV_VERSION := 0.13.9

.PHONY: up test load deps lint report bench mutate clean bytecode

# Ports, seed and the rest come from the documented variables (PAYLAB_PORT, SHOP_PORT,
# PAYLAB_SEED, ...: `SHOP_PORT=9000 make up` or `make up SHOP_PORT=9000`), or as flags:
# `make up ARGS="--preset slow-gateway"`. Nothing here sets them, so nothing overrides them.
up: deps bytecode
	$(VENV)/bin/paylab up $(ARGS)

test: deps lint bytecode
	$(VENV)/bin/paylab test

# The Locust web UI against the stack `make up` started (in another terminal).
load: $(STAMP)/python
	$(VENV)/bin/paylab load $(ARGS)

deps: $(STAMP)/python $(STAMP)/node $(STAMP)/system

lint: $(STAMP)/python
	$(VENV)/bin/ruff check .

# The project's own modules compiled ahead (only what changed; about 2 s from nothing): the
# editable install's sources get no bytecode at install, and where PYTHONDONTWRITEBYTECODE=1
# every simulator, shop and worker the tests start compiled them again (the reliability
# layer took 134 s instead of 79 s on 2 cores).
bytecode: $(STAMP)/python
	$(PY) -m compileall -q -j 0 paylab simulator shop suites load scripts

report: deps
	$(VENV)/bin/paylab report

bench: $(STAMP)/python $(STAMP)/system
	$(PY) load/bench.py

# Mutation testing (not part of `make test`): scores per package against their floors.
# Incremental; `make mutate ARGS=--fresh` starts over, ARGS='simulator.core.money.*' shards.
mutate: $(STAMP)/python
	$(PY) scripts/mutate.py $(ARGS)

$(STAMP):
	mkdir -p $(STAMP)

$(STAMP)/python: pyproject.toml requirements.lock Makefile | $(STAMP)
	test -x $(PY) || python3 -m venv $(VENV)
	# uv installs the locked set in about 20 s where pip takes two minutes on 2 cores; pip is
	# the fallback when uv cannot be had (same constraints, same result). Both leave compiled
	# bytecode (uv when asked: 16 s more), which PYTHONDONTWRITEBYTECODE=1 would otherwise
	# make every one of the run's hundreds of Python processes compile again
	( $(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) && \
	  VIRTUAL_ENV="$(abspath $(VENV))" $(VENV)/bin/uv pip install --quiet --compile-bytecode \
	    -c requirements.lock -e '.[dev]' ) || \
	  $(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

$(STAMP)/node: package.json package-lock.json | $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STAMP)/system: scripts/system-deps.sh | $(STAMP)
	scripts/system-deps.sh
	touch $@

clean:
	rm -rf $(VENV) node_modules $(STAMP) reports/allure-results reports/allure-report reports/load
