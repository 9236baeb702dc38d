"""The scheduler: lapses the law attaches consequences to, and deadline reminders, each exactly once.

Safe with several replicas: every request is handled in its own transaction, state changes
are guarded by the request's version (a concurrent change makes one replica's flush fail
and it moves on), and a reminder is recorded under a primary key (request, round, kind,
due date) in the same transaction as its event, so a second replica's insert fails.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from services.requests.adapters.orm import Consultation, DisclosureRequest, IdempotencyKey, ReminderSent
from services.requests.domain.clock import days_remaining
from services.requests.domain.workflow import CLOCK_STOPPED, OPEN_STATES, State
from services.requests.service import actions
from services.requests.service.deadlines import load_calendar, pauses_of, refresh_due
from services.requests.service.steps import record
from shared.contracts.requests import DeadlineReminder
from shared.db import affected_rows, utcnow
from shared.periodic import every
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)
RUNNING = [s.value for s in OPEN_STATES - CLOCK_STOPPED]
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)


async def _each(new_uow: Callable[[], UnitOfWork], ids: list, work, what: str) -> int:
    done = 0
    for item_id in ids:
        try:
            async with new_uow() as uow:
                if await work(uow, item_id):
                    await uow.commit()
                    done += 1
        except (IntegrityError, StaleDataError):
            log.info("scheduler: %s of %s was handled concurrently; skipping", what, item_id)
    return done


async def run_once(new_uow: Callable[[], UnitOfWork], today: date, reminder_days: int = 3) -> dict[str, int]:
    """One pass over everything due on `today`; returns what it did, by kind."""
    async with new_uow() as uow:
        s = uow.session
        corrections = list(
            (
                await s.execute(
                    select(DisclosureRequest.id).where(
                        DisclosureRequest.state == State.awaiting_correction.value, DisclosureRequest.correction_due_on < today
                    )
                )
            ).scalars()
        )
        fees = list(
            (
                await s.execute(
                    select(DisclosureRequest.id).where(
                        DisclosureRequest.state == State.awaiting_fee.value, DisclosureRequest.fee_pay_by < today
                    )
                )
            ).scalars()
        )
        consultations = list(
            (await s.execute(select(Consultation.id).where(Consultation.replied_on.is_(None), Consultation.reply_due_on < today))).scalars()
        )
        running = list(
            (
                await s.execute(
                    select(DisclosureRequest.id).where(DisclosureRequest.state.in_(RUNNING), DisclosureRequest.due_on.is_not(None))
                )
            ).scalars()
        )

    def lapse(state: State, reason: str, note: str, last_day: Callable[[DisclosureRequest], date | None]):
        """Close requests still waiting in `state` after their period ran out, on the day after its last day
        (the statutory day), not the day the scheduler happened to run (after a holiday, a restart, an outage)."""

        async def apply(uow: UnitOfWork, request_id: str) -> bool:
            r = await uow.session.get(DisclosureRequest, request_id)
            if r is None or r.state != state.value:
                return False
            end = last_day(r)
            lapsed_on = min(end + timedelta(days=1), today) if end is not None else today
            await actions.close(uow, r, None, "lapse", reason, lapsed_on, note)
            return True

        return apply

    lapse_correction = lapse(
        State.awaiting_correction, "no_correction", "补正期限届满，申请人未补正，视为放弃申请（第三十条）", lambda r: r.correction_due_on
    )
    lapse_fee = lapse(State.awaiting_fee, "fee_unpaid", "逾期未缴纳信息处理费，不再处理该申请", lambda r: r.fee_pay_by)

    async def lapse_consultation(uow: UnitOfWork, consultation_id: str) -> bool:
        consultation = await uow.session.get(Consultation, consultation_id)
        if consultation is None or consultation.replied_on is not None:
            return False
        r = await uow.session.get(DisclosureRequest, consultation.request_id)
        if r is None or r.state != State.consulting.value:
            return False  # the request ended (e.g. withdrawn) while consulting: nothing to resume
        calendar = await load_calendar(uow.session)
        # Art. 32: silence within 15 working days leaves the decision to the agency.
        await actions.close_consultation(
            uow,
            r,
            None,
            consultation,
            replied_on=consultation.reply_due_on,
            opinion="silence",
            text="逾期未提出意见",
            cal=calendar,
            today=today,
        )
        return True

    async def remind(uow: UnitOfWork, request_id: str) -> bool:
        r = await uow.session.get(DisclosureRequest, request_id)
        if r is None or r.state not in RUNNING or r.due_on is None:
            return False
        calendar = await load_calendar(uow.session)
        pauses = await pauses_of(uow.session, r)
        if any(p.end is None for p in pauses):
            before = r.due_on
            await refresh_due(uow.session, calendar, r, today)  # a paused clock moves the due date daily
            return r.due_on != before
        left = days_remaining(calendar, r.due_on, today, pauses)
        # After the due date it is overdue, even on a weekend before another working day has passed.
        # "approaching" anywhere in the window, so a scheduler that was down on the exact day still
        # sends it; the primary key keeps it to one per due date.
        kind = "overdue" if today > r.due_on else "due_today" if left == 0 else "approaching" if 0 < left <= reminder_days else None
        if kind is None:
            return False
        uow.session.add(ReminderSent(request_id=r.id, round=r.round, kind=kind, due_on=r.due_on))
        await uow.session.flush()  # a replica that got here first makes this fail: the reminder is theirs
        record(uow, r, None, "remind", r.state, DeadlineReminder, reminder=kind, days_remaining=left)
        return True

    # A stored submission response holds the query code and the applicant's details: keep it
    # only as long as a client could reasonably retry.
    async with new_uow() as uow:
        expired = affected_rows(
            await uow.session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - IDEMPOTENCY_KEY_TTL))
        )
        await uow.commit()

    return {
        "idempotency_keys_expired": expired,
        "corrections_lapsed": await _each(new_uow, corrections, lapse_correction, "correction lapse"),
        "fees_lapsed": await _each(new_uow, fees, lapse_fee, "fee lapse"),
        "consultations_lapsed": await _each(new_uow, consultations, lapse_consultation, "consultation lapse"),
        "reminders": await _each(new_uow, running, remind, "reminder"),
    }


async def run_forever(
    new_uow: Callable[[], UnitOfWork], today: Callable[[], date], stop: asyncio.Event, interval: float, reminder_days: int
) -> None:
    async def one_pass() -> None:
        done = await run_once(new_uow, today(), reminder_days)
        if any(done.values()):
            log.info("scheduler pass: %s", done)

    await every(interval, stop, one_pass, what="scheduler pass", log=log)
