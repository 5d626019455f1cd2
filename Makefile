# Two commands for everyone:   make lab    (open the module in JupyterLab)
#                              make test   (run the whole test suite)
# Both create or update the virtual environment in .venv only when its inputs changed.

PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8888
BIN     = $(VENV)/bin
STUDENT_STAMP = $(VENV)/.installed-student
TEST_STAMP    = $(VENV)/.installed-test

# Prefer the kernels and settings of .venv over any in the user's home folder.
export JUPYTER_PREFER_ENV_PATH = 1
export MPLBACKEND = Agg

# JupyterLab refuses to run as root without --allow-root; with no display there is no browser to open.
LAB_FLAGS = --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) --ServerApp.root_dir=.
ifeq ($(shell id -u),0)
LAB_FLAGS += --allow-root
endif
ifeq ($(strip $(DISPLAY)$(WAYLAND_DISPLAY)),)
ifneq ($(shell uname -s),Darwin)
LAB_FLAGS += --no-browser
endif
endif

.PHONY: lab test quick lock handouts venv venv-test lint unit notebooks exercises execute present mark html clean help

help:
	@echo "make lab      open notebooks/00-start-here.ipynb in JupyterLab (creates .venv when needed)"
	@echo "make test     run the whole test suite (creates .venv with the test tools when needed)"
	@echo "make present  serve the timeline explorer as an app (code hidden) for a projector"
	@echo "make mark     mark the reflection answers of a graded class (RESULTS=results/01) in an app"
	@echo "make html     build the static student site in site/ (to publish) and the teacher site in site-teachers/"
	@echo "make handouts print-ready document handouts per chapter and a teacher key in handouts/"
	@echo "make quick    lint and the fast unit tests (under a minute): the edit loop"
	@echo "make lock     re-resolve every pinned package (requirements*.txt, environment.yml) with uv"

