"""Migration 0004 on a catalog that already holds documents: old 文号 keys re-keyed with NFKC; the unique index only
when the existing data allows it (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.catalog.adapters.orm import Agency, Document
from services.catalog.app import build_spec
from services.catalog.settings import CatalogSettings
from shared import migrate
from shared.db import create_engine, new_id

INDEX = "uq_documents_agency_doc_number"


async def _at_0003_with(url: str, numbers: list[tuple[str, str | None, str]]) -> None:
    """Documents as 0003 stored them: (doc_number, the key the old code computed, status)."""
    spec = build_spec(CatalogSettings(database_url=url))
    await asyncio.to_thread(migrate.upgrade, spec.migrations, url, spec.version_table, "0003")
    engine = create_engine(url)
    async with async_sessionmaker(engine)() as s:
        agency = Agency(id=new_id(), name="青山县民政局", kind="department", credit_code="11330102MB1234567B")
        s.add(agency)
        await s.flush()
        for i, (number, old_key, status) in enumerate(numbers):
            s.add(
                Document(
                    id=new_id(),
                    agency_id=agency.id,
                    index_number=f"X-{i}",
                    title=f"通知{i}",
                    body="",
                    publisher="青山县民政局",
                    doc_number=number,
                    doc_number_key=old_key,
                    category_code="normative_document",
                    keywords=[],
                    made_on=date(2026, 11, 2),
                    publish_due_on=date(2026, 11, 30),
                    status=status,
                    validity="valid",
                    author_sub="h",
                    revision=1,
                )
            )
        await s.commit()
    await engine.dispose()


async def _keys_and_indexes(url: str) -> tuple[list[str | None], set[str]]:
    engine = create_engine(url)
    async with engine.connect() as conn:
        keys = [r[0] for r in await conn.execute(sa.text("SELECT doc_number_key FROM documents ORDER BY index_number"))]
        names = await conn.run_sync(lambda c: {i["name"] for i in sa.inspect(c).get_indexes("documents")})
    await engine.dispose()
    return keys, names


async def _upgrade(url: str) -> None:
    spec = build_spec(CatalogSettings(database_url=url))
    await asyncio.to_thread(migrate.upgrade, spec.migrations, url, spec.version_table, "head")


async def test_old_keys_are_recomputed_and_the_index_is_built(databases) -> None:
    url = await databases.new("catalog")
    await _at_0003_with(
        url,
        [
            ("青民〔２０２６〕８号", "青民〔２０２６〕8号", "published"),
            ("青民【2026】9号", "青民〔2026〕9号", "draft"),
            ("青民〔2026〕8号", "青民〔2026〕8号", "withdrawn"),
            ("不是文号", None, "draft"),
        ],
    )
    await _upgrade(url)
    keys, indexes = await _keys_and_indexes(url)
    assert keys == ["青民〔2026〕8号", "青民〔2026〕9号", "青民〔2026〕8号", None]
    assert INDEX in indexes


async def test_existing_duplicates_leave_the_index_out_and_the_data_untouched(databases) -> None:
    url = await databases.new("catalog")
    await _at_0003_with(url, [("青民〔2026〕8号", "青民〔2026〕8号", "published"), ("青民（２０２６）8号", None, "published")])
    await _upgrade(url)
    keys, indexes = await _keys_and_indexes(url)
    assert keys == ["青民〔2026〕8号", "青民〔2026〕8号"]
    assert INDEX not in indexes
