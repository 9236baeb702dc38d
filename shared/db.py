"""Async SQLAlchemy 2 engine and session factory, on SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event, text
from sqlalchemy.engine import Connection, CursorResult, Dialect, Result, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for logs that grow.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


def make_metadata() -> MetaData:
    """A MetaData with the shared naming convention; each service owns one."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A time-ordered UUIDv7 as text: sortable by creation, safe to expose."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62 | rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on both backends (SQLite stores naive text, so we re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def normalize_url(url: str) -> str:
    """Accept plain `postgresql://` and `sqlite:///` URLs and pick the async driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("postgresql+psycopg2://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(normalize_url(url)).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so API, relay and consumers share it."""
    url = normalize_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:
            # Let SQLAlchemy, not the driver, open transactions (see _begin_immediate).
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
                cursor.execute(f"PRAGMA {pragma}")
            cursor.close()

        # API, relay and consumers write to one file. A deferred transaction that reads and
        # then writes can fail at once with "database is locked" when another writer got in
        # between; taking the write lock at BEGIN makes them queue on busy_timeout instead.
        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def affected_rows(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched.

    Executing DML gives a CursorResult, which has `rowcount`; `Session.execute` is typed to return
    the plain Result either way, hence the cast.
    """
    return cast(CursorResult[Any], result).rowcount


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> None:
    """Raise if the database cannot answer a trivial query."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


# SQLSTATE classes that mean "the database cannot serve you right now", not "your statement is
# wrong": 08 connection exception, 53 insufficient resources (too many connections, disk full),
# 57 operator intervention (admin shutdown, cannot connect now), 40 transaction rollback
# (serialization failure, deadlock: try again). 55000 is only transient with this message
# (ALTER DATABASE … ALLOW_CONNECTIONS false while an operator works on it).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "40")


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (getattr(exc, "orig", None), getattr(getattr(exc, "orig", None), "__cause__", None), exc):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database (or the way to it) is down or busy, so the same work
    will succeed later unchanged; False for errors in the work itself (a bug, a bad statement,
    a constraint), which no retry fixes."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.IntegrityError | sa_exc.ProgrammingError | sa_exc.DataError | sa_exc.NotSupportedError):
        return False
    if isinstance(exc, sa_exc.TimeoutError | ConnectionError | TimeoutError):
        return True  # pool exhausted, connection refused or reset, connect timeout
    if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, sa_exc.InterfaceError):
            return True
        state = _sqlstate(exc)
        if state:
            if state[:2] in _TRANSIENT_SQLSTATE_CLASSES:
                return True
            return state == "55000" and "not currently accepting connections" in str(exc)
        # SQLite: "database is locked", "unable to open database file", disk I/O errors.
        return isinstance(exc, sa_exc.OperationalError)
    return False
