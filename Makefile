# The two set-up commands of the README: `make book` and `make test`.
# Both create .venv and install the project into it first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BUILD  := _build
NB_DIR := $(BUILD)/nbtest
# Fashion-MNIST's offline copy beside the repository (CI's), when it is there.
SHARED_DATA := $(abspath ../shared/data)
ifneq ($(wildcard $(SHARED_DATA)/FashionMNIST/raw),)
export D2LCORE_DATA ?= $(SHARED_DATA)
endif
# Trained sections record their results here; the results page reads them.
export D2LCORE_RESULTS ?= $(abspath $(BUILD))/results
# Keep matplotlib's and other caches inside the build folder.
export MPLCONFIGDIR := $(abspath $(BUILD))/.mplconfig

.PHONY: help venv book book-strict test lint unit nbtest clean site-test binder-test serve pdf lab

# `make help` lists every target that has a `## what it does` comment on its line (a test
# checks that every target has one).
help: ## list the targets
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/\1\t\2/' | \
	  awk -F'\t' '{printf "make %-12s %s\n", $$1, $$2}'

# $(call make-venv,DIR,FIRST): a virtual environment in DIR with d2lcore installed editable with
# the book and test tools, held to _ext/constraints.txt (the Sphinx packages the extensions patch)
# and to DIR/constraints.txt (FIRST, installed first, e.g. an older torch; empty: none). The
# rule's target is DIR/.installed.
define make-venv
	$(PYTHON) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
	printf '%s\n' $(2) > $(1)/constraints.txt
	$(if $(2),$(1)/bin/python -m pip install --quiet $(2))
	$(1)/bin/python -m pip install --quiet -c _ext/constraints.txt -c $(1)/constraints.txt -e ".[book,dev]"
	$(1)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@
endef

# $(call run-notebooks,DIR,DEST,PAGES): the pages (paths under chapters/, without .md) as
# notebooks under DEST (Jupytext, same folders), run by nbval in the quick mode with DIR's Python.
define run-notebooks
	rm -rf $(2) && mkdir -p $(2)
	for nb in $(3); do \
	  mkdir -p $(2)/$$(dirname $$nb) && \
	  $(1)/bin/jupytext --quiet --to ipynb -o $(2)/$$nb.ipynb chapters/$$nb.md || exit 1; \
	done
	D2LCORE_QUICK=1 $(1)/bin/python -m pytest --nbval-lax -p no:randomly -o addopts="" --rootdir $(2) $(2)
endef

$(VENV)/.installed: pyproject.toml
	$(call make-venv,$(VENV),)

venv: $(VENV)/.installed ## create .venv and install d2lcore with the book and test tools

book: venv ## build the website (full mode) into _build/html
	$(VENV)/bin/jupyter-book build . --path-output .
	@echo "The website is in $(abspath $(BUILD))/html: open $(abspath $(BUILD))/html/index.html"

# Strict build on a clean build folder: warnings are errors, a failing cell fails the build.
# It runs in the quick mode, whose execution cache is its own (_build/.jupyter_cache_quick, chosen
# by _ext/d2l_site/execution.py), so it never mixes with full outputs.
book-strict: export D2LCORE_QUICK = 1
book-strict: venv ## build the website in the quick mode, warnings as errors (CI)
	rm -rf $(BUILD)/html $(BUILD)/.doctrees $(BUILD)/jupyter_execute $(BUILD)/.jupyter_cache_quick
	$(VENV)/bin/jupyter-book build . --path-output . -n -W --keep-going

lint: venv ## ruff over the Python code, with the rules pyproject.toml selects
	$(VENV)/bin/ruff check .

unit: venv ## d2lcore's unit tests
	$(PY) -m pytest tests --ignore=tests/browser

# The built website in a real browser (Debian's chromium driven by Playwright): every page of
# _toc.yml loads with all its assets, typeset math, no request off the site, working navigation
# and search. Run after `make book-strict` (CI) or `make book`.
site-test: venv ## check the built website in a real browser (after book or book-strict)
	D2L_SITE_TEST=1 D2L_REQUIRE_CAPTIONS=1 $(PY) -m pytest -p no:randomly -o addopts="" -q -rs tests/browser/test_site*.py

# The Binder environment built from binder/ in a fresh virtual environment, executing a notebook.
binder-test: venv ## build the Binder environment in a fresh venv and run a notebook there
	D2L_BINDER_TEST=1 D2LCORE_QUICK=1 $(PY) -m pytest -p no:randomly -o addopts="" -q -rs tests/browser/test_binder_env.py

# The whole book as one PDF: every page of _toc.yml printed by chromium from the built website
# (run `make book` or `make book-strict` first), merged behind a linked contents page, with
# bookmarks; also copied to $(BUILD)/html/book.pdf, which each page's download menu links.
pdf: venv ## the built website as one PDF, _build/pdf/book.pdf (after book or book-strict)
	$(PY) tools/book_pdf.py --html $(BUILD)/html --out $(BUILD)/pdf/book.pdf
	D2L_PDF_TEST=1 $(PY) -m pytest -p no:randomly -o addopts="" -q -rs tests/browser/test_pdf.py

