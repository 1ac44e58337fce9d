# The Collaborative Citizen: build the report from respondent data.
#   make report [WAVE=2014]   tables, findings notebooks, HTML and PDF
#   make test                 the test suite
# Both create the Python environment (.venv) first when it is missing or pyproject.toml has changed.

WAVE ?= 2014
# The wave id is data, never make syntax: its text is taken as written (WAVE='$$(shell ...)' runs nothing) and
# checked below before anything uses it.
override WAVE := $(value WAVE)
PYTHON ?= python3
# Steps that do not depend on each other (the workbook and the HTML step) run side by side, one job per core;
# `make -j1 ...` on the command line still runs one step at a time.
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
VENV := .venv
PY := $(VENV)/bin/python
ENV := $(VENV)/.installed
# Where data is read and outputs go; override to build from another data folder without touching this one.
DATA_DIR ?= data
BUILD_ROOT ?= report/build
FIGURES_DIR ?= figures

# WAVE names one folder of $(DATA_DIR)/waves, as src/collaborative_citizen/wave_id.py says (run by the
# environment's Python, or the system's before the environment exists; WAVE reaches it inside single quotes, its
# own quotes escaped).
WAVE_PROBLEM := $(shell $(firstword $(wildcard $(PY)) $(PYTHON)) -I -S src/collaborative_citizen/wave_id.py '$(subst ','\'',$(WAVE))' '$(subst ','\'',$(DATA_DIR))/waves')
ifneq ($(WAVE_PROBLEM),ok)
$(error $(or $(WAVE_PROBLEM),error: WAVE could not be checked: $(PYTHON) did not run src/collaborative_citizen/wave_id.py))
endif

# A failed build loses nothing. Every step writes into a hidden work tree, $(BUILD_ROOT)/.work/, which keeps the
# intermediate files between runs so that builds stay incremental. Only when every step of `make report` has
# succeeded is a complete copy of it moved into $(BUILD_ROOT)/$(WAVE)/ and $(FIGURES_DIR)/$(WAVE)/ (copied beside
# them, then renamed into place), so a failed or interrupted build leaves the last good report, tables and
# figures exactly as they were. `make tables` publishes results.csv (and changes.csv) the same way, on its own.
PUBLISHED := $(BUILD_ROOT)/$(WAVE)
PUBLISHED_FIGURES := $(FIGURES_DIR)/$(WAVE)
WORK_ROOT := $(BUILD_ROOT)/.work
BUILD := $(WORK_ROOT)/build/$(WAVE)
# The notebook rules pass $(FIGURES_DIR) to the notebooks: from here on it names the work tree's figures.
override FIGURES_DIR := $(WORK_ROOT)/figures
PKG := src/collaborative_citizen
DATA := $(DATA_DIR)/waves/$(WAVE)
CLI := $(PY) -m collaborative_citizen --data-dir $(DATA_DIR) --build-dir $(WORK_ROOT)/build
PUBLISH := $(CLI) publish

# $(call promote,<work folder>,<published folder>): a complete copy beside the published folder, renamed into
# place; nothing happens when the two are already identical.
define promote
set -e; if ! diff -rq '$(1)' '$(2)' >/dev/null 2>&1; then \
	rm -rf '$(2).new' '$(2).old'; mkdir -p '$(dir $(2))'; \
	cp -R '$(1)' '$(2).new' || { rm -rf '$(2).new'; echo "error: $(2): could not be published (the copy failed; the last report is unchanged)" >&2; exit 2; }; \
	if [ -e '$(2)' ]; then mv '$(2)' '$(2).old'; fi; mv '$(2).new' '$(2)'; rm -rf '$(2).old'; fi
endef
# $(call publish_file,<work file>,<published folder>): one file, copied beside its target and renamed.
define publish_file
set -e; mkdir -p '$(2)'; cp '$(1)' '$(2)/.$(notdir $(1)).new' || { rm -f '$(2)/.$(notdir $(1)).new'; exit 2; }; \
	mv '$(2)/.$(notdir $(1)).new' '$(2)/$(notdir $(1))'
endef

# Reproducible dates in SVG/PDF metadata and the colophon: the last commit's date unless set by the caller (asked of
# git once, not again for each command make runs).
ifeq ($(origin SOURCE_DATE_EPOCH),undefined)
SOURCE_DATE_EPOCH := $(shell git log -1 --format=%ct 2>/dev/null || echo 1391126400)
endif
export SOURCE_DATE_EPOCH
# Notebooks run in a kernel that must find the environment's Python first.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export MPLBACKEND := Agg

