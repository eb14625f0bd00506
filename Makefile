# kpa — the front door. A newcomer needs two commands: `make run` and `make test`.
#
#   make run        create .venv, install, migrate var/kpa.sqlite3, load the demo network,
#                   print the demo logins and serve on http://127.0.0.1:8000
#   make test       the whole suite (pytest; PYTEST_ARGS="-k invite -x" to narrow it)
#   make lint       ruff, mypy, import-linter, missing migrations
#   make messages   refresh and compile the fr/en translation catalogues
#   make ci         what CI runs: .ci/run
#   make clean      remove .venv, caches and build/test artefacts (keeps var/, your database)

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
KPA    := $(BIN)/kpa
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=
# Written after a successful install; re-installs when a pin or pyproject.toml changes.
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test lint install clean messages ci check-python

help:
	@sed -n '1,11s/^# \{0,1\}//p' Makefile

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "kpa needs Python 3.11 or newer, and '$(PYTHON)' is not on PATH."; \
	  echo "Install it (Debian/Ubuntu: apt install python3 python3-venv) or run: make PYTHON=/path/to/python3.11 run"; \
	  exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "kpa needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) -c 'import platform; print(platform.python_version())')."; \
	  echo "Install a newer Python and run: make PYTHON=/path/to/python3.11 run"; \
	  exit 1; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "'$(PYTHON)' cannot create virtual environments (Debian/Ubuntu: apt install python3-venv)."; \
	  exit 1; }

$(BIN)/python:
	@$(MAKE) --no-print-directory check-python
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt pyproject.toml
	$(BIN)/pip install --quiet -r requirements-dev.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $@

install: $(STAMP)

run: install
	@mkdir -p var
	$(KPA) migrate --noinput
	@# seed_demo is idempotent: it loads the demo network only when it is not there yet,
	@# and prints the demo logins either way.
	$(KPA) seed_demo
	@echo
	@echo "kpa is starting on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(KPA) runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	@mkdir -p var
	$(BIN)/ruff check .
	$(BIN)/mypy kpa config benchmarks
	$(BIN)/lint-imports
	$(KPA) makemigrations --check --dry-run

# Catalogues live in locale/<lang>/LC_MESSAGES; needs GNU gettext (apt install gettext).
messages: install
	$(KPA) makemessages --locale fr --locale en --ignore '.venv/*' --ignore 'var/*' \
	  --ignore 'test-artifacts/*' --ignore 'build/*'
	$(KPA) compilemessages --locale fr --locale en --ignore '.venv/*'

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) build dist *.egg-info test-artifacts .pytest_cache .mypy_cache .ruff_cache \
	  .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
