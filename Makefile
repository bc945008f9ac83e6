# Set-up in two commands: `make demo` and `make test` each build .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint system-deps bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 (or run make PYTHON=python3)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Every program and TeX file in symbackprop/system-deps.txt (TeX Live packages, Latin
# Modern, latexmk, poppler, Chromium, npm), installed with apt-get when running as root,
# as CI does; elsewhere it says what to install and those tests skip saying it too.
# Then KaTeX from npm into build/katex for HTML worksheets. See docs/setup.md.
system-deps:
	@bash scripts/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check symbackprop tests bench examples

test: $(STAMP) system-deps lint
	$(BIN)/python -m pytest

demo: $(STAMP) system-deps
	$(BIN)/symbackprop demo

bench: $(STAMP)
	$(BIN)/python bench/derive_scaling.py
	$(BIN)/python bench/gradient.py
	$(BIN)/python bench/gradient_access.py

clean:
	rm -rf $(VENV) artifacts build demo-output .pytest_cache .ruff_cache
