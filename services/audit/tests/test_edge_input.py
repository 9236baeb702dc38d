"""Edge values of the audit query parameters: refused with 422 problem+json, never a server error."""

from __future__ import annotations

import pytest

from services.audit.tests.support import audit_settings, client
from shared.testing import assert_problem, auth

URL = "/api/v1/audit/entries"


@pytest.fixture
async def settings(databases, topic_prefix):
    return await audit_settings(databases, topic_prefix)


@pytest.mark.parametrize(
    "params,field",
    [
        ({"after_seq": str(2**63)}, "after_seq"),
        ({"after_seq": str(10**30)}, "after_seq"),
        ({"since": "0001-01-01T00:00:00"}, "since"),
        ({"until": "0001-01-01T00:00:00+08:00"}, "until"),
        ({"since": "1969-12-31T00:00:00Z"}, "since"),
        ({"until": "9999-12-31T23:59:59"}, "until"),
        ({"until": "9999-12-31T23:00:00-10:00"}, "until"),  # in range as written, out of range as UTC
    ],
)
async def test_out_of_range_cursors_and_times_are_422(settings, params, field):
    async with client(settings) as c:
        for fmt in ("json", "csv"):
            r = await c.get(URL, params={**params, "format": fmt}, headers=auth(settings, "admin"))
            body = assert_problem(r, 422, "validation_failed")
            assert field in [e["field"] for e in body["errors"]]


async def test_the_largest_cursor_and_extreme_but_valid_times_answer_empty(settings):
    async with client(settings) as c:
        for params in ({"after_seq": str(2**63 - 1)}, {"since": "1970-01-02T00:00:00", "until": "9999-12-29T00:00:00+08:00"}):
            r = await c.get(URL, params=params, headers=auth(settings, "admin"))
            assert r.status_code == 200, r.text
            assert r.json() == []


@pytest.mark.parametrize("params", [{"since": "0001-01-01"}, {"until": "9999-12-31"}, {"today": "0001-01-01"}])
async def test_timeliness_dates_out_of_range_are_422(settings, params):
    async with client(settings) as c:
        r = await c.get("/api/v1/audit/timeliness", params=params, headers=auth(settings, "admin"))
        assert_problem(r, 422, "validation_failed")


@pytest.mark.parametrize("path", ["/api/v1/audit/timeliness", "/api/v1/audit/timeliness/overdue"])
async def test_an_empty_agency_filter_is_no_filter_for_an_admin(settings, path):
    async with client(settings) as c:
        admin = await c.get(path, params={"agency_id": "", "subtree": "true"}, headers=auth(settings, "admin"))
        assert admin.status_code == 200, admin.text
