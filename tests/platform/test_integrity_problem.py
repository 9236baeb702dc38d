"""A constraint the database enforces and a handler did not check answers 409 problem+json, not 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from shared.errors import install_problem_handlers
from shared.testing import assert_problem


async def test_a_duplicate_key_is_409_integrity_conflict(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE things (code TEXT PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO things VALUES ('a')"))
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/things/{code}")
    async def create(code: str) -> dict[str, str]:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO things VALUES (:c)"), {"c": code})
        return {"code": code}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        assert (await client.post("/things/b")).status_code == 200
        assert_problem(await client.post("/things/a"), 409, "integrity_conflict")
    await engine.dispose()
