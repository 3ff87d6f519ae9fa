# The two commands of the README: `make demo` and `make test`.
# A Python >= 3.12 is found (python3.13, python3.12, then pyenv's versions).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
FIND_PYTHON := for c in python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then echo $$c; break; fi; done

.PHONY: demo test lint install install-test clean

$(VENV)/.installed: pyproject.toml
	@python=$$($(FIND_PYTHON)); \
	if [ -z "$$python" ]; then echo "error: Python >= 3.12 not found (tried python3.13, python3.12, pyenv)" >&2; exit 2; fi; \
	echo "using $$python"; \
	[ -x $(PY) ] || $$python -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

demo: install
	$(VENV)/bin/blueline compare default --out results/default

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: lint
	$(VENV)/bin/python -m pytest -q

clean:
	rm -rf $(VENV) results
