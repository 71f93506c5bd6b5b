# The two commands: `make run` (the whole service locally) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean docs

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m dev.stack

# ruff, the layers (import-linter contracts in pyproject.toml) and pyright over the core and workflows.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/pyright

# The documentation site (mkdocs.yml, docs/) into .data/site; strict: a broken link or anchor fails.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# Two processes, each with its own dev server and databases; a file's tests stay together.
TEST_WORKERS ?= 2

test: lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile

# The reliability suite in full (tests/reliability; `make test` runs it short).
.PHONY: test-reliability
test-reliability: lint
	PAYINVOICE_RELIABILITY=full $(PY) -m pytest -m reliability -o timeout=1800

clean:
	rm -rf .data

# The benchmark (bench/README.md): its own stack on free ports; the table and bench/results/*.json.
.PHONY: bench bench-quick
bench: $(STAMP)
	$(PY) -m bench.run

bench-quick: $(STAMP)
	$(PY) -m bench.run --quick
