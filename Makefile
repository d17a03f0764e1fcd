# Two commands do all set-up on a fresh machine:
#   make report   virtual environment + install + whole pipeline on the demo series + HTML report
#   make test     virtual environment + install + test suite (without the tests marked slow)
# 'make test-all' runs every test, the slow ones too (what CI runs).
# The environment is installed from requirements.lock (every package at the version the report
# was made with); 'make lock' writes that file anew from pyproject.toml.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock

.PHONY: report test test-all lint lock clean-data

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed (set PYTHON=...)" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip >&2
	@$(BIN)/python -m pip install --quiet -r $(LOCK) >&2
	@$(BIN)/python -m pip install --quiet --no-deps -e . >&2
	@touch $(STAMP)

lock:
	@rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	@.venv-lock/bin/python -m pip install --quiet --upgrade pip >&2
	@.venv-lock/bin/python -m pip install --quiet '.[test]' >&2
	@{ echo "# Exact versions of every package of 'make report' and 'make test' (written by 'make lock')."; \
	   echo "# $$(.venv-lock/bin/python --version); pandoc $$(.venv-lock/bin/python -c 'import pypandoc; print(pypandoc.get_pandoc_version())') (pypandoc-binary)"; \
	   .venv-lock/bin/python -m pip freeze --exclude-editable | grep -v '^rapportage-inburgering'; } > $(LOCK)
	@rm -rf .venv-lock build *.egg-info
	@echo "wrote $(LOCK)"

report: $(STAMP)
	@$(BIN)/rapportage run --demo

# ruff and mypy on the package (mypy imports it as rapportage: a link in the venv names the folder)
lint: $(STAMP)
	@$(BIN)/ruff check --quiet analysis notebooks
	@mkdir -p $(VENV)/mypy-path && ln -sfn ../../analysis $(VENV)/mypy-path/rapportage
	@MYPYPATH=$(VENV)/mypy-path $(BIN)/mypy --cache-dir $(VENV)/mypy-cache -p rapportage

# pyproject.toml leaves out the tests marked slow; test-all selects them again. Exit code 5
# (pytest collected no tests) is not a failure.
PYTEST = @$(BIN)/python -m pytest $(1); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

test: lint
	$(call PYTEST,)

test-all: lint
	$(call PYTEST,-m "slow or not slow")

clean-data:
	rm -rf data_clean/demo-* data_raw/demo-* reports/_output
