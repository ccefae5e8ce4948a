# The two commands: `make run` (the app with demo data) and `make test` (everything CI checks).
# Both create .venv and install what they need on a machine with only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
DOVECOT ?= /usr/sbin/dovecot
export DOVECOT

.PHONY: run test lint check-chromium check-dovecot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[dev]"
	touch $@

# make run ADDR=0.0.0.0:8080 serves elsewhere (links in emails follow it in development).
ADDR ?= 127.0.0.1:8000

run: $(VENV)/.installed-run
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py start --addr $(ADDR)

check-chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	  else \
	    echo "Browser tests need Chromium at $(CHROMIUM): install it (apt-get install chromium) or set CHROMIUM=/path/to/chromium"; exit 1; \
	  fi; \
	fi

# The email tests read a real IMAP server: their own Dovecot instance (email_intake/tests/dovecot.py).
check-dovecot:
	@if [ ! -x "$(DOVECOT)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's dovecot-imapd for the IMAP tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null; \
	  else \
	    echo "IMAP tests need Dovecot at $(DOVECOT): install it (apt-get install dovecot-imapd) or set DOVECOT=/path/to/dovecot"; exit 1; \
	  fi; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports --no-logo

test: lint check-chromium check-dovecot
	$(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) staticfiles .mypy_cache .ruff_cache