# JupyterLab on the repository, each page (.md) opening as a notebook through Jupytext
# (JupyterLab's settings for this session live in $(BUILD)/lab-settings). LAB_ARGS adds options,
# e.g. LAB_ARGS="--no-browser --port 8890".
LAB_SETTINGS := $(abspath $(BUILD))/lab-settings
LAB_ARGS ?=
lab: venv ## JupyterLab on the repository, every page opening as a notebook (Jupytext)
	mkdir -p $(LAB_SETTINGS)/@jupyterlab/docmanager-extension
	printf '%s\n' '{"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}' \
	  > $(LAB_SETTINGS)/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings
	JUPYTERLAB_SETTINGS_DIR=$(LAB_SETTINGS) $(VENV)/bin/jupyter lab --ServerApp.root_dir=$(CURDIR) $(LAB_ARGS)

# Read the built website at http://127.0.0.1:8000 (math, search and figures all served locally),
# gzip-compressed as a web host would (tools/serve.py).
serve: ## serve the built website at http://127.0.0.1:8000 (gzip)
	$(PY) tools/serve.py --directory $(BUILD)/html --port 8000

# Every page with code: the sections (chapters/chNN_*/chNN_*.md) and the appendix pages.
NOTEBOOKS := $(sort $(patsubst chapters/%.md,%,$(wildcard chapters/*/ch*.md chapters/appendix/*.md)))
nbtest: venv ## run every notebook under nbval (quick mode)
	$(call run-notebooks,$(VENV),$(NB_DIR),$(NOTEBOOKS))

test: export D2LCORE_QUICK = 1
test: lint unit nbtest ## every test: unit tests and nbval over every notebook (quick mode)

# Speed (benchmarks/README.md): d2lcore's fit against the book's d2l package, side by side, then
# every notebook timed in the quick mode (BENCH_NOTEBOOKS=--full adds the full mode, about half
# an hour). d2l goes in with --no-deps (its exact pins would replace torch and numpy), beside the
# packages its torch module imports.
BENCH_ARGS ?=
BENCH_NOTEBOOKS ?=
# The book's LeNet cell also runs on d2l==0.17.6 (what d2l-zh 2.0 installs), which cannot share
# site-packages with 1.0.3: it goes into its own folder, and the bench imports it from there.
D2L_BOOK := $(BUILD)/bench/d2l-0.17.6
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet pandas scipy requests matplotlib-inline
	$(PY) -m pip install --quiet --no-deps d2l==1.0.3
	touch $@

$(D2L_BOOK)/d2l/torch.py: | $(VENV)/.installed
	$(PY) -m pip install --quiet --no-deps --target $(D2L_BOOK) d2l==0.17.6

.PHONY: bench
bench: $(VENV)/.bench-installed $(D2L_BOOK)/d2l/torch.py ## d2lcore's training speed against the book's d2l, and notebook times
	$(PY) benchmarks/bench_training.py --d2l-book $(D2L_BOOK) $(BENCH_ARGS)
	$(PY) benchmarks/time_notebooks.py $(BENCH_NOTEBOOKS)

# The oldest torch/torchvision pair that pyproject.toml admits, in its own virtual environment:
# the unit tests and a few notebooks run there (CONTRIBUTING.md records the last run). Not in
# CI: PyPI's Linux wheels of old torch releases are CUDA builds (about 5 GB with their nvidia
# libraries), which the CPU uses as they are.
COMPAT_VENV  := .venv-compat
COMPAT_TORCH ?= torch==2.4.1 torchvision==0.19.1
COMPAT_NOTEBOOKS := ch03_linear_networks/ch03_06_softmax_regression_scratch \
  ch06_convolutional_networks/ch06_06_lenet ch07_modern_cnns/ch07_06_resnet
$(COMPAT_VENV)/.installed: pyproject.toml
	$(call make-venv,$(COMPAT_VENV),$(COMPAT_TORCH))

.PHONY: compat
compat: $(COMPAT_VENV)/.installed ## unit tests and three notebooks on the oldest torch pyproject admits
	$(COMPAT_VENV)/bin/python -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
	D2LCORE_QUICK=1 $(COMPAT_VENV)/bin/python -m pytest tests --ignore=tests/browser -q -p no:randomly
	$(call run-notebooks,$(COMPAT_VENV),$(BUILD)/compat,$(COMPAT_NOTEBOOKS))

clean: ## remove build outputs (keeps .venv)
	rm -rf $(BUILD)

# Two notebooks of the download menu, run where they land: a fresh virtual environment with
# torch, nbclient and `pip install` of this checkout (tests/browser/test_site_downloads.py).
.PHONY: download-test
download-test: venv ## run two downloaded notebooks in a fresh venv (after book or book-strict)
	D2L_DOWNLOAD_TEST=1 $(PY) -m pytest -p no:randomly -o addopts="" -q -rs tests/browser/test_site_downloads.py
