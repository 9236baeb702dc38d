"""Art. 26 on the real calendar: 20 working days from the day a document is made, reminders, the late list."""

from __future__ import annotations

from datetime import date

from services.catalog.service.watch import remind_once
from services.catalog.tests.conftest import API


def due_events(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "DocumentPublicationDue"]


async def remind(c, day: date) -> int:
    return await remind_once(c.app.state.runtime.uow, c.app.state.calendar, day, c.settings.reminder_days_before)


async def test_deadline_skips_the_national_day_holiday_and_counts_the_adjusted_saturday(catalog_app) -> None:
    c = catalog_app
    # Counting from 09-30: 10-08, 10-09, Saturday 10-10 (调休), 10-12..16, 10-19..23, 10-26..30, 11-02, 11-03.
    d = await c.draft(made_on="2026-09-30")
    assert d["publish_due_on"] == "2026-11-03"
    # Changing the date made moves the deadline.
    r = await c.client.patch(f"{API}/documents/{d['id']}", json={"made_on": "2026-09-28"}, headers=c.who("handler"))
    assert r.json()["publish_due_on"] == "2026-10-30"


async def test_one_reminder_before_the_deadline(catalog_app) -> None:
    c = catalog_app
    c.set_today(date(2026, 10, 20))
    soon = await c.draft(made_on="2026-09-28")  # due 10-30
    later = await c.draft(made_on="2026-10-20")  # due 11-17
    assert await remind(c, date(2026, 10, 22)) == 0  # 6 working days left: not yet (reminder at 5)
    assert await remind(c, date(2026, 10, 23)) == 1  # 10-26..10-30: 5 left
    assert await remind(c, date(2026, 10, 26)) == 0  # once only
    [event] = due_events(await c.outbox())
    assert event["aggregate_id"] == soon["id"]
    assert event["payload"] | {"publish_due_on": "2026-10-30", "working_days_left": 5, "made_on": "2026-09-28"} == event["payload"]
    # Publishing in time leaves nothing to remind about.
    c.set_today(date(2026, 11, 9))
    await c.step(later["id"], "submit", c.who("handler"))
    await c.step(later["id"], "approve", c.who("reviewer"))
    assert await remind(c, date(2026, 11, 12)) == 0


async def test_late_publication_is_flagged_and_listed(catalog_app) -> None:
    c = catalog_app
    c.set_today(date(2026, 11, 2))
    late = await c.draft(made_on="2026-09-28")  # due 10-30
    on_time = await c.draft(made_on="2026-10-20")  # due 11-17
    listed = (await c.client.get(f"{API}/documents/overdue", headers=c.who("handler"))).json()
    assert [(i["id"], i["working_days_late"]) for i in listed["items"]] == [(late["id"], 1)]
    c.set_today(date(2026, 11, 4))
    await c.step(late["id"], "submit", c.who("handler"))
    published = await c.step(late["id"], "approve", c.who("reviewer"))
    assert published["published_on_time"] is False
    [event] = [e for e in await c.outbox() if e["type"] == "DocumentPublished"]
    assert event["payload"]["published_on_time"] is False
    listed = (await c.client.get(f"{API}/documents/overdue", params={"year": 2026}, headers=c.who("handler"))).json()
    assert [(i["id"], i["status"], i["working_days_late"]) for i in listed["items"]] == [(late["id"], "published", 3)]
    assert on_time["id"] not in [i["id"] for i in listed["items"]]
    # Another department's officers do not see this agency's list; the county's supervisor does.
    other = (await c.client.get(f"{API}/documents/overdue", headers=c.who("handler", c.finance))).json()
    assert other["items"] == []
    county = (await c.client.get(f"{API}/documents/overdue", params={"year": 2026}, headers=c.who("supervisor", c.county))).json()
    assert [i["id"] for i in county["items"]] == [late["id"]]
    r = await c.client.get(f"{API}/documents/overdue", params={"agency_id": c.civil}, headers=c.who("handler", c.finance))
    assert r.status_code == 403
