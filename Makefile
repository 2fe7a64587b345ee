# Ledgerline: the Makefile is the table of contents.
#   make run    set up, migrate, seed the demo, process its inbox, serve on 127.0.0.1:8000
#   make test   the test suite (SQLite unless DATABASE_URL is set; CI uses PostgreSQL)
#   make lint   ruff, formatting, and migrations in step with the models
#   make bench  benchmarks in tests/benchmarks/, printing their figures

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format bench clean test-deps

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# The developer targets run with development defaults, said explicitly: DEBUG on, plain HTTP,
# SQLite and the dev secret key allowed. Without LEDGERLINE_DEV the same commands refuse them
# (core/checks.py), as gunicorn (core/wsgi.py) and qcluster in production do.
run lint bench: export LEDGERLINE_DEV = 1
# The demo is shown as the product is: DEBUG off, so a wrong address shows the styled 404
# page, not Django's debug page (static files are still served, runserver --insecure in
# rundemo). `make run DEBUG=1` brings the debug pages back for a developer.
run: export DEBUG ?= 0

# Stopping: make passes SIGTERM on to the command it is running (each line here runs
# without a shell in between) and a terminal's Ctrl-C reaches them all; rundemo then stops
# its server and both worker clusters (tests/core/test_rundemo_signals.py).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py prepare_ocr
	$(PY) manage.py seed_demo
	$(PY) manage.py rundemo --addr 127.0.0.1:8000

# Tests drive Debian's chromium (browser tests) and a real Dovecot IMAP server (mailbox
# tests); install them when they are missing and we may.
test-deps:
	@missing=""; \
	  test -x /usr/bin/chromium || missing="$$missing chromium fonts-dejavu-core"; \
	  test -x /usr/sbin/dovecot || missing="$$missing dovecot-imapd"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else echo "Tests need:$$missing (sudo apt-get install$$missing)" >&2; exit 1; fi; \
	  fi

# pytest exits 5 when it collected no tests: that must fail, not pass quietly.
test: install test-deps
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest ran no tests" >&2; exit 1; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	@for script in tests/benchmarks/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

clean:
	rm -rf var/ .pytest_cache .ruff_cache
