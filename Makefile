# `make demo` and `make test` work on a fresh machine: each sets up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test test-fast bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,mnist,ray]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/nas-ops demo --config studies/quickstart.toml --out runs/demo

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

lint: setup
	$(VENV)/bin/ruff check nas_ops operators search_spaces tests benchmarks
	$(VENV)/bin/mypy nas_ops operators search_spaces

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
