# Set-up and everyday commands. Every target creates .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test fast lint clean

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

## test: the whole suite, slow statistical validations included (what CI runs)
test: $(STAMP)
	$(BIN)/python -m ruff check sim analysis tests
	$(BIN)/python -m pytest -n 2 -q

## fast: the suite without the slow validations
fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

lint: $(STAMP)
	$(BIN)/python -m ruff check sim analysis tests

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
