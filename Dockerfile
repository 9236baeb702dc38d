# syntax=docker/dockerfile:1
# One image for every service; the command chooses what runs:
#   python -m services.<catalog|requests|notify|audit|identity> serve  HTTP API (set <NAME>_RUN_WORKERS=false to run it alone)
#   python -m services.<name> worker                            outbox relay, consumers and background loops, no HTTP
#   python -m services.<name> migrate                           Alembic upgrade to head, then exit (a one-shot / Job)
#   python -m services.identity rotate-keys                     a new signing key now (the API also rotates on schedule)
#   python -m services.web serve                                the public site (port 8000, WEB_*), behind the gateway
#
# Probes (HTTP processes only; the port is <NAME>_PORT: catalog 8001, requests 8002, notify 8003,
# audit 8004, identity 8005, the site WEB_PORT 8000): liveness GET /healthz, readiness GET /readyz
# (database and broker reachable; for the site, the APIs), Prometheus GET /metrics. The image
# declares no HEALTHCHECK because one image serves on six ports, and workers have no HTTP at all:
# compose and Kubernetes declare them.
#
# Build: docker build -t gov-disclosure:1.0.0 .

# The same Python as make install and CI use (3.11): one version everywhere.
ARG PYTHON_VERSION=3.11

# ---- builder: compilers allowed here, never in the final image ----
FROM python:${PYTHON_VERSION}-slim-bookworm AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Wheels exist for every dependency on x86_64 and arm64; the compiler is the fallback for a
# platform where one has to be built from source.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

# uv (pinned, in the builder's own Python, never in the image) creates /opt/venv from uv.lock.
RUN pip install "uv==0.13.9"
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Dependencies first (their own layer, rebuilt only when the lockfile changes): exactly the
# versions in uv.lock, without the dev extras ...
ENV UV_PROJECT_ENVIRONMENT=/opt/venv UV_PYTHON_DOWNLOADS=never UV_LINK_MODE=copy
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
# ... then the project itself (not editable: the venv is all the final image needs).
COPY shared ./shared
COPY services ./services
RUN uv sync --frozen --no-dev --no-editable \
    && python -m compileall -q /opt/venv/lib

# ---- runtime: the venv and nothing else ----
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="gov-disclosure" \
      org.opencontainers.image.description="政府信息公开平台：catalog / requests / notify / audit / identity 服务与 web 网站（同一镜像，按命令运行）" \
      io.gov-disclosure.probe.liveness="GET /healthz" \
      io.gov-disclosure.probe.readiness="GET /readyz" \
      io.gov-disclosure.metrics="GET /metrics"

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CATALOG_HOST=0.0.0.0 \
    REQUESTS_HOST=0.0.0.0 \
    NOTIFY_HOST=0.0.0.0 \
    AUDIT_HOST=0.0.0.0 \
    IDENTITY_HOST=0.0.0.0 \
    WEB_HOST=0.0.0.0

# The formal notices (services/requests) are printed to PDF by WeasyPrint, which needs pango and
# the CJK fonts at run time: shared libraries and fonts only, never a compiler.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fontconfig fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

# A fixed numeric uid/gid so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

COPY --from=builder /opt/venv /opt/venv

# Nothing here is written at run time: the root filesystem can be read-only (mount /tmp for
# multipart uploads larger than the in-memory spool).
WORKDIR /app
USER 10001:10001

EXPOSE 8000 8001 8002 8003 8004 8005

CMD ["python", "-m", "services.catalog", "serve"]
