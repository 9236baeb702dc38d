"""Every service's Alembic tree, on SQLite and (when TEST_POSTGRES_URL is set) PostgreSQL.

From an empty database: upgrade to head creates exactly the tables the ORM declares (the
service's own, `outbox`, `inbox`) plus the service's version table at the head revision;
downgrade to base removes them again; upgrade works a second time. The ORM metadata and
the migrations must agree (Alembic autogenerate finds nothing to do), and replicas that
migrate at the same moment must all succeed.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from shared import migrate
from shared.db import create_engine
from shared.service import ServiceSpec
from shared.testing import REPO_ROOT, Databases, postgres_admin_url

# service -> (settings class name, tables of its own it must have besides outbox and inbox)
SERVICES: dict[str, tuple[str, set[str]]] = {
    "catalog": ("CatalogSettings", {"agencies"}),
    "requests": ("RequestsSettings", {"known_agencies"}),
    "notify": ("NotifySettings", {"inbox_messages"}),
    "audit": ("AuditSettings", {"audit_entries"}),
    "identity": ("IdentitySettings", {"accounts", "refresh_tokens", "signing_keys", "officers"}),
}

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.skipif(not postgres_admin_url(), reason="TEST_POSTGRES_URL is not set")),
]

OUTBOX_COLUMNS = {"id", "event_id", "topic", "key", "event_type", "body", "created_at", "published_at", "attempts", "last_error"}
INBOX_COLUMNS = {"consumer", "event_id", "event_type", "topic", "partition", "offset", "outcome", "error", "processed_at"}


@pytest.fixture(params=list(SERVICES))
def service(request) -> str:
    return request.param


@pytest.fixture(params=BACKENDS)
def db_backend(request) -> str:
    return request.param


@pytest.fixture
async def db_url(db_backend: str, tmp_path: Path) -> Any:
    dbs = Databases(tmp_path, backend=db_backend)
    try:
        yield await dbs.new("mig")
    finally:
        await dbs.drop_all()


def build(service: str, url: str) -> ServiceSpec:
    settings_cls = getattr(importlib.import_module(f"services.{service}.settings"), SERVICES[service][0])
    app_module = importlib.import_module(f"services.{service}.app")
    return app_module.build_spec(settings_cls(database_url=url))


def head_of(spec: ServiceSpec, url: str) -> str:
    script = ScriptDirectory.from_config(migrate.alembic_config(spec.migrations, url, spec.version_table))
    heads = script.get_heads()
    assert len(heads) == 1, f"{spec.name} has several migration heads: {heads}"
    return heads[0]


async def upgrade(spec: ServiceSpec, url: str, revision: str = "head") -> None:
    await asyncio.to_thread(migrate.upgrade, spec.migrations, url, spec.version_table, revision)


async def downgrade(spec: ServiceSpec, url: str, revision: str = "base") -> None:
    await asyncio.to_thread(migrate.downgrade, spec.migrations, url, spec.version_table, revision)


@dataclass
class Schema:
    tables: dict[str, set[str]]  # table -> column names
    indexes: dict[str, dict[str, dict[str, Any]]]  # table -> index name -> reflected index
    versions: list[str] | None  # rows of the version table; None when it does not exist


async def reflect(url: str, version_table: str) -> Schema:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def read(sync_conn: sa.Connection) -> Schema:
                insp = inspect(sync_conn)
                names = insp.get_table_names()
                versions = None
                if version_table in names:
                    versions = [r[0] for r in sync_conn.execute(sa.text(f"SELECT version_num FROM {version_table}"))]
                return Schema(
                    tables={t: {c["name"] for c in insp.get_columns(t)} for t in names},
                    indexes={t: {i["name"]: i for i in insp.get_indexes(t)} for t in names},
                    versions=versions,
                )

            return await conn.run_sync(read)
    finally:
        await engine.dispose()


async def diff_against_orm(url: str, spec: ServiceSpec, metadata: sa.MetaData | None = None) -> list:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:

            def compare(sync_conn: sa.Connection) -> list:
                dialect = sync_conn.dialect.name

                def declared_here(obj, name, type_, reflected, compare_to) -> bool:
                    # Alembic ignores Index.ddl_if: an index the ORM declares for another dialect only is not expected here.
                    ddl_if = getattr(obj, "_ddl_if", None)
                    return reflected or ddl_if is None or ddl_if.dialect in (None, dialect)

                ctx = MigrationContext.configure(
                    sync_conn,
                    opts={
                        "compare_type": True,
                        "compare_server_default": True,
                        "version_table": spec.version_table,
                        "include_object": declared_here,
                    },
                )
                return compare_metadata(ctx, metadata if metadata is not None else spec.metadata)

            return await conn.run_sync(compare)
    finally:
        await engine.dispose()


def expected_tables(service: str, spec: ServiceSpec) -> set[str]:
    """Whatever the ORM declares (it must agree with the migrations), and the version table."""
    return {*spec.metadata.tables, spec.version_table}


# -- tests -----------------------------------------------------------------------------------


def test_every_service_is_covered() -> None:
    on_disk = {p.parent.parent.name for p in (REPO_ROOT / "services").glob("*/migrations/env.py")}
    assert on_disk == set(SERVICES)


def test_orm_declares_the_tables_this_test_expects(service: str) -> None:
    spec = build(service, "sqlite+aiosqlite:///unused.db")
    assert set(spec.metadata.tables) >= {"outbox", "inbox", *SERVICES[service][1]}
    assert spec.version_table == f"alembic_version_{service}"
    assert spec.migrations.is_dir()


async def test_upgrade_from_empty_creates_schema_at_head(service: str, db_url: str) -> None:
    spec = build(service, db_url)
    head = head_of(spec, db_url)
    assert (await reflect(db_url, spec.version_table)).tables == {}

    await upgrade(spec, db_url)

    schema = await reflect(db_url, spec.version_table)
    assert set(schema.tables) == expected_tables(service, spec)
    assert {"outbox", "inbox", *SERVICES[service][1]} <= set(schema.tables)
    assert schema.versions == [head]
    assert await asyncio.to_thread(migrate.current, spec.migrations, db_url, spec.version_table) == head
    assert schema.tables["outbox"] == OUTBOX_COLUMNS
    assert schema.tables["inbox"] == INBOX_COLUMNS
    for table in spec.metadata.tables.values():
        assert schema.tables[table.name] == {c.name for c in table.columns}, table.name
    # The relay's scan depends on the partial index over unpublished rows.
    pending = schema.indexes["outbox"]["ix_outbox_pending"]
    assert pending["column_names"] == ["key", "id"]
    where = pending["dialect_options"].get(f"{'sqlite' if db_url.startswith('sqlite') else 'postgresql'}_where")
    assert where is not None and "published_at is null" in str(where).lower()


async def test_upgrade_twice_is_a_no_op(service: str, db_url: str) -> None:
    spec = build(service, db_url)
    await upgrade(spec, db_url)
    before = await reflect(db_url, spec.version_table)
    await upgrade(spec, db_url)
    after = await reflect(db_url, spec.version_table)
    assert after.tables == before.tables
    assert after.versions == before.versions == [head_of(spec, db_url)]


async def test_downgrade_to_base_then_upgrade_again(service: str, db_url: str) -> None:
    spec = build(service, db_url)
    head = head_of(spec, db_url)
    await upgrade(spec, db_url)

    await downgrade(spec, db_url, "base")

    schema = await reflect(db_url, spec.version_table)
    assert set(schema.tables) <= {spec.version_table}, f"left behind: {set(schema.tables) - {spec.version_table}}"
    assert not schema.versions
    assert await asyncio.to_thread(migrate.current, spec.migrations, db_url, spec.version_table) is None

    await upgrade(spec, db_url)

    schema = await reflect(db_url, spec.version_table)
    assert set(schema.tables) == expected_tables(service, spec)
    assert schema.versions == [head]
    assert await diff_against_orm(db_url, spec) == []


async def test_orm_metadata_agrees_with_migrations(service: str, db_url: str) -> None:
    spec = build(service, db_url)
    await upgrade(spec, db_url)
    assert await diff_against_orm(db_url, spec) == []


async def test_comparison_would_notice_a_drift(service: str, db_url: str) -> None:
    """Guard against a vacuous comparison: a column the migrations lack is reported."""
    spec = build(service, db_url)
    await upgrade(spec, db_url)
    drifted = sa.MetaData(naming_convention=spec.metadata.naming_convention)
    for table in spec.metadata.sorted_tables:
        copy = table.to_metadata(drifted)
        for original, copied in zip(sorted(table.indexes, key=repr), sorted(copy.indexes, key=repr), strict=False):
            copied._ddl_if = original._ddl_if  # to_metadata drops it
    drifted.tables["outbox"].append_column(sa.Column("not_migrated", sa.Integer, nullable=True))
    diffs = await diff_against_orm(db_url, spec, drifted)
    assert [d[0] for d in diffs] == ["add_column"]
    assert diffs[0][2:4] == ("outbox", drifted.tables["outbox"].c.not_migrated)


async def test_replicas_migrating_at_once_all_succeed(service: str, db_url: str) -> None:
    """Several processes start together (as replicas do): all exit cleanly, one schema results."""
    spec = build(service, db_url)
    code = "import sys; from shared import migrate; migrate.upgrade(sys.argv[1], sys.argv[2], sys.argv[3])"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            str(spec.migrations),
            db_url,
            spec.version_table,
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = [(p.returncode, err.decode(errors="replace")[-2000:]) for p in procs for _, err in [await p.communicate()]]
    assert [rc for rc, _ in results] == [0, 0, 0], results
    schema = await reflect(db_url, spec.version_table)
    assert set(schema.tables) == expected_tables(service, spec)
    assert schema.versions == [head_of(spec, db_url)]


IN_ONE_PROCESS = """
import asyncio, sys
from shared import migrate

