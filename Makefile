# Two commands for a fresh machine with only Python 3.11+:
#   make demo   -> creates .venv, installs cxroi, runs it on sample_data/ with configs/default.yaml
#   make test   -> same environment plus test extras, runs lint, types and the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test fuzz lint bench clean sample-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

demo: $(STAMP)
	$(BIN)/cxroi run --format table

test: $(TSTAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The fuzz tests with 10,000 examples each (make test runs a quick, fixed profile of the same tests).
fuzz: $(TSTAMP)
	CXROI_FUZZ=10000 $(BIN)/python -m pytest -q -p no:cacheprovider tests/io/test_fuzz.py tests/io/test_fuzz_generated.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_scores.py
	$(BIN)/python benchmarks/bench_groups.py
	$(BIN)/python benchmarks/bench_economics.py
	$(BIN)/python benchmarks/bench_evidence.py
	$(BIN)/python benchmarks/bench_themes.py
	$(BIN)/python benchmarks/bench_clv.py
	$(BIN)/python benchmarks/bench_cache.py
	$(BIN)/python benchmarks/bench_postgres.py

sample-data: $(STAMP)
	$(BIN)/python sample_data/generate.py sample_data

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
