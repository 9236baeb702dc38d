"""The baseline for bench/requests_submit.py: a bare FastAPI endpoint doing one INSERT."""

from __future__ import annotations

import os
import uuid
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy import text

from shared.db import create_engine

engine = create_engine(os.environ["BARE_DATABASE_URL"], pool_size=20)


@asynccontextmanager
async def lifespan(app: FastAPI):
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS bare_requests (id varchar(36) PRIMARY KEY, body text NOT NULL)"))
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.post("/submit", status_code=201)
async def submit(request: Request) -> dict[str, str]:
    body = await request.body()
    row_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO bare_requests (id, body) VALUES (:id, :body)"), {"id": row_id, "body": body.decode()})
    return {"id": row_id}
