"""Unit of work: one transaction, and the events it causes written to the outbox inside it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import utcnow
from shared.events import EventEnvelope
from shared.plumbing import Plumbing
from shared.settings import ServiceSettings

log = logging.getLogger(__name__)


def outbox_channel(settings: ServiceSettings) -> str:
    """The PostgreSQL NOTIFY channel a service's commits wake its relays on (one database per service)."""
    return f"outbox_{settings.service_name}".replace("-", "_")


class UnitOfWork:
    """Owns a session; `commit` writes pending events to the outbox and commits both together."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        plumbing: Plumbing,
        settings: ServiceSettings,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._plumbing = plumbing
        self._settings = settings
        self._on_commit = on_commit
        self._pending: list[tuple[str, EventEnvelope]] = []
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()
            self._pending.clear()
            self._after_commit.clear()

    @property
    def settings(self) -> ServiceSettings:
        return self._settings

    @property
    def plumbing(self) -> Plumbing:
        return self._plumbing

    def emit(self, topic: str, envelope: EventEnvelope) -> None:
        """Queue an event for `topic` (logical name); it is stored only if the transaction commits."""
        self._pending.append((self._settings.topic(topic), envelope))

    def after_commit(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` once this transaction has committed (never if it rolls back): slow follow-up work
        that must not hold the transaction's locks. Best effort: a failure is logged, the commit stands."""
        self._after_commit.append(work)

    @property
    def pending_events(self) -> list[EventEnvelope]:
        return [e for _, e in self._pending]

    async def commit(self) -> None:
        if self._pending:
            now = utcnow()
            await self.session.execute(
                insert(self._plumbing.outbox),
                [
                    {
                        "event_id": e.event_id,
                        "topic": topic,
                        "key": e.aggregate_id,
                        "event_type": e.type,
                        "body": e.model_dump_json(),
                        "created_at": now,
                    }
                    for topic, e in self._pending
                ],
            )
            if self.session.get_bind().dialect.name == "postgresql":
                # Delivered at commit to the relays of this service listening in other processes
                # (a worker): they publish at once instead of at their next poll.
                await self.session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": outbox_channel(self._settings)})
        await self.session.commit()
        had_events = bool(self._pending)
        self._pending.clear()
        if had_events and self._on_commit:
            self._on_commit()
        follow_ups, self._after_commit = self._after_commit, []
        for work in follow_ups:
            try:
                await work()
            except Exception:
                log.exception("work after commit failed")

    async def rollback(self) -> None:
        self._pending.clear()
        self._after_commit.clear()
        await self.session.rollback()
