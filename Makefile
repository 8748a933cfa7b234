# ASGI Innovations: the talk, its demos and their tests.
# Run `make help` to see every target.

.DEFAULT_GOAL := all
SHELL := /bin/bash

VENV := .venv
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
PYTHON := $(VENV)/bin/python
NODE_MODULES := node_modules/.installed
MARP := node_modules/.bin/marp
PORT ?= 8080

.PHONY: help install browser test lint demo replay demos transcripts

help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / \
		{printf "  \033[1m%-13s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

install: $(VENV)/.installed ## Create .venv with the locked Python packages.

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(UV) || { python3 -m venv $(VENV) \
		&& $(VENV)/bin/pip install --quiet --disable-pip-version-check \
		uv==$(UV_VERSION); }
	$(UV) sync --locked --compile-bytecode
	@touch $@

browser: ## Find Chromium, or install Debian's (as root); CHROME_PATH wins.
	@found="$${CHROME_PATH:-$$(command -v chromium chromium-browser \
		google-chrome 2>/dev/null | head -1)}"; \
	if [ -n "$$found" ]; then echo "Chromium: $$found"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Chromium not found: installing Debian's chromium"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null \
		&& echo "Chromium: $$(command -v chromium)"; \
	else echo "Chromium not found: install it or set CHROME_PATH;" \
		"the browser tests will skip and make pdf will fail" >&2; fi

test: check browser $(NODE_MODULES) ## Run every test (the README's test command).
	$(VENV)/bin/pytest

lint: install ## Check the code: ruff, mypy --strict, and the layers (import-linter).
	$(VENV)/bin/ruff check demos scripts tests
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

.PHONY: peer
peer: install ## Run uvicorn's own HTTP tests on the prototype of #3085 (fetches its sdist once).
	$(PYTHON) -m scripts.peer

demo: install ## Run one demo live, a page per phase: make demo NAME=ws_with_token [HTTP=oserror] [DEMO_ARGS=--no-step]
	@$(PYTHON) -m scripts.live $(NAME) $(if $(HTTP),--http $(HTTP)) $(DEMO_ARGS)

replay: install ## Replay one demo's recording, no server: make replay NAME=ws [HTTP=oserror]
	@$(PYTHON) -m scripts.live $(NAME) --replay $(if $(HTTP),--http $(HTTP)) $(DEMO_ARGS)

demos: install ## List the demos.
	@$(PYTHON) -m scripts.live --list

transcripts: install ## Re-record every demo's run, and the HTTP=oserror runs the slides show (~45 s), then draw them (make assets).
	$(PYTHON) -m scripts.live.record
	@$(MAKE) --no-print-directory assets

.PHONY: assets check png

assets: install ## Draw every picture in assets/ from its data (demos, recordings, JSON).
	$(PYTHON) -m scripts.pictures

check: install ## Fail if a generated picture is stale, missing or orphaned.
	$(PYTHON) -m scripts.pictures --check
	$(COG) --check --check-fail-msg='run `make readme`' README.md

png: assets ## Export each code slide's picture as a PNG twice its size, in dist/png/.
	$(PYTHON) -m scripts.pictures.code_images

.PHONY: all html pdf pptx notes serve

all: assets html pdf ## Build the pictures, dist/slides.html and dist/slides.pdf.

$(NODE_MODULES): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@
	@echo "installed node_modules/ (Marp CLI $$($(MARP) --version | head -1 | cut -d' ' -f2), fonts, emoji)"

html: assets $(NODE_MODULES) ## Build dist/slides.html, a folder that presents offline.
	$(PYTHON) -m scripts.deck.build html

pdf: assets browser $(NODE_MODULES) ## Build dist/slides.pdf, with an outline, by Chromium (CHROME_PATH=...).
	$(PYTHON) -m scripts.deck.build pdf

pptx: assets browser $(NODE_MODULES) ## Build dist/slides.pptx (a picture per slide) with Chromium.
	$(PYTHON) -m scripts.deck.build pptx

notes: install $(NODE_MODULES) ## Write the speaker notes to dist/slides.txt.
	$(PYTHON) -m scripts.deck.build notes

.PHONY: timing
timing: install ## Print each slide's time budget, the clock and the total (25:00 slot).
	$(PYTHON) -m scripts.deck.slides

serve: assets $(NODE_MODULES) ## Serve the deck on 127.0.0.1, rebuilding and reloading on change (PORT=8080, HOST=).
	PORT=$(PORT) HOST=$(HOST) $(PYTHON) -m scripts.deck.build serve

.PHONY: bench-serve
bench-serve: install $(NODE_MODULES) ## Time a demo's edit to its new picture in the open deck (make serve): within 2 s.
	SERVE_WITHIN_S=2 $(VENV)/bin/pytest tests/deck/test_serve.py -n 0 -q

.PHONY: matrix bench readme

COG := $(VENV)/bin/cog -I .

matrix: install ## Probe the real servers (~45 s): assets/support_matrix.json, then its pictures and the README.
	$(PYTHON) -m scripts.matrix.probe
	$(PYTHON) -m scripts.pictures
	$(COG) -r README.md

bench: install ## Run the disconnect benchmark (~4.5 min): assets/bench_disconnect.json, then its charts and the README.
	$(PYTHON) -m scripts.bench.disconnect
	$(PYTHON) -m scripts.pictures
	$(COG) -r README.md

readme: install ## Rewrite the README's measured figures from assets/*.json (cog).
	$(COG) -r README.md
