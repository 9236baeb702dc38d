"""Assignees come from the officer directory replica: unknown, disabled or out-of-agency officers are refused."""

from __future__ import annotations

import pytest

from services.requests.adapters.orm import KnownOfficer
from services.requests.tests.conftest import API, request_body
from shared.db import new_id
from shared.testing import assert_problem


async def _submitted(h, agency: str | None = None) -> str:
    r = await h.client.post(f"{API}/requests", json=request_body(agency or h.agency_a), headers=h.who("applicant", sub="citizen-1"))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def _assign(h, rid: str, sub: str, agency: str | None = None):
    return await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": sub}, headers=h.who("head", agency, sub="head-1"))


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        (None, "officer_unknown"),
        ({"status": "disabled"}, "officer_disabled"),
        ({"agencies": "b"}, "officer_outside_agency"),
        ({"agencies": "county"}, "officer_outside_agency"),  # a role above the agency is not a role in its subtree
    ],
)
async def test_an_assignee_outside_the_directory_is_refused_and_nothing_changes(harness, setup, code):
    h = harness
    sub = new_id()
    if setup is not None:
        agency = {"b": h.agency_b, "county": h.county}.get(setup.get("agencies", ""), h.agency_a)
        await h.officer(sub, agency, status=setup.get("status", "active"))
    rid = await _submitted(h)
    before = (await h.client.get(f"{API}/requests/{rid}", headers=h.who("head"))).json()
    assert_problem(await _assign(h, rid, sub), 422, code)
    after = (await h.client.get(f"{API}/requests/{rid}", headers=h.who("head"))).json()
    assert after["state"] == "received" and after["version"] == before["version"] and after.get("assignee_sub") is None
    assert "RequestAssigned" not in await h.outbox_types(rid)


async def test_an_officer_of_a_unit_below_the_agency_may_be_assigned(harness):
    h = harness
    rid = await _submitted(h, h.county)
    await h.officer("handler-a-only", h.agency_a)
    r = await _assign(h, rid, "handler-a-only", h.county)
    assert r.status_code == 200, r.text
    assert r.json()["assignee_sub"] == "handler-a-only"


async def test_the_replica_keeps_the_newest_version(harness):
    h = harness
    await h.officer("late", h.agency_a, version=3)
    await h.officer("late", h.agency_a, status="disabled", version=2)  # an older event arriving late
    rid = await _submitted(h)
    assert (await _assign(h, rid, "late")).status_code == 200
    await h.officer("late", h.agency_a, status="disabled", version=4)
    async with h.app.state.runtime.sessions() as s:
        row = await s.get(KnownOfficer, "late")
    assert row.status == "disabled" and row.version == 4
    rid2 = await _submitted(h)
    assert_problem(await _assign(h, rid2, "late"), 422, "officer_disabled")
