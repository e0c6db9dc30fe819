# The two commands: `make run` and `make test`. Both set up what they need first.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app
export PORT

.PHONY: run test lint setup setup-dev system-deps translations worker clean

# The embedded development set-up (SQLite, no Redis, /dev/outbox), chosen explicitly: without
# JATRA_ENV the app is production and refuses to start without its secrets and servers.
run: export JATRA_ENV := development
run: setup translations
	$(BIN)/flask schema upgrade
	$(BIN)/flask demo seed
	@echo "Jatra is on http://localhost:$(PORT)  (tenants above; staff log in at /staff/login)"
	$(BIN)/flask run --host $(HOST) --port $(PORT)

test: setup-dev system-deps translations lint
	$(BIN)/python -m pytest

lint: setup-dev
	$(BIN)/ruff check .

setup:
	@PYTHON="$(PYTHON)" scripts/setup-venv.sh requirements.txt

setup-dev:
	@PYTHON="$(PYTHON)" scripts/setup-venv.sh requirements-dev.txt

system-deps:
	@scripts/system-deps.sh

translations:
	@$(BIN)/pybabel compile -d translations -f >/dev/null

# Regenerate the message catalogue after changing texts: then translate translations/bn/.../messages.po
extract-messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot app.py blueprints services templates cli
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

worker: setup
	$(BIN)/rq worker --with-scheduler --worker-class jobs.worker.WarmWorker --url "$${REDIS_URL:?set REDIS_URL}" default

clean:
	rm -rf $(VENV) instance
