# policy-pipeline: `make run` and `make test` set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test eval bench lint setup clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test,lint,bench]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(PY) -m pipeline run corpus/pages --out outputs

test: $(STAMP)
	$(PY) -m pytest

eval: $(STAMP)
	$(PY) -m pipeline evaluate --corpus corpus

bench: $(STAMP)
	$(PY) -m pipeline.bench
	$(PY) -m pipeline.extract.bench

lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline tests
	$(VENV)/bin/mypy pipeline

clean:
	rm -rf outputs/*.csv outputs/datapackage.json outputs/.state
