"""The assignee list: the directory replica's active officers with a role where the request (or the caller) works."""

from __future__ import annotations

from services.requests.tests.conftest import API, request_body
from shared.db import new_id
from shared.testing import assert_problem


async def test_the_list_holds_the_officers_an_assignment_would_accept_handlers_first(harness):
    h = harness
    rid = (await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=h.who("applicant", sub="citizen-1"))).json()["id"]
    reviewer, outsider, disabled = new_id(), new_id(), new_id()
    await h.officer(reviewer, h.agency_a, roles=("reviewer",))
    await h.officer(outsider, h.agency_b)
    await h.officer(disabled, h.agency_a, status="disabled")
    found = (await h.client.get(f"{API}/assignees", params={"request_id": rid}, headers=h.who("registrar"))).json()
    ids = [o["id"] for o in found]
    assert set(ids) == {"handler-1", "handler-2", reviewer}
    assert ids[-1] == reviewer and found[-1]["roles"] == ["reviewer"]  # handlers first
    for officer in found:  # each one the assign action accepts
        assert (
            await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": officer["id"]}, headers=h.who("head"))
        ).status_code == 200
    assert_problem(
        await h.client.post(f"{API}/requests/{rid}/assign", json={"assignee_sub": outsider}, headers=h.who("head")),
        422,
        "officer_outside_agency",
    )


async def test_an_officer_of_a_sibling_agency_gets_neither_the_request_nor_its_colleagues(harness):
    h = harness
    rid = (await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=h.who("applicant", sub="citizen-1"))).json()["id"]
    assert_problem(
        await h.client.get(f"{API}/assignees", params={"request_id": rid}, headers=h.who("registrar", h.agency_b)), 404, "request_not_found"
    )
    only_b = new_id()
    await h.officer(only_b, h.agency_b)
    await h.officer(new_id(), h.agency_a, roles=("head",))
    own = (await h.client.get(f"{API}/assignees", headers=h.who("registrar", h.agency_b))).json()
    assert {o["id"] for o in own} == {"handler-1", "handler-2", only_b}  # handler-1/2 also work in 乙局
    assert all(set(o["roles"]) == {"handler"} for o in own)
    assert_problem(await h.client.get(f"{API}/assignees", headers=h.who("applicant", sub="citizen-1")), 403, "forbidden_role")
