# Two commands for a newcomer: `make demo` and `make test`. Each sets up what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo test check lint tools sandbox benchmark screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test,sandbox]'
	touch $(STAMP)

# Bytecode written once: this machine's environment sets PYTHONDONTWRITEBYTECODE, and compiling
# every module at each start costs the console's launch about 130 ms. Quick when nothing changed.
setup: $(STAMP)
	@$(PY) -m compileall -q -j0 tui widgets kube_sandbox

demo: setup tools
	$(VENV)/bin/rollback-console demo

sandbox: setup
	$(VENV)/bin/rollback-console sandbox serve --seed eli-maor --speed 20 --kubeconfig-out .cache/sandbox.kubeconfig

tools: setup
	$(PY) scripts/fetch_tools.py

test: setup tools lint
	$(PY) -m pytest

# The fast lane (under a minute, no tool download): the unit tests and the ui tests marked offline
# (snapshots and Pilot tests on the fixed recorded state; no sandbox process, no kubectl or helm).
check: setup lint
	$(PY) -m pytest -q -m offline tests/unit tests/ui

# Which way imports run (pyproject.toml's import-linter contracts) and ruff's rules.
lint: setup
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .

benchmark: setup tools
	$(PY) benchmarks/sandbox_scale.py
	$(PY) benchmarks/metrics_scrape.py
	$(PY) benchmarks/metrics_view.py
	$(PY) benchmarks/helm_history.py
	$(PY) benchmarks/audit_log.py

screenshots: setup
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .tools .cache .pytest_cache
