"""The working-day calendar through the API: public to read, admins complete a year the State Council
has announced but the packaged calendar does not know yet, and due dates follow."""

from __future__ import annotations

from datetime import date
from typing import Any

from services.requests.tests.conftest import API, request_body

HOLIDAY = {"workday": False, "note": "元旦"}


async def calendar(h, year: int) -> dict[str, Any]:
    r = await h.client.get(f"{API}/calendar/{year}")  # no token: the calendar is public
    assert r.status_code == 200, r.text
    return r.json()


async def detail(h, rid: str) -> dict[str, Any]:
    r = await h.client.get(f"{API}/requests/{rid}", headers=h.who("applicant", sub="citizen-1"))
    assert r.status_code == 200, r.text
    return r.json()


async def submit(h) -> dict[str, Any]:
    r = await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=h.who("applicant", sub="citizen-1"))
    assert r.status_code == 201, r.text
    return r.json()


async def test_2026_follows_the_official_arrangement_with_named_holidays_and_adjusted_workdays(harness):
    body = await calendar(harness, 2026)
    assert body["year"] == 2026 and body["source"] == "official" and body["warning"] is None
    days = {d["day"]: d for d in body["special_days"]}
    assert days["2026-10-01"] == {"day": "2026-10-01", "kind": "holiday", "note": "国庆节"}
    assert all(days[f"2026-10-0{i}"]["kind"] == "holiday" for i in range(1, 8))
    assert days["2026-10-10"]["kind"] == "adjusted_workday" and date(2026, 10, 10).weekday() == 5
    assert days["2026-01-01"]["kind"] == "holiday" and days["2026-01-01"]["note"] == "元旦"
    # ordinary weekends and working days are not listed
    assert "2026-10-17" not in days and "2026-10-12" not in days


async def test_an_unannounced_year_counts_weekends_only_and_says_so_in_chinese(harness):
    body = await calendar(harness, 2027)
    assert body["source"] == "weekends_only"
    assert "尚未公布" in body["warning"] and "暂定" in body["warning"]
    assert body["special_days"] == []
    r = await harness.client.get(f"{API}/calendar/1999")
    assert r.status_code == 422 and r.json()["code"] == "validation_failed"


async def test_only_an_admin_may_correct_or_announce_the_calendar(harness):
    h = harness
    for headers in (h.who("applicant", sub="citizen-1"), h.who("handler"), h.who("head"), h.who("supervisor", agency=h.county)):
        for method, path, body in (
            ("PUT", "/calendar/days/2027-01-01", HOLIDAY),
            ("DELETE", "/calendar/days/2027-01-01", None),
            ("POST", "/calendar/years/2027/announce", None),
        ):
            r = await h.client.request(method, f"{API}{path}", json=body, headers=headers)
            assert r.status_code == 403 and r.json()["code"] == "forbidden_role", (method, path, r.text)
    r = await h.client.put(f"{API}/calendar/days/2027-01-01", json=HOLIDAY)
    assert r.status_code == 401
    unchanged = await calendar(h, 2027)
    assert unchanged["source"] == "weekends_only" and unchanged["special_days"] == []


