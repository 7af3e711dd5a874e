# One command per chore, the same locally and in CI.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# `make run` is the development demo; production sets BOTDESK_ENVIRONMENT itself.
export BOTDESK_ENVIRONMENT ?= development

.PHONY: run test check lock clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The demo merchant's order API is served by botdesk itself, on loopback: allow the connector there.
run: export BOTDESK_OUTBOUND_ALLOWED_NETWORKS ?= 127.0.0.1/32
run: $(BIN)/.installed
	$(BIN)/botdesk migrate
	$(BIN)/botdesk demo
	@echo "demo shop:  http://127.0.0.1:8000/"
	@echo "console:    http://127.0.0.1:8000/console"
	@echo "API docs:   http://127.0.0.1:8000/api/v1/docs"
	$(BIN)/botdesk serve --host 127.0.0.1 --port 8000

test: $(BIN)/.installed
	$(BIN)/pytest

check: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Regenerate the pinned constraints (no index URLs are written into the file).
lock: $(BIN)/.installed
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --no-emit-index-url --python-version 3.11 \
		--quiet -o constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
