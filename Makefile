# Consult Desk — two commands: `make run` and `make test` (each sets itself up first).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test lint setup setup-dev bench clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

setup: $(STAMP_RUN)
setup-dev: $(STAMP_DEV)

run: setup
	$(BIN)/python -m bot db upgrade
	$(BIN)/python -m bot run

lint: setup-dev
	$(BIN)/ruff check bot handlers knowledge tests bench
	$(BIN)/ruff format --check bot handlers knowledge tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# PNGs of the desk's login, inbox, case, dashboard and unanswered-questions pages at desktop and phone width (needs Debian's chromium and fonts-noto-cjk)
screenshots: setup-dev
	CONSULT_DESK_SCREENSHOTS=screenshots $(BIN)/python -m pytest tests/desk/test_desk_browser.py tests/desk/test_dashboard_browser.py tests/desk/test_gaps_browser.py -k "screenshots" -q
	@ls screenshots/*.png

bench: setup-dev
	$(BIN)/python bench/kb_search.py
	$(BIN)/python bench/sla_sweep.py
	$(BIN)/python bench/desk.py
	$(BIN)/python bench/outbox.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/answers.py

clean:
	rm -rf $(VENV) data/*.db* .pytest_cache
