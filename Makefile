# Set-up in two commands: `make demo` and `make test` each build .venv first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS := $(VENV)/.extras
TORCH_VERSION ?= 2.13.0

.PHONY: demo test lint system-deps bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 (or run make PYTHON=python3)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The optional extras (PyTorch, JAX) for the export tests; make test installs them,
# make demo does not need them. torch is pinned to the CPU build this machine keeps:
# an unpinned torch from PyPI is the CUDA build, several GB.
$(EXTRAS): $(STAMP)
	$(BIN)/pip install --quiet -e '.[torch,jax]' 'torch==$(TORCH_VERSION)'
	@touch $(EXTRAS)

# Every program and TeX file in symbackprop/system-deps.txt (TeX Live packages, Latin
# Modern, latexmk, poppler, Chromium, npm), installed with apt-get when running as root,
# as CI does; elsewhere it says what to install and those tests skip saying it too.
# Then KaTeX from npm into build/katex for HTML worksheets. See docs/setup.md.
system-deps:
	@bash scripts/install-system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check symbackprop tests bench examples

# Two workers, a test file each (the machines have 2 cores); `pytest` alone runs in one process.
test: $(EXTRAS) system-deps lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

demo: $(STAMP) system-deps
	$(BIN)/symbackprop demo

bench: $(EXTRAS)
	$(BIN)/python bench/derive_scaling.py
	$(BIN)/python bench/gradient.py
	$(BIN)/python bench/gradient_access.py
	$(BIN)/python bench/training.py

clean:
	rm -rf $(VENV) artifacts build demo-output .pytest_cache .ruff_cache
