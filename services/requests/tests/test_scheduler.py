"""The scheduler: deadline reminders and statutory lapses happen exactly once, even with two replicas racing.

Requests are made through the HTTP API; passes are driven with `run_once`, one replica being the
app's own runtime and the other a second `ServiceRuntime` on the same database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from services.requests.adapters.orm import ReminderSent
from services.requests.app import build_spec
from services.requests.service import actions
from services.requests.service.scheduler import run_once
from services.requests.tests.conftest import API, request_body
from shared.service import ServiceRuntime

DUE = date(2026, 10, 30)  # received 2026-09-28 under the 2019 rules
Race = Callable[[date], Awaitable[dict[str, int]]]


@contextlib.asynccontextmanager
async def two_schedulers(h) -> AsyncIterator[Race]:
    """`race(day)` runs one pass on each of two replicas at once and adds up what they did."""
    replica = ServiceRuntime(build_spec(h.settings))
    try:

        async def race(day: date) -> dict[str, int]:
            results = await asyncio.gather(run_once(h.app.state.runtime.uow, day), run_once(replica.uow, day))
            return {kind: sum(r[kind] for r in results) for kind in results[0]}

        yield race
    finally:
        await replica.engine.dispose()


def lockstep(monkeypatch, step: str, timeout: float = 2.0) -> list[int]:
    """Hold each replica at `actions.<step>`, with the request already loaded, until both are there.

    On PostgreSQL both replicas then change the same request and one must lose to the version
    guard. On SQLite the second replica cannot even read before the first commits (BEGIN
    IMMEDIATE), so after `timeout` the first goes on alone. Returns one entry per arrival.
    """
    real, arrived, both = getattr(actions, step), [], asyncio.Event()

    async def held(*args: Any, **kwargs: Any) -> Any:
        arrived.append(1)
        if len(arrived) == 2:
            both.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(both.wait(), timeout)
        return await real(*args, **kwargs)

    monkeypatch.setattr(actions, step, held)
    return arrived


def skipped_as_concurrent(caplog, what: str) -> int:
    """Passes a replica abandoned because the other replica had just done the same work (of kind `what`).

    Counted per kind: the daily due-date refresh of a paused request may also collide, harmlessly."""
    return sum(
        1 for r in caplog.records if r.name.endswith("scheduler") and "handled concurrently" in r.getMessage() and what in r.getMessage()
    )


def expect_one_winner(h, arrived: list[int], caplog) -> None:
    """On PostgreSQL both replicas really raced and one lost; on SQLite the second found the work done."""
    if h.settings.database_url.startswith("postgresql"):
        assert len(arrived) == 2 and skipped_as_concurrent(caplog, "lapse") == 1
    else:
        assert len(arrived) == 1 and skipped_as_concurrent(caplog, "lapse") == 0


async def submit(h, sub: str = "citizen-1", **overrides: Any) -> dict[str, Any]:
    r = await h.client.post(f"{API}/requests", json=request_body(h.agency_a, **overrides), headers=h.who("applicant", sub=sub))
    assert r.status_code == 201, r.text
    return r.json()


async def act(h, rid: str, path: str, body: dict[str, Any], role: str, sub: str) -> dict[str, Any]:
    r = await h.client.post(f"{API}/requests/{rid}/{path}", json=body, headers=h.who(role, sub=sub))
    assert r.status_code == 200, r.text
    return r.json()


async def detail(h, rid: str) -> dict[str, Any]:
    r = await h.client.get(f"{API}/requests/{rid}", headers=h.who("handler"))
    assert r.status_code == 200, r.text
    return r.json()


async def reminders(h, rid: str) -> list[tuple[str, int]]:
    return [
        (e["payload"]["reminder"], e["payload"]["days_remaining"]) for e in await h.outbox_events(rid) if e["type"] == "DeadlineReminder"
    ]


async def reminder_rows(h, rid: str) -> list[tuple[int, str, date]]:
    async with h.app.state.runtime.sessions() as s:
        rows = await s.execute(select(ReminderSent.round, ReminderSent.kind, ReminderSent.due_on).where(ReminderSent.request_id == rid))
        return sorted(tuple(row) for row in rows)


def count(events: list[str], kind: str) -> int:
    return sum(1 for e in events if e == kind)


# -- 8. reminders ----------------------------------------------------------------------------------


async def test_each_deadline_reminder_is_sent_exactly_once_while_two_schedulers_race(harness, caplog):
    h = harness
    caplog.set_level(logging.INFO, logger="services.requests.service.scheduler")
    rid = (await submit(h))["id"]
    assert (await detail(h, rid))["due_on"] == DUE.isoformat()

    async with two_schedulers(h) as race:
        steps = [
            (date(2026, 10, 26), 0, []),  # 4 working days left: nothing yet
            (date(2026, 10, 27), 1, [("approaching", 3)]),  # 3 working days before the due date
            (date(2026, 10, 27), 0, [("approaching", 3)]),  # the same day again: nothing more
            (date(2026, 10, 28), 0, [("approaching", 3)]),
            (date(2026, 10, 29), 0, [("approaching", 3)]),
            (date(2026, 10, 30), 1, [("approaching", 3), ("due_today", 0)]),
            (date(2026, 10, 30), 0, [("approaching", 3), ("due_today", 0)]),
            (date(2026, 11, 2), 1, [("approaching", 3), ("due_today", 0), ("overdue", -1)]),
            (date(2026, 11, 3), 0, [("approaching", 3), ("due_today", 0), ("overdue", -1)]),
            (date(2026, 11, 20), 0, [("approaching", 3), ("due_today", 0), ("overdue", -1)]),
        ]
        for day, sent, so_far in steps:
            losers = skipped_as_concurrent(caplog, "reminder")
            done = await race(day)
            assert done["reminders"] == sent, (day, done)
            assert await reminders(h, rid) == so_far, day
            if sent:  # the other replica tried the same reminder and was stopped by reminders_sent's primary key
                assert skipped_as_concurrent(caplog, "reminder") == losers + 1, day

    assert await reminder_rows(h, rid) == [(1, "approaching", DUE), (1, "due_today", DUE), (1, "overdue", DUE)]
    reminded = [e for e in (await detail(h, rid))["timeline"] if e["action"] == "remind"]
    assert len(reminded) == 3 and {e["label"] for e in reminded} == {"期限提醒"}
    assert {e["actor_role"] for e in reminded} == {"system"}
    # reminders leave the request where it was
    assert (await detail(h, rid))["state"] == "received"


async def test_finished_and_paused_requests_get_no_reminders(harness):
    h = harness
    handler, head, reviewer = ("handler", "handler-1"), ("head", "head-1"), ("reviewer", "reviewer-1")
    answered = (await submit(h))["id"]
    await act(h, answered, "assign", {"assignee_sub": "handler-1"}, *head)
    await act(h, answered, "answer", {"category": "disclosed", "reason": "provided", "letter": "予以公开，详见附件。"}, *handler)
    await act(h, answered, "review/approve", {}, *reviewer)
    assert (await act(h, answered, "answer/dispatch", {}, *handler))["state"] == "answered"
    withdrawn = (await submit(h))["id"]
    assert (await act(h, withdrawn, "withdraw", {"reason": "不再需要"}, "applicant", "citizen-1"))["state"] == "closed"
    waiting = (await submit(h))["id"]
    notice = await act(h, waiting, "correction-notice", {"items": ["请写明所需信息的文号"], "period_days": 60}, *handler)
    assert notice["state"] == "awaiting_correction" and notice["correction"]["due_on"] > "2026-11-20"
    running = (await submit(h))["id"]
    everyone = (answered, withdrawn, waiting, running)
    assert {(await detail(h, rid))["due_on"] for rid in everyone} == {DUE.isoformat()}

    async with two_schedulers(h) as race:
        for day, sent in ((date(2026, 10, 27), 1), (date(2026, 10, 30), 1), (date(2026, 11, 2), 1), (date(2026, 11, 20), 0)):
            done = await race(day)
            assert done["reminders"] == sent and done["corrections_lapsed"] == 0, (day, done)

    for rid in (answered, withdrawn, waiting):
        assert await reminders(h, rid) == [] and await reminder_rows(h, rid) == [], rid
    assert [kind for kind, _ in await reminders(h, running)] == ["approaching", "due_today", "overdue"]
    assert (await detail(h, waiting))["state"] == "awaiting_correction"


async def test_the_first_pass_after_a_friday_due_date_reports_overdue_even_on_the_weekend(harness):
    h = harness
    seen_on_due_date = (await submit(h))["id"]  # received Mon 09-28: due Fri 10-30
    h.set_today(date(2026, 10, 16))
    missed_due_date = (await submit(h))["id"]  # received Fri 10-16: due Fri 11-13
    assert (await detail(h, missed_due_date))["due_on"] == "2026-11-13"
    assert DUE.weekday() == date(2026, 11, 13).weekday() == 4

    async with two_schedulers(h) as race:
        await race(date(2026, 10, 27))
        await race(DUE)
        h.set_today(date(2026, 10, 31))
        assert (await detail(h, seen_on_due_date))["overdue"] is True  # what the API says that Saturday
        assert (await race(date(2026, 10, 31)))["reminders"] == 1
        assert [kind for kind, _ in await reminders(h, seen_on_due_date)] == ["approaching", "due_today", "overdue"]

        await race(date(2026, 11, 10))
        # the scheduler was down on Friday 11-13; its first pass afterwards is on Saturday
        assert (await race(date(2026, 11, 14)))["reminders"] == 1
        assert [kind for kind, _ in await reminders(h, missed_due_date)] == ["approaching", "overdue"]  # never "due today"
        assert (await race(date(2026, 11, 16)))["reminders"] == 0
    assert [kind for kind, _ in await reminders(h, seen_on_due_date)] == ["approaching", "due_today", "overdue"]


# -- 9. lapses -------------------------------------------------------------------------------------


async def test_an_uncorrected_request_lapses_once_when_two_schedulers_race(harness, monkeypatch, caplog):
    h = harness
    caplog.set_level(logging.INFO, logger="services.requests.service.scheduler")
    arrived = lockstep(monkeypatch, "close")
    rid = (await submit(h))["id"]
    notice = await act(
        h, rid, "correction-notice", {"items": ["请写明所需信息的文号", "请说明所属年度"], "period_days": 5}, "handler", "handler-1"
    )
    correction_due = date.fromisoformat(notice["correction"]["due_on"])
    # 5 working days after 09-28: 09-29, 09-30, then past the National Day holiday 10-08, 10-09 and Saturday 10-10 (调休)
    assert correction_due == date(2026, 10, 10)

    async with two_schedulers(h) as race:
        assert (await race(correction_due))["corrections_lapsed"] == 0  # the last day of the period is still the applicant's
        assert (await detail(h, rid))["state"] == "awaiting_correction"
        assert (await race(correction_due + timedelta(days=1)))["corrections_lapsed"] == 1
        expect_one_winner(h, arrived, caplog)
        assert (await race(correction_due + timedelta(days=2)))["corrections_lapsed"] == 0

    types = await h.outbox_types(rid)
    assert count(types, "RequestClosed") == 1 and types[-1] == "RequestClosed"
    closed = [e for e in await h.outbox_events(rid) if e["type"] == "RequestClosed"][0]["payload"]
    assert (closed["category"], closed["reason"], closed["closed_on"]) == ("other", "no_correction", "2026-10-11")
    after = await detail(h, rid)
    assert after["state"] == "closed" and after["outcome"]["reason"] == "no_correction"
    assert [e["action"] for e in after["timeline"]].count("lapse") == 1
    # too late now: the applicant can no longer correct it
    r = await h.client.post(
        f"{API}/requests/{rid}/correction", json={"description": "补正后的描述"}, headers=h.who("applicant", sub="citizen-1")
    )
    assert r.status_code == 409 and r.json()["code"] == "illegal_transition"


async def test_an_unpaid_fee_lapses_once_when_two_schedulers_race(harness, monkeypatch, caplog):
    h = harness
    caplog.set_level(logging.INFO, logger="services.requests.service.scheduler")
    arrived = lockstep(monkeypatch, "close")
    rid = (await submit(h))["id"]
    await act(h, rid, "assign", {"assignee_sub": "handler-1"}, "head", "head-1")
    notice = await act(h, rid, "fee-notice", {"pages": 40}, "handler", "handler-1")
    assert notice["state"] == "awaiting_fee" and notice["fee"]["amount_yuan"] == 100  # pages 31–40 at 10 yuan
    pay_by = date.fromisoformat(notice["fee"]["pay_by"])

    async with two_schedulers(h) as race:
        assert (await race(pay_by))["fees_lapsed"] == 0
        assert (await race(pay_by + timedelta(days=1)))["fees_lapsed"] == 1
        expect_one_winner(h, arrived, caplog)
        assert (await race(pay_by + timedelta(days=2)))["fees_lapsed"] == 0

    assert count(await h.outbox_types(rid), "RequestClosed") == 1
    after = await detail(h, rid)
    assert after["state"] == "closed" and after["outcome"]["reason"] == "fee_unpaid"
    assert [e["action"] for e in after["timeline"]].count("lapse") == 1


async def test_a_silent_third_party_lapses_once_and_the_clock_resumes(harness, monkeypatch, caplog):
    h = harness
    caplog.set_level(logging.INFO, logger="services.requests.service.scheduler")
    arrived = lockstep(monkeypatch, "close_consultation")
    rid = (await submit(h))["id"]
    await act(h, rid, "assign", {"assignee_sub": "handler-1"}, "head", "head-1")
    h.set_today(date(2026, 10, 9))
    started = await act(
        h,
        rid,
        "consultations",
        {"kind": "third_party", "party": "某某食品有限公司", "question": "是否同意公开贵公司的检查记录？"},
        "handler",
        "handler-1",
    )
    assert started["state"] == "consulting"
    reply_due = date.fromisoformat(started["consultations"][0]["reply_due_on"])

    async with two_schedulers(h) as race:
        assert (await race(reply_due))["consultations_lapsed"] == 0
        assert (await race(reply_due + timedelta(days=1)))["consultations_lapsed"] == 1
        expect_one_winner(h, arrived, caplog)
        assert (await race(reply_due + timedelta(days=2)))["consultations_lapsed"] == 0

    replies = [e["payload"] for e in await h.outbox_events(rid) if e["type"] == "ConsultationReplied"]
    assert len(replies) == 1 and replies[0]["silent"] is True and replies[0]["opinion"] == "silence"
    after = await detail(h, rid)
    assert after["state"] == "in_progress"
    assert after["consultations"][0]["opinion"] == "silence" and after["consultations"][0]["replied_on"] == reply_due.isoformat()
    assert after["due"]["pauses"] == [{"kind": "third_party", "start": "2026-10-09", "end": reply_due.isoformat()}]
    assert after["due_on"] > DUE.isoformat()  # the 15 working days of consultation did not count
