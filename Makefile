# Duban: `make run` (demo on SQLite at http://127.0.0.1:5000) and `make test` (the whole suite).
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: run test install install-test

run: install
	$(BIN)/duban db upgrade
	$(BIN)/duban demo
	$(BIN)/duban serve --host 127.0.0.1 --port 5000

test:
	scripts/test.sh

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@
