# The Collaborative Citizen: build the report from respondent data.
#   make report [WAVE=2014]   tables, findings notebooks, HTML and PDF
#   make test                 the test suite
# Both create the Python environment (.venv) first when it is missing or pyproject.toml has changed.

WAVE ?= 2014
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
ENV := $(VENV)/.installed
# Where data is read and outputs go; override to build from another data folder without touching this one.
DATA_DIR ?= data
BUILD_ROOT ?= report/build
FIGURES_DIR ?= figures
BUILD := $(BUILD_ROOT)/$(WAVE)
PKG := src/collaborative_citizen
DATA := $(DATA_DIR)/waves/$(WAVE)
CLI := $(PY) -m collaborative_citizen --data-dir $(DATA_DIR) --build-dir $(BUILD_ROOT)
PUBLISH := $(PY) -m collaborative_citizen.publish --data-dir $(DATA_DIR) --build-dir $(BUILD_ROOT)

# Reproducible dates in SVG/PDF metadata and the colophon: the last commit's date unless set by the caller.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1391126400)
export SOURCE_DATE_EPOCH
# Notebooks run in a kernel that must find the environment's Python first.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export MPLBACKEND := Agg

# What each step reads, so that a changed input re-runs the steps that depend on it and nothing else.
WAVE_INPUTS := $(DATA_DIR)/codebook.yml $(wildcard $(DATA)/wave.yml $(DATA)/*.sav $(DATA)/*.parquet) $(filter-out %/targets.csv,$(wildcard $(DATA)/*.csv))
TABLE_CODE := $(addprefix $(PKG)/,__init__.py cli.py codebook.py waves.py loading.py statistics.py tables.py)
NOTEBOOK_CODE := $(TABLE_CODE) $(PKG)/notebooks.py $(PKG)/wording.py
FINDING_CODE := $(NOTEBOOK_CODE) $(PKG)/findings.py $(PKG)/charts.py
ABOUT_CODE := $(NOTEBOOK_CODE) $(PKG)/about.py

ABOUT_NB := notebooks/00_about_the_survey.ipynb
FINDING_NBS := $(sort $(filter-out $(ABOUT_NB),$(wildcard notebooks/[0-9][0-9]_*.ipynb)))
EXECUTED_ABOUT := $(BUILD)/notebooks/$(notdir $(ABOUT_NB))
EXECUTED_FINDINGS := $(addprefix $(BUILD)/notebooks/,$(notdir $(FINDING_NBS)))

.PHONY: all report tables notebooks test bench reconstruct clean env
.DELETE_ON_ERROR:

all: report

env: $(ENV)

$(ENV): pyproject.toml
	@echo "env: installing the environment in $(VENV) from pyproject.toml"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

tables: $(BUILD)/results.csv

$(BUILD)/results.csv: $(WAVE_INPUTS) $(TABLE_CODE) | $(ENV)
	@$(CLI) tables --wave $(WAVE)

notebooks: $(EXECUTED_ABOUT) $(EXECUTED_FINDINGS)

$(EXECUTED_ABOUT): $(ABOUT_NB) $(WAVE_INPUTS) $(ABOUT_CODE) | $(ENV)
	@$(CLI) notebook --wave $(WAVE) $<

# A finding reads results.csv, its commentary template, the report contents and earlier waves' descriptions.
$(EXECUTED_FINDINGS): $(BUILD)/notebooks/%.ipynb: notebooks/%.ipynb report/findings/%.md.j2 report/findings/_changes.md.j2 $(BUILD)/results.csv \
		report/report.yml $(wildcard $(DATA_DIR)/waves/*/wave.yml) $(FINDING_CODE) | $(ENV)
	@$(CLI) notebook --wave $(WAVE) --figures-dir $(FIGURES_DIR) $<

# The publishable report: essays, findings, methods and tables merged into one HTML file, then the PDF.
PUBLISH_CODE := $(TABLE_CODE) $(wildcard $(PKG)/publish*.py) $(shell find $(PKG)/templates $(PKG)/assets -type f)
REPORT_HTML := $(BUILD)/collaborative-citizen-$(WAVE).html
REPORT_PDF := $(BUILD)/collaborative-citizen-$(WAVE).pdf

$(REPORT_HTML): $(EXECUTED_ABOUT) $(EXECUTED_FINDINGS) $(BUILD)/results.csv report/report.yml \
		$(wildcard report/commentary/*.md) $(WAVE_INPUTS) $(wildcard $(DATA)/targets.csv) $(PUBLISH_CODE) | $(ENV)
	@$(PUBLISH) html --wave $(WAVE)

$(REPORT_PDF): $(REPORT_HTML) $(PKG)/publish.py $(PKG)/publish_pdf.py | $(ENV)
	@$(PUBLISH) pdf --wave $(WAVE)

report: $(REPORT_PDF)

test: $(ENV)
	@echo "test: running the test suite"
	@$(PY) -m pytest

# Regenerates the reconstructed 2014 respondent file and its targets.csv from reconstruction.yml.
reconstruct: $(ENV)
	@$(PY) -m collaborative_citizen.reconstruction --wave-dir data/waves/2014 --codebook data/codebook.yml

clean:
	rm -rf report/build figures/*/

bench: $(ENV)
	@$(PY) benchmarks/bench_tables.py
