# Ijaza — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
IJAZA_HOST ?= 127.0.0.1
IJAZA_PORT ?= 8000
export IJAZA_HOST IJAZA_PORT

.PHONY: run test install lint bench clean worker

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/ijaza migrate
	$(BIN)/ijaza demo
	@echo "serving on http://$(IJAZA_HOST):$(IJAZA_PORT)  (docs: /docs, status page: /p/demo)"
	$(BIN)/ijaza serve --host $(IJAZA_HOST) --port $(IJAZA_PORT)

worker: $(STAMP)
	$(BIN)/ijaza worker

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
