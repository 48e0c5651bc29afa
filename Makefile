# A newcomer needs two commands: `make demo` and `make test`. Both build .venv from the lock file
# when it is missing or older than the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed-from-lock
WORKDIR ?= ./dtoc-work

CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test bench screenshot browser clean

$(INSTALLED): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-deps --requirement requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --editable .
	$(BIN)/python -m pip check
	touch $@

demo: $(INSTALLED)
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/dtoc demo --workdir $(WORKDIR)

test: $(INSTALLED) browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONWARNINGS="ignore:resource_tracker:UserWarning" $(BIN)/sqlfluff lint sql  # .sqlfluff; two processes
	$(BIN)/python -m pytest -n 3 --dist loadgroup --no-loadscope-reorder  # three workers on two cores (flows wait on Prefect); tests marked long first, modules marked xdist_group on one worker

# Debian's Chromium for the dashboard's browser tests and screenshot (Playwright never downloads one).
browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

screenshot: $(INSTALLED) browser
	$(BIN)/python -m flows.screenshot --workdir $(WORKDIR)

bench: $(INSTALLED)
	$(BIN)/python bench/weekly.py
	$(BIN)/python bench/national.py
	$(BIN)/python bench/national_backfill.py
	$(BIN)/python bench/weekly_national.py
	$(BIN)/python bench/data_docs.py

clean:
	rm -rf $(WORKDIR) .pytest_cache
