# facegan — two commands: `make book` (build the report) and `make test` (run every test).
# Both set up .venv from this repository's own files on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PROFILE ?= quick
DATA ?=
SEED ?=

.PHONY: book test venv clean smoke-book bench

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[book,test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

venv: $(VENV)/.installed

book: venv
	$(VENV)/bin/facegan book --profile $(PROFILE) $(if $(DATA),--data $(DATA),) $(if $(SEED),--seed $(SEED),)

test: venv
	$(PY) -m pytest -q tests notebooks --nbval-lax

bench: venv
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf _build work
