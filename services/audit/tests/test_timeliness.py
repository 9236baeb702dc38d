"""Timeliness statistics and the overdue list, from request facts built by projected events."""

from __future__ import annotations

from datetime import date

import pytest

from services.audit.domain.timeliness import TimelinessFact, p90, timeliness
from services.audit.service.query import local_today
from services.audit.tests.support import audit_settings, client, county_tree, recorder, request_event
from shared.contracts.requests import (
    AnswerDispatched,
    CorrectionRequested,
    CorrectionSubmitted,
    ExtensionDecided,
    RequestAssigned,
    RequestClosed,
    RequestReceived,
)
from shared.db import new_id
from shared.testing import auth

URL = "/api/v1/audit/timeliness"
MARCH = {"since": "2025-03-01", "until": "2025-03-31", "today": "2025-04-10"}


# -- pure ----------------------------------------------------------------------------------------


def test_p90_is_a_nearest_rank_value():
    assert p90([]) is None
    assert p90([7]) == 7
    assert p90(list(range(1, 11))) == 9
    assert p90([20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == 10
    assert p90([5, 15]) == 15


def test_the_clock_stopped_is_not_overdue():
    def fact(state: str, due: date | None = date(2025, 4, 1)) -> TimelinessFact:
        return TimelinessFact("a", state, date(2025, 3, 1), due, None, None, None, 0, False)

    today = date(2025, 4, 10)
    counts = [
        timeliness([fact(s)], since=None, until=None, today=today)["overdue_now"]
        for s in ("in_progress", "consulting", "awaiting_correction", "pending_receipt", "answered")
    ]
    assert counts == [1, 1, 0, 0, 0]
    assert timeliness([fact("in_progress", date(2025, 4, 10))], since=None, until=None, today=today)["overdue_now"] == 0
    assert timeliness([fact("in_progress", None)], since=None, until=None, today=today)["overdue_now"] == 0


# -- through the API -----------------------------------------------------------------------------


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
async def facts(databases, topic_prefix):
    """县政府 → 甲局 → 甲局下属中心, and 乙局; seven requests whose fates the statistics must tell."""
    settings = await audit_settings(databases, topic_prefix)
    tree, ids = county_tree()
    r = {f"r{i}": new_id() for i in range(1, 8)}

    def ev(cls, key, agency_key, **fields):
        return request_event(cls, r[key], ids[agency_key], **fields)

    answer = dict(answer_id="ans", category="disclosed", reason="disclosed")
    async with recorder(settings) as record:
        await record(*tree)
        # r1 (甲局): received in March, extended by 20 days, answered on time after 13 working days
        await record(
            ev(RequestReceived, "r1", "a", state="received", received_on=d("2025-03-03"), due_on=d("2025-03-31")),
            ev(
                ExtensionDecided,
                "r1",
                "a",
                received_on=d("2025-03-03"),
                due_on=d("2025-04-28"),
                approved=True,
                days=20,
                decided_by="head-a",
            ),
            ev(
                AnswerDispatched,
                "r1",
                "a",
                state="answered",
                received_on=d("2025-03-03"),
                due_on=d("2025-04-28"),
                answered_on=d("2025-03-20"),
                on_time=True,
                working_days_taken=13,
                **answer,
            ),
        )
        # r2 (甲局): correction asked and given, the restarted clock ran out on 2 April: overdue
        await record(
            ev(RequestReceived, "r2", "a", state="received", received_on=d("2025-03-05"), due_on=d("2025-04-02")),
            ev(
                CorrectionRequested,
                "r2",
                "a",
                state="awaiting_correction",
                received_on=d("2025-03-05"),
                due_on=None,
                correction_due_on=d("2025-03-20"),
                items=["申请内容描述不明确"],
            ),
            ev(CorrectionSubmitted, "r2", "a", received_on=d("2025-03-05"), due_on=d("2025-04-02"), assignee_sub="handler-x"),
        )
        # r3 (下属中心): received in February, answered late in March after 38 working days
        await record(
            ev(RequestReceived, "r3", "a1", state="received", received_on=d("2025-02-01"), due_on=d("2025-03-03")),
            ev(
                AnswerDispatched,
                "r3",
                "a1",
                state="answered",
                received_on=d("2025-02-01"),
                due_on=d("2025-03-03"),
                answered_on=d("2025-03-28"),
                on_time=False,
                working_days_taken=38,
                **answer,
            ),
        )
        # r4 (下属中心): in progress, due 9 April: overdue by a day
        await record(ev(RequestAssigned, "r4", "a1", received_on=d("2025-03-12"), due_on=d("2025-04-09"), assignee_sub="handler-y"))
        # r5 (下属中心): waiting for the applicant's correction: not overdue, whatever its old due date
        await record(
            ev(
                CorrectionRequested,
                "r5",
                "a1",
                state="awaiting_correction",
                received_on=d("2025-03-12"),
                due_on=d("2025-04-01"),
                correction_due_on=d("2025-03-25"),
                items=["缺少身份证明"],
            )
        )
        # r6 (乙局, outside 甲局's subtree): overdue since 29 March
        await record(ev(RequestAssigned, "r6", "b", received_on=d("2025-03-01"), due_on=d("2025-03-29"), assignee_sub="handler-b"))
        # r7 (甲局): withdrawn and closed in March
        await record(
            ev(RequestReceived, "r7", "a", state="received", received_on=d("2025-03-14"), due_on=d("2025-04-11")),
            ev(
                RequestClosed,
                "r7",
                "a",
                state="closed",
                received_on=d("2025-03-14"),
                due_on=d("2025-04-11"),
                category="withdrawn",
                reason="withdrawn",
                closed_on=d("2025-03-15"),
            ),
        )
    return settings, ids, r


A = {
    "received": 3,
    "answered": 1,
    "answered_on_time": 1,
    "closed_without_answer": 1,
    "overdue_now": 1,
    "avg_working_days": 13.0,
    "p90_working_days": 13,
    "extensions_used": 1,
    "corrections_issued": 1,
}
A1 = {
    "received": 2,
    "answered": 1,
    "answered_on_time": 0,
    "closed_without_answer": 0,
    "overdue_now": 1,
    "avg_working_days": 38.0,
    "p90_working_days": 38,
    "extensions_used": 0,
    "corrections_issued": 1,
}


async def test_statistics_per_agency_and_in_total(facts):
    settings, ids, _ = facts
    async with client(settings) as c:
        response = await c.get(
            URL, params={**MARCH, "agency_id": ids["a"], "subtree": "true"}, headers=auth(settings, "supervisor", agency_id=ids["a"])
        )
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {row["agency_id"]: row for row in body["agencies"]}
    assert set(rows) == {ids["a"], ids["a1"]}
    assert rows[ids["a"]] == {"agency_id": ids["a"], "agency_name": "某某县甲局", **A}
    assert rows[ids["a1"]] == {"agency_id": ids["a1"], "agency_name": "某某县甲局下属中心", **A1}
    assert body["total"] == {
        "received": 5,
        "answered": 2,
        "answered_on_time": 1,
        "closed_without_answer": 1,
        "overdue_now": 2,
        "avg_working_days": 25.5,
        "p90_working_days": 38,
        "extensions_used": 1,
        "corrections_issued": 2,
    }
    assert (body["since"], body["until"], body["today"]) == ("2025-03-01", "2025-03-31", "2025-04-10")


async def test_the_period_and_the_default_agency(facts):
    settings, ids, _ = facts
    async with client(settings) as c:
        # a handler's default is their own agency; February only saw r3 received
        feb = (
            await c.get(
                URL,
                params={"since": "2025-02-01", "until": "2025-02-28", "today": "2025-04-10"},
                headers=auth(settings, "handler", agency_id=ids["a1"]),
            )
        ).json()
        assert [row["agency_id"] for row in feb["agencies"]] == [ids["a1"]]
        assert feb["total"]["received"] == 1 and feb["total"]["answered"] == 0 and feb["total"]["overdue_now"] == 1
        # an admin without an agency sees every agency; without `today`, today is Beijing's date
        everything = (await c.get(URL, params={"since": "2025-03-01", "until": "2025-03-31"}, headers=auth(settings, "admin"))).json()
        assert everything["today"] == local_today().isoformat()
        assert everything["total"]["received"] == 6 and everything["total"]["overdue_now"] == 3


async def test_who_may_see_timeliness(facts):
    settings, ids, _ = facts
    async with client(settings) as c:
        for path in (URL, URL + "/overdue"):
            assert (await c.get(path, params={"agency_id": ids["a"]}, headers=auth(settings, "applicant"))).status_code == 403
            assert (
                await c.get(path, params={"agency_id": ids["a"]}, headers=auth(settings, "handler", agency_id=ids["a1"]))
            ).status_code == 404
            assert (
                await c.get(path, params={"agency_id": ids["b"]}, headers=auth(settings, "supervisor", agency_id=ids["a"]))
            ).status_code == 404
            assert (
                await c.get(path, params={"agency_id": ids["a1"]}, headers=auth(settings, "handler", agency_id=ids["a"]))
            ).status_code == 200


async def test_the_overdue_list_names_agency_and_handler(facts):
    settings, ids, r = facts
    async with client(settings) as c:
        response = await c.get(
            URL + "/overdue",
            params={"agency_id": ids["county"], "subtree": "true", "today": "2025-04-10"},
            headers=auth(settings, "supervisor", agency_id=ids["county"]),
        )
        assert response.status_code == 200, response.text
        listed = [(o["request_id"], o["agency_name"], o["assignee_sub"], o["due_on"], o["days_overdue"]) for o in response.json()]
        assert listed == [
            (r["r6"], "某某县乙局", "handler-b", "2025-03-29", 12),
            (r["r2"], "某某县甲局", "handler-x", "2025-04-02", 8),
            (r["r4"], "某某县甲局下属中心", "handler-y", "2025-04-09", 1),
        ]
        own = (await c.get(URL + "/overdue", params={"today": "2025-04-10"}, headers=auth(settings, "handler", agency_id=ids["a"]))).json()
        assert [o["request_id"] for o in own] == [r["r2"]]
        assert own[0]["tracking_number"] and own[0]["state"] == "in_progress"
        earlier = (
            await c.get(URL + "/overdue", params={"agency_id": ids["a1"], "today": "2025-04-09"}, headers=auth(settings, "admin"))
        ).json()
        assert earlier == []


async def test_timeliness_and_the_assessment_count_the_same_answers_for_the_same_subtree_and_year(facts):
    """A withdrawal is not an answer in either (issue #17: timeliness had counted r7 as answered)."""
    settings, ids, _ = facts
    year = {"since": "2025-01-01", "until": "2025-12-31", "today": "2025-12-31"}
    headers = auth(settings, "supervisor", agency_id=ids["a"])
    async with client(settings) as c:
        for agency in ("a", "a1"):
            t = (await c.get(URL, params={**year, "agency_id": ids[agency], "subtree": "true"}, headers=headers)).json()["total"]
            s = (
                await c.get("/api/v1/audit/assessment", params={"agency_id": ids[agency], "year": 2025, "subtree": "true"}, headers=headers)
            ).json()["statistics"]
            assert (t["answered"], t["answered_on_time"], t["overdue_now"]) == (s["answered"], s["answered_on_time"], s["overdue_open"])
    assert (t["answered"], t["closed_without_answer"]) == (1, 0)  # 下属中心: r3 only
