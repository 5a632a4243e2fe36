# django-topi: `make demo` serves the example shop, `make test` runs the suite.
# Both create .venv on first use and reinstall only when pyproject.toml changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO_ADDR ?= 127.0.0.1:8000
export DEMO_ADDR
MANAGE := $(BIN)/python example_project/manage.py

.PHONY: demo test lint format docs tox screenshots clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

demo: $(INSTALLED)
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) topi_sync_shipping_methods
	$(MANAGE) topi_sync_catalog
	@echo ""
	@echo "  Shop:            http://$(DEMO_ADDR)/   (customer login: customer / customer)"
	@echo "  topi simulator:  http://$(DEMO_ADDR)/topi-simulator/control/"
	@echo "  Staff login:     staff / staff at http://$(DEMO_ADDR)/admin/   (topi actions only; superuser: admin / admin)"
	@echo ""
	DEMO_ADDR=$(DEMO_ADDR) $(MANAGE) runserver $(DEMO_ADDR)

test: $(INSTALLED)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m django makemigrations --check --dry-run --settings=tests.settings
	$(BIN)/python -m django check --fail-level WARNING --settings=tests.settings

format: $(INSTALLED)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: $(INSTALLED)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

screenshots: $(INSTALLED)  # the README's pictures, taken by the browser test's happy path
	TOPI_SCREENSHOTS=docs/_static/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/test_e2e.py -k happy_path

tox: $(INSTALLED)
	PYENV_VERSION=$${PYENV_VERSION:-3.11.7:3.10.13:3.12.1:3.13.0} $(BIN)/tox run-parallel

clean:
	rm -rf $(VENV) .tox .pytest_cache .mypy_cache .ruff_cache docs/_build
