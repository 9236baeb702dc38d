"""Art. 26 watch: remind before the 20-working-day publication deadline, list what is late."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date

from sqlalchemy import or_, select

from services.catalog.adapters.orm import Document
from services.catalog.domain.documents import Status
from services.catalog.service.documents import emit
from shared.contracts.catalog import DocumentPublicationDue
from shared.periodic import every
from shared.uow import UnitOfWork
from shared.workdays import WorkCalendar

log = logging.getLogger(__name__)
UNPUBLISHED = (Status.draft.value, Status.in_review.value)


async def remind_once(new_uow: Callable[[], UnitOfWork], cal: WorkCalendar, today: date, days_before: int) -> int:
    """One DocumentPublicationDue per unpublished document once it is `days_before` working days
    (or fewer) from its deadline; returns how many were sent. Safe to run on several replicas:
    the rows are locked and marked in the same transaction as the event."""
    async with new_uow() as uow:
        # Candidates by calendar days first (cheap, indexed); the working-day test below is exact.
        horizon = cal.add_workdays(today, days_before)
        rows = list(
            (
                await uow.session.execute(
                    select(Document)
                    .where(Document.status.in_(UNPUBLISHED), Document.reminded_on.is_(None), Document.publish_due_on <= horizon)
                    .order_by(Document.publish_due_on)
                    .limit(500)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        for d in rows:
            left = cal.workdays_between(today, d.publish_due_on)
            d.reminded_on = today
            await emit(
                uow,
                None,
                d,
                DocumentPublicationDue,
                index_number=d.index_number,
                title=d.title,
                made_on=d.made_on,
                publish_due_on=d.publish_due_on,
                working_days_left=left,
            )
        await uow.commit()
        return len(rows)


async def late_documents(session, agency_ids: set[str] | None, today: date, year: int | None) -> list[Document]:
    """Unpublished past their deadline, and published later than it (in `year` when given)."""
    late_published = Document.published_on_time.is_(False) & (Document.status == Status.published.value)
    if year:
        late_published &= Document.published_on >= date(year, 1, 1)
        late_published &= Document.published_on <= date(year, 12, 31)
    stmt = select(Document).where(or_(Document.status.in_(UNPUBLISHED) & (Document.publish_due_on < today), late_published))
    if agency_ids is not None:
        stmt = stmt.where(Document.agency_id.in_(sorted(agency_ids)))
    return list((await session.execute(stmt.order_by(Document.publish_due_on, Document.id).limit(1000))).scalars())


async def run_forever(
    new_uow: Callable[[], UnitOfWork], today: Callable[[], date], cal: WorkCalendar, days_before: int, interval: float, stop: asyncio.Event
) -> None:
    await every(interval, stop, lambda: remind_once(new_uow, cal, today(), days_before), what="publication watch round", log=log)
