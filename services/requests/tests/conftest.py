"""Fixtures for the requests service: a running app with a pinned date and a replicated agency tree."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest

from services.requests.app import create_app
from services.requests.service.agency_replica import on_agency_registered
from services.requests.service.officer_replica import on_officer_changed
from services.requests.settings import RequestsSettings
from shared.contracts.catalog import AgencyRegistered
from shared.contracts.identity import OfficerChanged, OfficerMembership
from shared.db import new_id
from shared.events import Actor
from shared.testing import auth, running_app, settings_for

API = "/api/v1/requests"
VALID_ID = "11010519491231002X"


@dataclass
class RequestsHarness:
    """A requests app with helpers that speak for each role."""

    client: httpx.AsyncClient
    app: Any
    settings: RequestsSettings
    county: str
    agency_a: str
    agency_b: str
    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    async def officer(
        self, sub: str, *agencies: str, roles: tuple[str, ...] = ("handler",), status: str = "active", version: int = 1
    ) -> None:
        """Put an officer into the directory replica, as identity's OfficerChanged would."""
        await replicate_officer(self.app.state.runtime, sub, list(agencies) or [self.agency_a], roles=roles, status=status, version=version)

    def set_today(self, day: date) -> None:
        self.app.state.today = lambda: day

    def who(self, role: str, agency: str | None = None, sub: str | None = None) -> dict[str, str]:
        agency = agency if agency is not None else (None if role in ("applicant", "admin") else self.agency_a)
        return auth(self.settings, role, agency_id=agency, sub=sub or f"{role}-{agency or 'x'}")

    async def outbox_types(self, request_id: str) -> list[str]:
        import json

        from sqlalchemy import select

        from services.requests.adapters.orm import plumbing

        async with self.app.state.runtime.sessions() as s:
            rows = (
                await s.execute(select(plumbing.outbox.c.body).where(plumbing.outbox.c.key == request_id).order_by(plumbing.outbox.c.id))
            ).scalars()
            return [json.loads(b)["type"] for b in rows]

    async def outbox_events(self, request_id: str) -> list[dict]:
        import json

        from sqlalchemy import select

        from services.requests.adapters.orm import plumbing

        async with self.app.state.runtime.sessions() as s:
            rows = (
                await s.execute(select(plumbing.outbox.c.body).where(plumbing.outbox.c.key == request_id).order_by(plumbing.outbox.c.id))
            ).scalars()
            return [json.loads(b) for b in rows]


async def _replicate(runtime, agency_id: str, name: str, parent: str | None) -> None:
    event = AgencyRegistered(agency_id=agency_id, name=name, kind="department" if parent else "county_government", parent_id=parent)
    async with runtime.uow() as uow:
        await on_agency_registered(uow, event.envelope(source="catalog", aggregate_id=agency_id, actor=Actor.system("test")))
        await uow.commit()


async def replicate_officer(
    runtime,
    sub: str,
    agencies: list[str],
    *,
    roles: tuple[str, ...] = ("handler",),
    status: str = "active",
    version: int = 1,
    name: str | None = None,
) -> None:
    """Apply an OfficerChanged for `sub` to a requests app's directory replica (assignees must be in it)."""
    event = OfficerChanged(
        officer_id=sub,
        name=name or f"工作人员{sub[-4:]}",
        status=status,
        version=version,
        memberships=[OfficerMembership(agency_id=a, roles=list(roles)) for a in agencies],
    )
    async with runtime.uow() as uow:
        await on_officer_changed(uow, event.envelope(source="identity", aggregate_id=sub, actor=Actor.system("test")))
        await uow.commit()


@pytest.fixture
async def harness(broker, databases, topic_prefix, tmp_path):
    settings = settings_for(
        RequestsSettings,
        database_url=await databases.new("requests"),
        bootstrap=broker.bootstrap,
        prefix=topic_prefix,
        storage_dir=str(tmp_path / "files"),
        run_scheduler=False,
        attachment_max_bytes=1024 * 1024,
        run_consumers=False,
        notice_print_after_step=False,  # PDFs printed on download: hundreds of submissions need none
    )  # the agency replica is seeded directly below
    app = create_app(settings)
    async with running_app(app) as client:
        county, a, b = new_id(), new_id(), new_id()
        runtime = app.state.runtime
        await _replicate(runtime, county, "某某县人民政府", None)
        await _replicate(runtime, a, "某某县民政局", county)
        await _replicate(runtime, b, "某某县财政局", county)
        h = RequestsHarness(client, app, settings, county, a, b)
        for sub in ("handler-1", "handler-2"):  # the assignees the tests use, in the directory of both departments
            await h.officer(sub, a, b)
        h.set_today(date(2026, 9, 28))
        yield h


def natural_person(**overrides: Any) -> dict[str, Any]:
    applicant = {
        "type": "natural_person",
        "name": "张三",
        "id_type": "resident_id",
        "id_number": VALID_ID,
        "mobile": "13800138000",
        "email": "zhangsan@example.com",
        "postal_address": "某某县人民路1号",
    }
    applicant.update(overrides)
    return applicant


def request_body(agency_id: str, **overrides: Any) -> dict[str, Any]:
    body = {
        "agency_id": agency_id,
        "applicant": natural_person(),
        "description": "请公开2025年度城乡低保资金发放情况",
        "preferred_form": "electronic",
    }
    body.update(overrides)
    return body
