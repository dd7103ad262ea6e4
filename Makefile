# Two commands from a clean clone: `make demo` and `make test`.
# torch is installed first, pinned to the CPU build, so that resolving the package's
# dependencies finds it already satisfied and never pulls a multi-GB CUDA build.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TORCH  ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-gpu lint format bench clean browser

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: setup
	$(BIN)/trainwise demo

test: setup lint browser
	$(BIN)/pytest

# The CUDA tests (tests/gpu/, marker `gpu`): on a machine with a GPU and a CUDA build of torch
# (`make setup TORCH="torch==2.13.0 --index-url https://download.pytorch.org/whl/cu128"`).
# Without CUDA they are skipped, here and in `make test`.
test-gpu: setup
	$(BIN)/pytest -m gpu tests/gpu -v

# Headless Chromium for the report's browser test (tests/report/browser_test.py), from
# Debian's package; skipped when already installed. apt needs root: sudo is used only when
# not root and sudo exists. Without Chromium the browser test is skipped, not failed.
SUDO := $(shell [ "$$(id -u)" -ne 0 ] && command -v sudo >/dev/null && echo sudo)
browser:
	command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends chromium)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: setup
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: setup
	$(BIN)/python bench/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist src/*.egg-info
