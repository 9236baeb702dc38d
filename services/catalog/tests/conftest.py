"""Fixtures for the catalog: a running app with a pinned date, a county with two departments, and role helpers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from services.catalog.adapters.orm import plumbing
from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.testing import auth, running_app, settings_for

API = "/api/v1/catalog"
CODE_COUNTY = "11330100002489321D"
CODE_CIVIL = "11330102MB1234567B"
CODE_FINANCE = "12330100470123456G"


@dataclass
class Catalog:
    client: httpx.AsyncClient
    app: Any
    settings: CatalogSettings
    county: str
    civil: str  # 民政局
    finance: str  # 财政局

    def set_today(self, day: date) -> None:
        self.app.state.today = lambda: day

    def who(self, role: str, agency: str | None = None, sub: str | None = None) -> dict[str, str]:
        agency = agency if agency is not None else (None if role == "admin" else self.civil)
        return auth(self.settings, role, agency_id=agency, sub=sub or f"{role}-{agency or 'x'}")

    async def draft(self, *, as_: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
        body = {
            "agency_id": self.civil,
            "title": "青山县民政局关于调整城乡低保标准的通知",
            "body": "各乡镇人民政府：现将城乡低保标准调整如下。",
            "category_code": "normative_document",
            "made_on": "2026-11-02",
        } | fields
        r = await self.client.post(f"{API}/documents", json=body, headers=as_ or self.who("handler", body["agency_id"]))
        assert r.status_code == 201, r.text
        return r.json()

    async def step(self, document_id: str, step: str, who: dict[str, str], body: dict | None = None, expect: int = 200) -> dict[str, Any]:
        r = await self.client.post(f"{API}/documents/{document_id}/{step}", json=body, headers=who)
        assert r.status_code == expect, r.text
        return r.json()

    async def publish(self, **fields: Any) -> dict[str, Any]:
        d = await self.draft(**fields)
        await self.step(d["id"], "submit", self.who("handler", fields.get("agency_id")))
        return await self.step(d["id"], "approve", self.who("reviewer", fields.get("agency_id")))

    async def outbox(self) -> list[dict[str, Any]]:
        t = plumbing.outbox
        async with self.app.state.runtime.sessions() as s:
            return [json.loads(b) for b in (await s.execute(select(t.c.body).order_by(t.c.id))).scalars()]

    async def count(self, model) -> int:
        async with self.app.state.runtime.sessions() as s:
            return (await s.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.fixture
async def catalog_app(broker, databases, topic_prefix, tmp_path):
    settings = settings_for(
        CatalogSettings,
        database_url=await databases.new("catalog"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path / "files"),
        run_scheduler=False,
        run_consumers=False,
        attachment_max_bytes=64 * 1024,
    )
    app = create_app(settings)
    async with running_app(app) as client:
        admin = auth(settings, "admin")
        r = await client.post(
            f"{API}/agencies", json={"name": "青山县人民政府", "kind": "county_government", "credit_code": CODE_COUNTY}, headers=admin
        )
        county = r.json()["id"]
        r = await client.post(
            f"{API}/agencies",
            json={"name": "青山县民政局", "kind": "department", "parent_id": county, "credit_code": CODE_CIVIL},
            headers=admin,
        )
        civil = r.json()["id"]
        r = await client.post(
            f"{API}/agencies",
            json={"name": "青山县财政局", "kind": "department", "parent_id": county, "credit_code": CODE_FINANCE},
            headers=admin,
        )
        finance = r.json()["id"]
        cat = Catalog(client, app, settings, county, civil, finance)
        cat.set_today(date(2026, 11, 20))
        yield cat