async def main(jobs):
    await asyncio.gather(*[asyncio.to_thread(migrate.upgrade, *job) for job in jobs])

args = sys.argv[1:]
asyncio.run(main([args[i:i + 3] for i in range(0, len(args), 3)]))
"""


async def test_services_migrating_together_in_one_process_do_not_interfere(db_backend: str, tmp_path: Path) -> None:
    """Apps started side by side in one process each migrate through a thread (ServiceRuntime.migrate).

    Alembic's `context`/`op` proxies are process-wide, so unserialized commands drive each
    other's migrations (seen: KeyErrors, half-built schemas, hangs on PostgreSQL). Run in a
    child process so that a regression fails this test instead of hanging the test run.
    """
    dbs = Databases(tmp_path, backend=db_backend)
    try:
        targets = []
        for service in SERVICES:
            url = await dbs.new(f"mig{service}")
            targets.append((service, url, build(service, url)))
        # Every service, plus a second replica of one of them on the same database.
        jobs = [(spec.migrations, url, spec.version_table) for _, url, spec in targets]
        jobs.append(jobs[0])
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            IN_ONE_PROCESS,
            *[str(part) for job in jobs for part in job],
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _, err = await asyncio.wait_for(proc.communicate(), timeout=90)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            pytest.fail("migrating several services at once in one process hung")
        assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
        for service, url, spec in targets:
            schema = await reflect(url, spec.version_table)
            assert set(schema.tables) == expected_tables(service, spec), service
            assert schema.versions == [head_of(spec, url)], service
            assert await diff_against_orm(url, spec) == [], service
    finally:
        await dbs.drop_all()
