# Two commands on a fresh machine:  make run  ·  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
INDEX  ?= var/index
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: setup setup-test index run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml package-lock.json $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	@# axe-core for the browser tests' accessibility check (skipped without it, outside CI)
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent; fi
	touch $@

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

index: setup
	$(BIN)/kgsearch reindex data --index $(INDEX) --quiet

run: index
	$(BIN)/kgsearch serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: setup-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf var .pytest_cache tests/artifacts
