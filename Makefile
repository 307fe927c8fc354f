# AFP — the two commands a newcomer needs: `make demo` and `make test`.
# Everything runs from a local .venv made with the machine's python3 (3.11+).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXTRAS := http,postgres,openai

.DEFAULT_GOAL := help
.PHONY: help demo test check lint typecheck imports unit bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]" --group dev
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install AFP with its dev tools

demo: $(STAMP) ## run the whole pipeline on SQLite and fake providers: no keys, no network
	$(BIN)/afp demo

lint: $(STAMP) ## ruff lint and format check
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP) ## mypy --strict over every package
	$(BIN)/mypy

imports: $(STAMP) ## the architecture's import rules
	$(BIN)/lint-imports --config importlinter.ini

unit: $(STAMP) ## fast tests only (no integration, no slow)
	$(BIN)/pytest -q -m "not integration and not slow and not external"

check: lint typecheck imports unit ## everything quick: lint, types, imports, fast tests

test: lint typecheck imports $(STAMP) ## the whole suite, as CI runs it
	$(BIN)/pytest -q

bench: $(STAMP) ## benchmarks and soak tests (not part of make test)
	$(BIN)/python -m bench

clean: ## remove caches (keeps .venv)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
