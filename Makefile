# Ijaza — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What running needs, and what testing needs on top: `make test` after `make run` still
# installs the dev tools.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
IJAZA_HOST ?= 127.0.0.1
IJAZA_PORT ?= 8000
export IJAZA_HOST IJAZA_PORT
# Where a browser on this machine reaches the server (a wildcard address is not one).
URL := http://$(if $(filter 0.0.0.0 ::,$(IJAZA_HOST)),127.0.0.1,$(IJAZA_HOST)):$(IJAZA_PORT)

.PHONY: run test install lint bench clean worker

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(RUN_STAMP)

install: $(DEV_STAMP)

run: $(RUN_STAMP)
	$(BIN)/ijaza migrate
	$(BIN)/ijaza demo
	@echo "serving on $(URL) — API docs: $(URL)/docs, status page: $(URL)/p/demo, console: $(URL)/admin (the admin key above)"
	$(BIN)/ijaza serve --host $(IJAZA_HOST) --port $(IJAZA_PORT)

worker: $(RUN_STAMP)
	$(BIN)/ijaza worker

test: $(DEV_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(DEV_STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
