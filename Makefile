# The Collaborative Citizen: build the report from respondent data.
#   make report [WAVE=2014]   tables, findings notebooks, HTML and PDF
#   make test                 the test suite
# Both create the Python environment (.venv) first when it is missing or pyproject.toml has changed.

WAVE ?= 2014
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV := $(VENV)/.installed
BUILD := report/build/$(WAVE)
PKG := src/collaborative_citizen
DATA := data/waves/$(WAVE)
CLI := $(PY) -m collaborative_citizen

# What each step reads, so that a changed input re-runs the steps that depend on it and nothing else.
WAVE_INPUTS := data/codebook.yml $(wildcard $(DATA)/wave.yml $(DATA)/*.sav $(DATA)/*.parquet) $(filter-out %/targets.csv,$(wildcard $(DATA)/*.csv))
TABLE_CODE := $(addprefix $(PKG)/,__init__.py cli.py codebook.py waves.py loading.py statistics.py tables.py)

.PHONY: all report tables test bench reconstruct clean env
.DELETE_ON_ERROR:

all: report

env: $(ENV)

$(ENV): pyproject.toml
	@echo "env: creating $(VENV) from pyproject.toml"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

tables: $(BUILD)/results.csv

$(BUILD)/results.csv: $(WAVE_INPUTS) $(TABLE_CODE) | $(ENV)
	@$(CLI) tables --wave $(WAVE)

report: tables

test: $(ENV)
	@echo "test: running the test suite"
	@$(PY) -m pytest

# Regenerates the reconstructed 2014 respondent file and its targets.csv from reconstruction.yml.
reconstruct: $(ENV)
	@$(PY) -m collaborative_citizen.reconstruction --wave-dir data/waves/2014 --codebook data/codebook.yml

clean:
	rm -rf report/build figures/*/
