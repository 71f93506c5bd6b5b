# The two commands: `make run` (the whole service locally) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m payinvoice.devstack

lint: $(STAMP)
	$(VENV)/bin/ruff check .

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
