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

.PHONY: help venv book book-strict test unit nbtest clean site-test binder-test serve

help:
	@echo "make book   - build the website (full mode) into $(BUILD)/html"
	@echo "make test   - unit tests and every notebook under nbval (quick mode)"
	@echo "make bench  - d2lcore's training speed against the book's d2l, and notebook times"
	@echo "make serve  - serve the built website at http://127.0.0.1:8000"
	@echo "make clean  - remove build outputs (keeps .venv)"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

venv: $(VENV)/.installed

book: venv
	$(VENV)/bin/jupyter-book build . --path-output .
	@echo "The website is in $(abspath $(BUILD))/html: open $(abspath $(BUILD))/html/index.html"

# Strict build on a clean build folder: warnings are errors, a failing cell fails the build.
# It runs in the quick mode with its own execution cache, so it never mixes with full outputs.
book-strict: export D2LCORE_QUICK = 1
book-strict: venv
	rm -rf $(BUILD)/html $(BUILD)/.doctrees $(BUILD)/jupyter_execute $(BUILD)/.jupyter_cache_quick
	mkdir -p $(BUILD)
	sed -e 's|cache: _build/.jupyter_cache$$|cache: _build/.jupyter_cache_quick|' \
	    -e 's|d2l_site: _ext$$|d2l_site: $(CURDIR)/_ext|' _config.yml > $(BUILD)/_config_quick.yml
	$(VENV)/bin/jupyter-book build . --path-output . --config $(BUILD)/_config_quick.yml -n -W --keep-going

unit: venv
	$(PY) -m pytest tests --ignore=tests/browser

# The built website in a real browser (Debian's chromium driven by Playwright): every page of
# _toc.yml loads with all its assets, typeset math, no request off the site, working navigation
# and search. Run after `make book-strict` (CI) or `make book`.
site-test: venv
	D2L_SITE_TEST=1 D2L_REQUIRE_CAPTIONS=1 $(PY) -m pytest -p no:randomly -o addopts="" -q -rs tests/browser/test_site.py

# The Binder environment built from binder/ in a fresh virtual environment, executing a notebook.
binder-test: venv
	D2L_BINDER_TEST=1 D2LCORE_QUICK=1 $(PY) -m pytest -p no:randomly -o addopts="" -q -rs tests/browser/test_binder_env.py

# Read the built website at http://127.0.0.1:8000 (math, search and figures all served locally).
serve:
	$(PY) -m http.server --bind 127.0.0.1 --directory $(BUILD)/html 8000

nbtest: venv
	rm -rf $(NB_DIR) && mkdir -p $(NB_DIR)
	cd chapters && find . -name 'ch*.md' | while read f; do \
	  mkdir -p "../$(NB_DIR)/$$(dirname $$f)"; \
	  ../$(VENV)/bin/jupytext --quiet --to ipynb -o "../$(NB_DIR)/$${f%.md}.ipynb" "$$f" || exit 1; \
	done
	D2LCORE_QUICK=1 $(PY) -m pytest --nbval-lax -p no:randomly -o addopts="" --rootdir $(NB_DIR) $(NB_DIR)

test: export D2LCORE_QUICK = 1
test: unit nbtest

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
bench: $(VENV)/.bench-installed $(D2L_BOOK)/d2l/torch.py
	$(PY) benchmarks/bench_training.py --d2l-book $(D2L_BOOK) $(BENCH_ARGS)
	$(PY) benchmarks/time_notebooks.py $(BENCH_NOTEBOOKS)

clean:
	rm -rf $(BUILD)
