# ASGI Innovations: the talk, its demos and their tests.
# Run `make help` to see every target.

.DEFAULT_GOAL := help
SHELL := /bin/bash

VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
PYTHON := $(VENV)/bin/python
NAME ?= asgi_app

.PHONY: help install test lint demo demos

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / \
		{printf "  \033[1m%-13s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(VENV)/.installed ## Create .venv with the locked Python packages.

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(UV) || { python3 -m venv $(VENV) \
		&& $(VENV)/bin/pip install --quiet --disable-pip-version-check \
		uv==$(UV_VERSION); }
	$(UV) sync --locked
	@touch $@

test: check ## Run every test (the README's test command).
	$(VENV)/bin/pytest

lint: install ## Check the code with ruff and mypy --strict.
	$(VENV)/bin/ruff check demos scripts tests
	$(VENV)/bin/mypy

demo: install ## Run one demo live: make demo NAME=ws_with_token
	$(PYTHON) -m demos $(NAME)

demos: install ## List the demos.
	$(PYTHON) -m demos --list

.PHONY: assets check png bench-assets

assets: install ## Rebuild every generated picture in assets/.
	$(PYTHON) -m scripts.assets

check: install ## Fail if a generated picture is stale, missing or orphaned.
	$(PYTHON) -m scripts.assets --check

png: assets ## Export every code image as a 2x PNG into dist/png/.
	$(PYTHON) -m scripts.code_images_png

bench-assets: install ## Time full and no-op builds of the code images.
	$(PYTHON) -m scripts.bench_assets