# etc/jupyter/jupyter_server_config.json: the file browser hides exercises/reference/ and exercises/keys/, and
# JupyterLab's news and update check are off (LabApp.news_url=None); etc/jupyter/labconfig/page_config.json disables
# the announcements plug-in, whose "official Jupyter news" question covered the notebook. Binder applies the same
# files through ./start.
lab: $(STUDENT_STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/etc/jupyter$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(BIN)/jupyter lab notebooks/00-start-here.ipynb $(LAB_FLAGS)

# The timeline explorer as a Voila app for a projector: code hidden, on 127.0.0.1 only. Its template
# (etc/jupyter/voila/templates/t40-projector) is Voila's lab template without the stylesheets from a CDN: nothing
# is fetched from outside the machine.
VOILA_FLAGS = --Voila.ip=127.0.0.1 --port=$(PORT)
ifeq ($(strip $(DISPLAY)$(WAYLAND_DISPLAY)),)
ifneq ($(shell uname -s),Darwin)
VOILA_FLAGS += --no-browser
endif
endif

present: $(STUDENT_STAMP)
	JUPYTER_PATH="$(CURDIR)/etc/jupyter$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
	  $(BIN)/voila teachers/timeline-app.ipynb --template=t40-projector $(VOILA_FLAGS)

# The reflection-marking app for the results folder of one graded exercise (a relative RESULTS is taken from here).
RESULTS ?= results/01
mark: $(STUDENT_STAMP)
	@case "$(RESULTS)" in /*) results="$(RESULTS)";; *) results="$(CURDIR)/$(RESULTS)";; esac; \
	echo "marking the reflections in $$results"; \
	TROTSKY1940_RESULTS="$$results" $(BIN)/voila teachers/mark-reflections.ipynb $(VOILA_FLAGS)

# Two static sites (no kernel needed), with the saved widget state: site/ for students (the one to publish) and
# site-teachers/, which adds the teacher guide, the model answers and the instructor notes (never publish it).
html: $(STUDENT_STAMP)
	$(BIN)/python -m trotsky1940 build-site --audience student --out site
	$(BIN)/python -m trotsky1940 build-site --audience teacher --out site-teachers

# Print-ready handouts: each chapter's documents with an analysis table and the source-criticism table, and a key.
handouts: $(STUDENT_STAMP)
	$(BIN)/python -m trotsky1940.authoring.handouts --out handouts

# The full lock. requirements.in and requirements-test.in hold the module's direct choices; uv resolves every
# package under them, for Python 3.10 and newer on every platform, with one version per package where one fits all
# (--fork-strategy fewest), into requirements.txt and requirements-test.txt; environment.yml (Binder) is then made
# from requirements.txt. Run it after changing an .in file, then `make test` (which reinstalls from the lock).
UV_VERSION = 0.13.9
UV = .cache/uv/bin/uv
UV_COMPILE = $(UV) pip compile --universal --python-version 3.10 --fork-strategy fewest \
             --excludes requirements-excludes.txt --custom-compile-command "make lock" --quiet
# Each lock is compiled into .cache/lock/ (starting from the committed pins, which uv keeps where they still fit)
# and copied over only when it changed, so an unchanged lock keeps its time stamp and nothing is reinstalled.
lock:
	@[ -x $(UV) ] || { $(PYTHON) -m venv .cache/uv && .cache/uv/bin/python -m pip install --quiet uv==$(UV_VERSION); }
	@mkdir -p .cache/lock
	@for name in requirements requirements-test; do \
	  cp $$name.txt .cache/lock/$$name.txt 2>/dev/null || true; \
	  $(UV_COMPILE) $$name.in -o .cache/lock/$$name.txt || exit 1; \
	  if cmp -s .cache/lock/$$name.txt $$name.txt; then echo "$$name.txt is up to date"; \
	  else cp .cache/lock/$$name.txt $$name.txt; echo "wrote $$name.txt"; fi; \
	done
	PYTHONPATH=src $(PYTHON) -m trotsky1940.authoring.lock --lock requirements.txt --out environment.yml

venv: $(STUDENT_STAMP)
venv-test: $(TEST_STAMP)

# Installs go through uv (pinned; bootstrapped with pip into .cache/uv the first time), which installs the whole
# lock in seconds and reuses its download cache (~/.cache/uv) across checkouts. `make lab INSTALLER=pip` uses pip
# instead; so does any failure to get or run uv (a mirror only pip is set up for, say): slower, the same pins
# (--no-deps: each lock is complete). requirements-excludes.txt names what is kept out of the locks, and why.
# Both write bytecode at install (uv only when asked: --compile-bytecode): the grading sandboxes run as a uid that
# cannot write __pycache__, and without it every submission's kernel compiles its imports again (about 1.3 s).
INSTALLER ?= uv
define install
	@if [ "$(INSTALLER)" = uv ] && { [ -x $(UV) ] || { $(PYTHON) -m venv .cache/uv && \
	     .cache/uv/bin/python -m pip install --quiet uv==$(UV_VERSION); } >/dev/null 2>&1; } && \
	   $(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --excludes requirements-excludes.txt \
	     $(1); then \
	  echo "installed $(1) (uv)"; \
	else echo "installing $(1) with pip"; $(BIN)/python -m pip install --quiet --no-deps $(1); fi
endef

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed; found " + sys.version.split()[0])'
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV). On Debian/Ubuntu: sudo apt-get install python3-venv"; rm -rf $(VENV); exit 1; }

$(STUDENT_STAMP): requirements.txt requirements-excludes.txt pyproject.toml | $(VENV)/bin/python
	$(call install,-r requirements.txt)
	$(call install,--no-deps --editable .)
	@$(BIN)/python -m compileall -q src >/dev/null || true
	@touch $@

$(TEST_STAMP): requirements-test.txt $(STUDENT_STAMP)
	$(call install,-r requirements-test.txt)
	@touch $@

# The nbval runs of the notebooks and exercise references (`make notebooks`, `make exercises`) are two tests of
# the unit suite (tests/test_nbval.py), so that they run beside the other tests in the workers.
test: lint unit

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks exercises

# The unit tests run in 2 pytest-xdist workers on a machine with 2 or more cores (one process on one core, or with
# `make test WORKERS=0`). --dist loadgroup keeps the sandbox tests in one worker, one after another, and makes each
# costly fixture once (tests/conftest.py, CONTRIBUTING.md). On 2 cores this takes about 225-240 s; the suite's CPU
# time is the floor (about 390-430 CPU-s, so 195-215 s), more workers only add contention.
# benchmarks/bench_suite.py measures each phase of `make test` in wall and CPU time, and how the workers were used.
# (nproc counts the cores this process may use, as in a container limited to one; macOS has sysctl instead)
WORKERS ?= $(shell n=$$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1); [ "$$n" -ge 2 ] 2>/dev/null && echo 2 || echo 0)
unit: $(TEST_STAMP)
	$(BIN)/python -m pytest --durations=15 --numprocesses=$(WORKERS) --dist=loadgroup

# The edit loop: lint and the unit tests that start no server, kernel or browser (under a minute).
quick: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks notebooks exercises
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow and not browser" --numprocesses=2

# Narrative notebooks: lax (errors, plus cells tagged nbval-check-output). Both nbval runs go through tests/offline
# (a network namespace with only loopback): each notebook runs once per `make test` (from tests/test_nbval.py), and
# that run proves it works with no network.
notebooks: $(TEST_STAMP)
	tests/offline $(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-sanitize-with tests/nbval-sanitize.cfg notebooks

# Exercise reference notebooks: strict (every stored output must be reproduced).
exercises: $(TEST_STAMP)
	@if ls exercises/reference/*.ipynb >/dev/null 2>&1; then \
	  tests/offline $(BIN)/python -m pytest -p no:cacheprovider --nbval --nbval-sanitize-with tests/nbval-sanitize.cfg exercises/reference; \
	else echo "exercises: no reference notebooks yet (exercises/reference/*.ipynb), nothing to run"; fi

# Re-run every notebook in a fresh kernel and save its outputs (do this after editing a notebook or data/).
execute: $(STUDENT_STAMP)
	$(BIN)/python -m trotsky1940 execute --inplace notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