# What each step reads, so that a changed input re-runs the steps that depend on it and nothing else.
WAVE_INPUTS := $(DATA_DIR)/codebook.yml $(wildcard $(DATA)/wave.yml $(DATA)/*.sav $(DATA)/*.parquet) $(filter-out %/targets.csv,$(wildcard $(DATA)/*.csv))
# The code each step runs, by the package's stages (src/collaborative_citizen/<stage>/, docs/architecture.md): a
# step depends on every file of the stages it imports, found by wildcard, so a new module needs no edit here
# (tests/test_makefile.py checks these lists against the imports). The package's top level (command line,
# errors, fonts, typography, notebook runner) serves every stage.
CORE_CODE := $(wildcard $(PKG)/*.py) $(wildcard $(PKG)/assets/fonts/*)
INPUTS_CODE := $(wildcard $(PKG)/inputs/*.py)
ANALYSIS_CODE := $(wildcard $(PKG)/analysis/*.py)
FINDINGS_CODE := $(wildcard $(PKG)/findings/*.py)
PUBLISH_STAGE_CODE := $(wildcard $(PKG)/publish/*.py)
TABLE_CODE := $(CORE_CODE) $(INPUTS_CODE) $(ANALYSIS_CODE)
FINDING_CODE := $(TABLE_CODE) $(FINDINGS_CODE)
ABOUT_CODE := $(FINDING_CODE)

ABOUT_NB := notebooks/00_about_the_survey.ipynb
# Every finding is run by one notebook, FINDING_NB, with papermill's `finding` parameter, unless notebooks/ holds
# a notebook of the finding's own name. A finding is named by its commentary template (report/findings/<name>.md.j2,
# the name report.yml gives it); FINDING_NBS names each finding's run (notebooks/<name>.ipynb, a file only for a
# finding with a notebook of its own) and its executed copy.
FINDING_NB := notebooks/finding.ipynb
FINDING_TEMPLATES := $(sort $(wildcard report/findings/[0-9][0-9]_*.md.j2))
FINDING_NBS := $(patsubst report/findings/%.md.j2,notebooks/%.ipynb,$(FINDING_TEMPLATES))
OWN_FINDING_NBS := $(wildcard $(FINDING_NBS))
ALL_NBS := $(ABOUT_NB) $(FINDING_NBS)
EXECUTED_NBS := $(addprefix $(BUILD)/notebooks/,$(notdir $(ALL_NBS)))
# Written when every notebook of the last run succeeded; make compares the notebooks' inputs with it. (Kept
# outside $(BUILD), which is copied into the published folder.)
NOTEBOOKS_DONE := $(WORK_ROOT)/stamps/$(WAVE)/notebooks.executed

.PHONY: all report html preview tables notebooks test test-fast lint lock bench bench-peers reconstruct clean env FORCE
.DELETE_ON_ERROR:
FORCE:

all: report

env: $(ENV)

# Every package at the version and with the hash requirements.lock records (the whole dependency tree, so two
# machines a year apart install the same fonttools, pydyf and tinycss2), then the project itself.
$(ENV): pyproject.toml requirements.lock
	@echo "env: creating $(VENV) and installing the $$(grep -c '==' requirements.lock) packages of requirements.lock (a minute or two, once)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# One line per package as pip takes it (no silent minute); pip's own status decides, not the filter's.
	@{ $(PY) -m pip install --disable-pip-version-check --progress-bar off --require-hashes --no-deps \
		-r requirements.lock 2>&1; echo $$? > $(VENV)/.pip-status; } \
		| sed -n -e 's/^Collecting \([^ ]*\).*/env:   \1/p' -e 's/^Installing collected packages.*/env: installing them/p' \
		-e '/^ERROR/p'
	@status=$$(cat $(VENV)/.pip-status); rm -f $(VENV)/.pip-status; test "$$status" = 0
	@echo "env: installing the project (editable) into $(VENV)"
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# requirements.lock from pyproject.toml's pins (needs the package index): run after changing a pin.
lock:
	@$(PY) -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	@$(VENV)/bin/pip-compile --quiet --generate-hashes --extra=test --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

# Changes since earlier waves are computed with the tables, so earlier waves' files are inputs too.
EARLIER_INPUTS := $(wildcard $(DATA_DIR)/waves/*/wave.yml $(DATA_DIR)/waves/*/*.sav $(DATA_DIR)/waves/*/*.parquet \
	$(DATA_DIR)/published/*.yml)
TABLE_INPUTS := $(WAVE_INPUTS) $(EARLIER_INPUTS) $(TABLE_CODE)

# The tables step: results.csv, changes.csv and not_asked.csv. Each is rewritten only when its content changes
# (results.csv takes a new time when any of the three does), so an edit that leaves the tables as they were
# re-runs nothing after them; the stamp records that the tables are up to date with their inputs.
TABLES_DONE := $(WORK_ROOT)/stamps/$(WAVE)/tables.computed
$(TABLES_DONE): $(TABLE_INPUTS) | $(ENV)
	@$(CLI) tables --wave $(WAVE)
	@mkdir -p $(dir $@) && touch $@

$(BUILD)/results.csv: $(TABLES_DONE)
	@test -f $@ || $(CLI) tables --wave $(WAVE)

# `make tables` computes the tables when an input of theirs changed and publishes them on their own.
tables: $(BUILD)/results.csv
	@$(call publish_file,$(BUILD)/results.csv,$(PUBLISHED))
	@if [ -f '$(BUILD)/changes.csv' ]; then $(call publish_file,$(BUILD)/changes.csv,$(PUBLISHED)); fi

# The notebooks run in one command, one kernel per core, each kernel kept for several notebooks (notebooks.py).
# Which notebooks run follows from what changed since the last successful run ($?): a notebook or its commentary
# template re-runs that notebook; an input of the about notebook only (about.py) re-runs it; an input of the
# findings only (report.yml, the shared notebook, the finding and chart code) re-runs the eight findings; anything
# else (the tables, the code they share), and an executed notebook that has gone missing, re-runs what needs it.
ABOUT_ONLY := $(PKG)/findings/about.py
FINDINGS_ONLY := report/report.yml $(FINDING_NB) report/findings/_changes.md.j2 $(PKG)/findings/finding.py \
	$(PKG)/findings/charts.py
OWN_INPUTS := $(ABOUT_NB) $(OWN_FINDING_NBS) $(FINDING_TEMPLATES)
notebooks_to_run = $(sort \
	$(if $(filter-out $(OWN_INPUTS) $(ABOUT_ONLY) $(FINDINGS_ONLY) FORCE,$(1)),$(ALL_NBS)) \
	$(if $(filter $(ABOUT_ONLY),$(1)),$(ABOUT_NB)) \
	$(if $(filter $(FINDINGS_ONLY),$(1)),$(FINDING_NBS)) \
	$(filter $(ALL_NBS),$(1)) \
	$(patsubst report/findings/%.md.j2,notebooks/%.ipynb,$(filter $(FINDING_TEMPLATES),$(1))) \
	$(addprefix notebooks/,$(notdir $(MISSING_NBS))))
MISSING_NBS = $(filter-out $(wildcard $(EXECUTED_NBS)),$(EXECUTED_NBS))

notebooks: $(NOTEBOOKS_DONE)

# (The notebooks read the wave's description, the codebook and the published figures as well as the tables.)
$(NOTEBOOKS_DONE): $(BUILD)/results.csv $(WAVE_INPUTS) $(wildcard $(DATA)/targets.csv) $(OWN_INPUTS) \
		$(FINDINGS_ONLY) $(ABOUT_CODE) $(FINDING_CODE) $(if $(MISSING_NBS),FORCE) | $(ENV)
	@$(CLI) notebooks --wave $(WAVE) --figures-dir $(FIGURES_DIR) --stamp $@ $(call notebooks_to_run,$?)

# The publishable report: essays, findings, methods and tables merged into one HTML file, then the PDF.
PUBLISH_CODE := $(FINDING_CODE) $(PUBLISH_STAGE_CODE) $(shell find $(PKG)/templates $(PKG)/assets -type f)
REPORT_HTML := $(BUILD)/collaborative-citizen-$(WAVE).html
REPORT_PDF := $(BUILD)/collaborative-citizen-$(WAVE).pdf
REPORT_XLSX := $(BUILD)/collaborative-citizen-$(WAVE)-tables.xlsx

# The workbook needs only the tables, but waits for the notebooks (without depending on them): it is then written
# beside the HTML step, which keeps one core busy, instead of slowing the notebooks, which keep every core busy.
$(REPORT_XLSX): $(BUILD)/results.csv report/report.yml $(WAVE_INPUTS) $(FINDING_CODE) $(PUBLISH_STAGE_CODE) \
		| $(ENV) $(NOTEBOOKS_DONE)
	@$(PUBLISH) xlsx --wave $(WAVE)

# The HTML and the tagged PDF/UA-1 PDF made from it, in one process (one start-up for both; publish/pdf.py).
$(REPORT_HTML) $(REPORT_PDF) &: $(NOTEBOOKS_DONE) $(BUILD)/results.csv report/report.yml \
		$(wildcard report/commentary/*.md) $(WAVE_INPUTS) $(wildcard $(DATA)/targets.csv) $(PUBLISH_CODE) | $(ENV)
	@$(PUBLISH) html pdf --wave $(WAVE)

# The HTML alone, in the work tree (make preview rebuilds it on every save): the notebooks as needed, then the
# HTML step. Nothing is published; `make report` then adds the PDF and the workbook and publishes them all.
html: $(NOTEBOOKS_DONE) | $(ENV)
	@$(PUBLISH) html --wave $(WAVE)

# A live preview of the wave's report on 127.0.0.1 (README, "Previewing while you write"); Ctrl-C stops it.
preview: | $(ENV)
	@MAKEFLAGS= $(CLI) preview --wave $(WAVE) DATA_DIR=$(DATA_DIR) BUILD_ROOT=$(BUILD_ROOT)

# The last line says where the report is, and whether this run changed it.
report: $(REPORT_PDF) $(REPORT_XLSX)
	@if diff -rq '$(BUILD)' '$(PUBLISHED)' >/dev/null 2>&1; then state=up; else state=new; fi; \
	if [ $$state = new ]; then $(call promote,$(BUILD),$(PUBLISHED)); fi; \
	if [ -d '$(FIGURES_DIR)/$(WAVE)' ]; then $(call promote,$(FIGURES_DIR)/$(WAVE),$(PUBLISHED_FIGURES)); fi; \
	if [ $$state = up ]; then echo "report: $(WAVE): up to date, unchanged in $(PUBLISHED)/"; \
	else echo "report: $(WAVE): published in $(PUBLISHED)/ (collaborative-citizen-$(WAVE).html, .pdf, -tables.xlsx)"; fi

# Lint and layout, as CI checks them (pyproject.toml's [tool.ruff]); `ruff format src tests tools benchmarks` fixes the
# layout.
lint: $(ENV)
	@$(VENV)/bin/ruff check src tests tools benchmarks
	@$(VENV)/bin/ruff format --check --quiet src tests tools benchmarks

# axe-core (accessibility rules) for the browser tests, from npm, once.
AXE_JS := .cache/axe/node_modules/axe-core/axe.min.js
$(AXE_JS):
	@echo "test: installing axe-core from npm into .cache/axe"
	@npm install --silent --no-save --no-audit --no-fund --prefix .cache/axe axe-core@4.14.1 >/dev/null

# Three workers, each taking whole test modules (a module's fixtures are built once): on two cores a third
# worker keeps both busy while another waits for a build it shares or for a single-threaded step. Modules go
# out in file order (not largest first), so test_agency_wave, whose fixture builds four reports, starts at once
# instead of last (measured in the same minutes: 2 min 30 s against 2 min 54 s).
test: $(ENV) $(AXE_JS)
	@echo "test: running the test suite"
	@MAKEFLAGS= $(PY) -m pytest -n 3 --dist loadfile --no-loadscope-reorder

# The tests that build nothing (statistics, tables, loading, validation, sanitising ...), for the edit loop.
test-fast: $(ENV)
	@echo "test-fast: running the tests that build no report"
	@MAKEFLAGS= $(PY) -m pytest -m "not slow"

# Regenerates every reconstructed respondent file (2014, 2015) and its targets.csv from reconstruction.yml.
reconstruct: $(ENV)
	@for dir in $(sort $(dir $(wildcard data/waves/*/reconstruction.yml))); do \
		$(PY) tools/reconstruction.py --wave-dir $$dir --codebook data/codebook.yml || exit 1; done

clean:
	rm -rf report/build figures/*/ $(BUILD_ROOT)/.work

# Speed and memory: builds on a scratch copy, tables for synthetic waves up to 1,000,000 respondents.
# Writes benchmarks/results/latest.json; BENCH_ARGS=--quick for a short run.
bench: $(ENV)
	@MAKEFLAGS= $(PY) benchmarks/bench.py $(BENCH_ARGS)

# The project against its peers (papermill and nbconvert one and two at a time, Jupyter Book 2, the in-process
# lower bound), alternating run by run; installs Jupyter Book into a scratch environment from the package index.
# Writes benchmarks/results/peers.json and the side-by-side table in docs/performance.md.
bench-peers: $(ENV)
	@MAKEFLAGS= $(PY) benchmarks/peers.py $(BENCH_ARGS)