async def test_an_admin_announces_2027_and_due_dates_skip_new_years_day(harness):
    h = harness
    h.set_today(date(2026, 12, 28))
    early = await submit(h)
    # 2027 unknown: Friday 2027-01-01 counts as a working day and the due date is provisional
    assert early["due_on"] == "2027-01-25"
    assert early["due"]["provisional"] is True and early["due"]["calendar"] == {"2026": "official", "2027": "weekends_only"}
    assert "暂定" in early["due"]["explanation"]

    admin = h.who("admin", sub="admin-1")
    r = await h.client.put(f"{API}/calendar/days/2027-01-01", json=HOLIDAY, headers=admin)
    assert r.status_code == 200 and r.json() == {"day": "2027-01-01", "workday": False, "note": "元旦"}
    entered = await calendar(h, 2027)
    assert entered["source"] == "weekends_only"  # entered, not yet declared complete
    assert entered["special_days"] == [{"day": "2027-01-01", "kind": "holiday", "note": "元旦"}]
    assert (await detail(h, early["id"]))["due"]["provisional"] is True

    r = await h.client.post(f"{API}/calendar/years/2027/announce", headers=admin)
    assert r.status_code == 200 and r.json() == {"year": 2027, "source": "admin"}
    announced = await calendar(h, 2027)
    assert announced["source"] == "admin" and announced["warning"] is None
    assert announced["special_days"] == [{"day": "2027-01-01", "kind": "holiday", "note": "元旦"}]

    later = await submit(h)
    for view in (await detail(h, early["id"]), later):
        due = view["due"]
        assert due["due_on"] == "2027-01-26" and view["due_on"] == "2027-01-26", view["tracking_number"]
        assert due["provisional"] is False and due["calendar"] == {"2026": "official", "2027": "admin"}
        assert {"day": "2027-01-01", "kind": "holiday", "note": "元旦"} in due["skipped_days"]
        assert "2027-01-01" not in due["counted_days"] and len(due["counted_days"]) == 20
        assert "2027-01-26" in due["explanation"] and "暂定" not in due["explanation"]

    # the stored due date is what the queue, the public status and the scheduler go by
    h.set_today(date(2027, 1, 26))
    handler = h.who("handler")
    overdue = await h.client.get(f"{API}/queue", params={"overdue": True}, headers=handler)
    assert overdue.json()["total"] == 0, overdue.json()
    today = await h.client.get(f"{API}/queue", params={"due_within_days": 0}, headers=handler)
    assert sorted(i["id"] for i in today.json()["items"]) == sorted([early["id"], later["id"]])
    status = await h.client.post(
        f"{API}/public/status", json={"tracking_number": early["tracking_number"], "query_code": early["query_code"]}
    )
    assert status.json()["due_on"] == "2027-01-26" and status.json()["days_remaining"] == 0 and status.json()["overdue"] is False

    # withdrawing the correction makes 2027-01-01 a working day again for requests still open
    r = await h.client.delete(f"{API}/calendar/days/2027-01-01", headers=admin)
    assert r.status_code == 204
    assert (await detail(h, early["id"]))["due_on"] == "2027-01-25"
    r = await h.client.delete(f"{API}/calendar/days/2027-01-01", headers=admin)
    assert r.status_code == 404 and r.json()["code"] == "override_not_found"


async def test_from_1_november_officers_are_warned_while_next_years_holidays_are_not_entered(harness):
    """Issue #17: due dates crossing into an unannounced year counted 1 January as a working day, unflagged."""
    h = harness
    officer = h.who("handler", sub="handler-1")

    async def warnings() -> tuple[str | None, str | None]:
        notice = (await h.client.get(f"{API}/calendar-notice")).json()
        queue = (await h.client.get(f"{API}/queue", headers=officer)).json()
        return notice["warning"], queue["calendar_warning"]

    # Years the packaged calendar cannot know yet: 2030 entered by the admin, 2031 not.
    assert (await h.client.post(f"{API}/calendar/years/2030/announce", headers=h.who("admin"))).status_code == 200
    h.set_today(date(2030, 10, 31))
    assert await warnings() == (None, None)
    h.set_today(date(2030, 11, 1))
    notice, queue = await warnings()
    assert notice == queue and "2031年放假安排尚未录入" in notice and "暂定" in notice
    # A request received in December has a due date past New Year: flagged provisional until 2031 is entered.
    h.set_today(date(2030, 12, 16))
    rid = (await h.client.post(f"{API}/requests", json=request_body(h.agency_a), headers=h.who("applicant", sub="citizen-cal"))).json()[
        "id"
    ]
    detail = (await h.client.get(f"{API}/requests/{rid}", headers=officer)).json()
    assert detail["due_on"] > "2031-01-01" and detail["due"]["provisional"] is True
    assert (await h.client.post(f"{API}/calendar/years/2031/announce", headers=h.who("admin"))).status_code == 200
    assert await warnings() == (None, None)
    assert (await h.client.get(f"{API}/requests/{rid}", headers=officer)).json()["due"]["provisional"] is False
