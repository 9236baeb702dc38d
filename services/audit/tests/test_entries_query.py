"""Searching and exporting the audit log: filters, paging and who sees which agencies."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from services.audit.tests.support import audit_settings, client, county_tree, recorder, request_event
from shared.contracts.requests import RequestAssigned, RequestReceived
from shared.db import new_id
from shared.testing import auth

URL = "/api/v1/audit/entries"


@pytest.fixture
async def log(databases, topic_prefix):
    """县政府 → 甲局 → 甲局下属中心; 乙局. One request per agency: received by one officer, assigned by another."""
    settings = await audit_settings(databases, topic_prefix)
    tree, ids = county_tree()
    requests = {}
    async with recorder(settings) as record:
        await record(*tree)
        for key in ("a", "a1", "b"):
            rid = requests[key] = new_id()
            await record(
                request_event(RequestReceived, rid, ids[key], actor=f"registrar-{key}", state="received"),
                request_event(RequestAssigned, rid, ids[key], actor=f"head-{key}", assignee_sub=f"handler-{key}"),
            )
    return settings, ids, requests


async def search(c, settings, role, agency_of=None, **params):
    headers = auth(settings, role, agency_id=agency_of) if agency_of or role != "admin" else auth(settings, role)
    return await c.get(URL, params=params, headers=headers)


def agencies_of(response) -> set[str]:
    assert response.status_code == 200, response.text
    return {e["agency_id"] for e in response.json()}


async def test_an_admin_sees_everything_and_can_narrow_to_a_subtree(log):
    settings, ids, _ = log
    async with client(settings) as c:
        everything = await search(c, settings, "admin", limit=1000)
        assert len(everything.json()) == 10
        assert agencies_of(await search(c, settings, "admin", agency_id=ids["a"], subtree="true")) == {ids["a"], ids["a1"]}
        assert agencies_of(await search(c, settings, "admin", agency_id=ids["a"])) == {ids["a"]}


async def test_a_supervisor_sees_their_subtree_only(log):
    settings, ids, _ = log
    async with client(settings) as c:
        assert agencies_of(await search(c, settings, "supervisor", ids["a"])) == {ids["a"], ids["a1"]}
        assert agencies_of(await search(c, settings, "supervisor", ids["a"], agency_id=ids["a1"])) == {ids["a1"]}
        assert agencies_of(await search(c, settings, "supervisor", ids["a"], agency_id=ids["a"], subtree="false")) == {ids["a"]}
        assert (await search(c, settings, "supervisor", ids["a"], agency_id=ids["b"])).status_code == 404
        assert (await search(c, settings, "supervisor", ids["a"], agency_id=ids["county"], subtree="true")).status_code == 404
        assert agencies_of(await search(c, settings, "supervisor", ids["county"])) == set(ids.values())


async def test_other_officers_see_their_own_agency_only(log):
    settings, ids, _ = log
    async with client(settings) as c:
        for role in ("handler", "registrar", "reviewer", "head"):
            assert agencies_of(await search(c, settings, role, ids["a"])) == {ids["a"]}
            assert agencies_of(await search(c, settings, role, ids["a"], agency_id=ids["a"], subtree="true")) == {ids["a"]}
            assert (await search(c, settings, role, ids["a"], agency_id=ids["a1"])).status_code == 404
            assert (await search(c, settings, role, ids["a"], agency_id=ids["b"], format="csv")).status_code == 404


async def test_applicants_and_anonymous_callers_see_nothing(log):
    settings, ids, _ = log
    async with client(settings) as c:
        assert (await search(c, settings, "applicant")).status_code == 403
        assert (await search(c, settings, "applicant", format="jsonl")).status_code == 403
        assert (await c.get(URL)).status_code == 401


async def test_filters_by_aggregate_actor_type_and_time(log):
    settings, ids, requests = log
    async with client(settings) as c:
        by_request = (await search(c, settings, "admin", aggregate_id=requests["b"])).json()
        assert [e["event_type"] for e in by_request] == ["RequestReceived", "RequestAssigned"]
        by_actor = (await search(c, settings, "admin", actor="head-a1")).json()
        assert [(e["event_type"], e["aggregate_id"]) for e in by_actor] == [("RequestAssigned", requests["a1"])]
        assert len((await search(c, settings, "admin", event_type="AgencyRegistered")).json()) == 4
        # the supervisor's scope still applies to every filter
        assert (await search(c, settings, "supervisor", ids["a"], aggregate_id=requests["b"])).json() == []
        now = datetime.now(UTC)
        assert len((await search(c, settings, "admin", since=(now - timedelta(hours=1)).isoformat())).json()) == 10
        assert (await search(c, settings, "admin", until=(now - timedelta(hours=1)).isoformat())).json() == []
        # a time without an offset is Beijing time (it used to be a 500: naive datetimes are refused by the column)
        naive_tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(tzinfo=None).isoformat()
        assert len((await search(c, settings, "admin", until=naive_tomorrow)).json()) == 10


async def test_paging_with_the_after_seq_cursor(log):
    settings, _, _ = log
    async with client(settings) as c:
        seen, cursor = [], 0
        while True:
            page = await search(c, settings, "admin", after_seq=cursor, limit=3)
            seen += [e["seq"] for e in page.json()]
            if "x-next-after-seq" not in page.headers:
                break
            cursor = int(page.headers["x-next-after-seq"])
        assert seen == sorted(seen) and len(seen) == len(set(seen)) == 10


async def test_csv_export_streams_every_matching_entry(log):
    settings, ids, requests = log
    async with client(settings) as c:
        expected = (await search(c, settings, "supervisor", ids["a"], limit=1000)).json()
        response = await search(c, settings, "supervisor", ids["a"], format="csv", limit=1)  # limit does not cut exports
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.headers["x-content-type-options"] == "nosniff"
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in expected]
    assert {r["agency_id"] for r in rows} == {ids["a"], ids["a1"]}
    assigned = next(r for r in rows if r["event_type"] == "RequestAssigned" and r["aggregate_id"] == requests["a"])
    assert assigned["actor_sub"] == "head-a"
    assert json.loads(assigned["payload"])["assignee_sub"] == "handler-a"
    assert [r["hash"] for r in rows] == [e["hash"] for e in expected]


async def test_jsonl_export_honours_filters_and_scope(log):
    settings, ids, requests = log
    async with client(settings) as c:
        response = await search(c, settings, "admin", format="jsonl", event_type="RequestReceived", agency_id=ids["county"], subtree="true")
        assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert sorted(e["aggregate_id"] for e in lines) == sorted(requests.values())
        assert all(e["event_type"] == "RequestReceived" and e["payload"]["state"] == "received" for e in lines)
        handler = await search(c, settings, "handler", ids["b"], format="jsonl")
        assert {json.loads(line)["agency_id"] for line in handler.text.splitlines()} == {ids["b"]}


async def test_the_log_has_no_write_endpoints(log):
    settings, _, _ = log
    async with client(settings) as c:
        headers = auth(settings, "admin")
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            assert (await c.request(method, URL, headers=headers)).status_code == 405
            assert (await c.request(method, URL + "/1", headers=headers)).status_code in (404, 405)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised():
    from services.audit.api.entries import _csv_line

    line = _csv_line(['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "正常文本", 42])
    assert line.startswith("\"'=HYPERLINK(") and ",'+1,'-2,'@SUM(A1),正常文本,42" in line
