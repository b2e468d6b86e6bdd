# Set-up and everyday commands. Every target creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test fast lint bench clean

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
	  { $(PYTHON) -m pip install --user --quiet virtualenv && $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## demo: the main job: compare the six Total Commerce maturity phases (KPI table with 95%
## confidence intervals and paired differences, tidy CSV/Parquet and a slide figure in results/)
demo: $(STAMP)
	$(BIN)/omnisim compare --ladder total-commerce --out results
	$(BIN)/omnisim plot results/compare-total-commerce/seed-1
	$(BIN)/omnisim report results/compare-total-commerce/seed-1

## browser: Debian's headless Chromium and its driver, for the workshop's end-to-end test;
## installed with apt-get when /usr/bin/chromium is missing (as root, or with sudo)
.PHONY: browser
browser:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; \
	else echo "make browser: /usr/bin/chromium is missing and installing it needs root or" \
	  "sudo; the workshop's browser test will be skipped (and fail under CI=true)" >&2; \
	  exit 0; fi; \
	echo "make browser: installing Debian's chromium and chromium-driver" >&2; \
	$$SUDO apt-get update -qq && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

## test: lint (ruff, mypy) and the whole suite, slow statistical validations and system tests
## included (what CI runs)
test: $(STAMP) browser
	$(BIN)/python -m ruff check sim analysis tests benchmarks
	$(BIN)/python -m mypy
	$(BIN)/python -m pytest -n 2 -q

## fast: the suite without the slow validations and the system tests (under 90 s on 2 cores)
fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow and not system"

## lint: ruff on everything, mypy (the pinned version, settings in pyproject.toml) on sim/ and
## analysis/
lint: $(STAMP)
	$(BIN)/python -m ruff check sim analysis tests benchmarks
	$(BIN)/python -m mypy

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

## bench: performance benchmarks (not tests): tables on the terminal, JSON in results/benchmarks/;
## BENCH_AGAINST=<commit> also times the journey benchmark on that commit and reports the ratio
bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/journey.py $(if $(BENCH_AGAINST),--against $(BENCH_AGAINST))
	$(BIN)/python benchmarks/scaling.py
	$(BIN)/python benchmarks/parallel.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
