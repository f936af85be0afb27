# portal-reports — `make report` runs the main job, `make test` runs the checks.
# Each target installs what it needs into .venv (created on first use).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
MONTH    ?=
CUSTOMER ?=
OUT      ?= reports

RUN_ARGS := --out $(OUT) $(if $(MONTH),--month $(MONTH)) \
            $(if $(CUSTOMER),--customer $(CUSTOMER),--all-customers)

.PHONY: help install report email lab test lint format catalogs benchmark clean

help:  ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@scripts/check-system-libs
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(VENV)/.installed-lab: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[lab]'
	touch $@

install: $(VENV)/.installed  ## create .venv and install the package

# Over all customers, the agency's portfolio overview follows the run (also after a failed
# report, which it lists); the run's exit status is kept.
report: $(VENV)/.installed  ## write every customer's leads/revenue/ASR reports (HTML+PDF) and the portfolio; MONTH=, CUSTOMER= narrow it
	@status=0; $(BIN)/portal-reports run $(RUN_ARGS) || status=$$?; \
	if [ -z "$(CUSTOMER)" ] && [ $$status -le 1 ]; then \
	  $(BIN)/portal-reports portfolio --out $(OUT) $(if $(MONTH),--month $(MONTH)) || status=1; \
	fi; exit $$status

email: $(VENV)/.installed  ## email the month's PDF reports to each customer (SMTP_* env vars)
	$(BIN)/portal-reports email $(strip $(if $(MONTH),--month $(MONTH)) \
	  $(if $(CUSTOMER),--customer $(CUSTOMER)) --reports-dir $(OUT))

lab: $(VENV)/.installed-lab  ## JupyterLab on this project (saved notebooks keep no outputs; works as root)
	$(BIN)/portal-reports lab

lint: $(VENV)/.installed-test  ## ruff lint and format check
	$(BIN)/ruff check portal_reports tests benchmarks
	$(BIN)/ruff format --check portal_reports tests benchmarks

test: lint  ## lint, then the whole test suite
	$(BIN)/pytest -n 2 --dist loadfile

format: $(VENV)/.installed-test  ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix portal_reports tests benchmarks
	$(BIN)/ruff format portal_reports tests benchmarks

LOCALES := portal_reports/locale
catalogs: $(VENV)/.installed  ## re-extract translatable text, merge it into each language's .po, compile the .mo files
	$(BIN)/pybabel extract -F babel.cfg --no-wrap -o $(LOCALES)/portal_reports.pot .
	$(BIN)/pybabel update --no-wrap -i $(LOCALES)/portal_reports.pot -d $(LOCALES) -D portal_reports
	$(BIN)/pybabel compile --statistics -d $(LOCALES) -D portal_reports

benchmark: $(VENV)/.installed-test  ## run the benchmarks under benchmarks/
	$(BIN)/python benchmarks/fetch.py
	$(BIN)/python benchmarks/reports.py
	$(BIN)/python benchmarks/scale.py --naive-customers 2

clean:  ## remove reports and caches (keeps .venv)
	rm -rf $(OUT) .pytest_cache .ruff_cache
