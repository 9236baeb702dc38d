"""Alembic, driven from code: each service has its own migration tree and version table."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection, make_url

from shared.db import create_engine, normalize_url

# Alembic's `context` and `op` are process-wide proxies: two commands running at once in one
# process (services started together, each migrating through a thread) would drive each
# other's migrations. Serialize them; other processes are kept apart by the database itself.
_ALEMBIC_LOCK = threading.Lock()


def alembic_config(script_location: Path | str, url: str, version_table: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["url"] = normalize_url(url)
    cfg.attributes["version_table"] = version_table
    return cfg


@contextlib.contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    """Replicas of one service sharing a SQLite file: one migrates at a time.

    PostgreSQL is kept in order by an advisory lock taken inside the migration transaction.
    SQLite's deferred transactions let two processes both read an empty version table and
    then collide on the first CREATE TABLE, so the processes take an exclusive lock on a file
    beside the database instead (released by the kernel if a process dies).
    """
    parsed = make_url(normalize_url(url))
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        yield
        return
    with open(f"{database}.migrate-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def upgrade(script_location: Path | str, url: str, version_table: str, revision: str = "head") -> None:
    """Bring the database to `revision` (blocking; call through a thread from async code)."""
    with _ALEMBIC_LOCK, _sqlite_file_lock(url):
        command.upgrade(alembic_config(script_location, url, version_table), revision)


def downgrade(script_location: Path | str, url: str, version_table: str, revision: str = "base") -> None:
    with _ALEMBIC_LOCK, _sqlite_file_lock(url):
        command.downgrade(alembic_config(script_location, url, version_table), revision)


def current(script_location: Path | str, url: str, version_table: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async def _read() -> str | None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda c: MigrationContext.configure(c, opts={"version_table": version_table}).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(_read())


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's `migrations/env.py` (online mode, async engine)."""
    cfg = context.config
    url = cfg.attributes["url"]
    version_table = cfg.attributes["version_table"]

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        if connection.dialect.name == "postgresql":
            # Replicas starting together: one migrates, the others wait and then find nothing to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": zlib.crc32(version_table.encode())})
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.run_sync(do_run)
                await conn.commit()
        finally:
            await engine.dispose()

    asyncio.run(run_async())
