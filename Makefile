# Translation Autopilot: one entry point for setup, tests and the offline demo. Everything installs itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
IAC_VENV := .venv-iac
IAC_STAMP := $(IAC_VENV)/.installed

.PHONY: deps lint iac format test stress bench demo up down status emulator clean

deps: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

$(IAC_STAMP): infra/checkov-requirements.txt
	$(PYTHON) -m venv $(IAC_VENV)
	$(IAC_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(IAC_VENV)/bin/python -m pip install --quiet -r infra/checkov-requirements.txt
	touch $@

## Infrastructure checks without a cloud: checkov on the Bicep in infra/ (fails on any failed check; skips need a reason).
iac: $(IAC_STAMP)
	BC_SKIP_MAPPING=TRUE $(IAC_VENV)/bin/checkov --directory infra --framework bicep --skip-download --compact --quiet

lint: $(PY_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(PY_STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

## The whole suite: lint, checkov on infra/, then pytest (which starts and stops its own Azurite and emulators).
test: deps lint iac
	$(PY) -m pytest

## Heavy variants of the reliability tests (1,000 blobs from 4 processes × 8 threads, ...).
stress: deps
	$(PY) -m pytest -m stress -s

## Benchmarks: this app against the approaches users would write instead (bench/results/latest.json + a table).
bench: deps
	$(PY) -m bench

## Offline demo: Azurite + the emulator + function_app.py under the local runner translate a set of documents.
demo: deps
	$(PY) -m devstack demo

## The stack in the background (Azurite, emulator, Functions runner); `make down` stops it, `make status` checks it.
up: deps
	$(PY) -m devstack up

down: deps
	$(PY) -m devstack down

status: deps
	$(PY) -m devstack status

## The emulator alone, on port 5080 with key `local-dev-key` (see docs/emulator.md for every flag).
emulator: deps
	$(PY) -m devstack.emulator --port 5080 --key local-dev-key

clean:
	rm -rf $(VENV) $(IAC_VENV) node_modules .devstack .pytest_cache .ruff_cache demo-output
