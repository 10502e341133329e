# The workbook's commands. Two to start: `make setup`, then `make all` (or `make smoke`).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= full
OUTPUT ?= build
SUBMISSIONS ?= submissions
ASSIGNMENT ?=
WORKERS ?= 2
TIMEOUT ?= 300

.PHONY: help setup test smoke all validate outputs assign grade bench clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(VENV)/.installed  ## Create .venv, install the package and notebook tooling, register the kernel

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m ipykernel install --user --name rnn-imdb --display-name "Python (rnn-imdb)" >/dev/null
	@touch $@
	@echo "Setup done. Next: make smoke (minutes) or make all (the full course run)."

test: setup  ## Run the test suite (unit tests + every notebook in the smoke profile)
	$(PY) -m pytest

smoke: setup  ## Execute every notebook in the smoke profile into build/smoke
	$(PY) -m course_utils.workbook.runner --profile smoke --output-dir $(OUTPUT)/smoke

all: setup  ## Execute every notebook in the full profile into build/full
	$(PY) -m course_utils.workbook.runner --profile full --output-dir $(OUTPUT)/full

outputs: setup  ## Re-execute the notebooks (full profile, default parameters) and commit-ready write them back
	$(PY) -m course_utils.workbook.runner --profile full --refresh-committed
	$(PY) -m course_utils.workbook.validation notebooks/outputs/full notebooks/reference_metrics.json --write

validate: setup  ## Re-run the committed notebooks under nbval; metrics within tolerance of the committed ones
	$(PY) -m pytest -p no:cacheprovider --nbval notebooks/[0-9]*.ipynb --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout 1800 -o addopts="" -o testpaths=notebooks
	$(PY) -m course_utils.workbook.validation notebooks/outputs/full notebooks/reference_metrics.json

assign: setup  ## Build student notebooks and autograders from assignments/ into dist/
	$(PY) -m course_utils.grading assign

grade: setup  ## Grade a folder: make grade ASSIGNMENT=a1_data_preparation SUBMISSIONS=dir
	@test -n "$(ASSIGNMENT)" || { echo "Set ASSIGNMENT, e.g. make grade ASSIGNMENT=a1_data_preparation SUBMISSIONS=submissions/a1"; exit 2; }
	$(PY) -m course_utils.grading grade --assignment $(ASSIGNMENT) --submissions $(SUBMISSIONS) \
	  --workers $(WORKERS) --timeout $(TIMEOUT)

bench: setup  ## Measure each model's cost on this machine and backend into bench/ (BENCH_ARGS=--quick)
	$(PY) -m course_utils.bench --output bench $(BENCH_ARGS)

clean:  ## Remove executed outputs (keeps .venv and the data cache)
	rm -rf $(OUTPUT) notebooks/outputs dist grades
