"""Follows the identity service's accounts: a merged account's requests move to the surviving one."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time

from services.requests.adapters.repository import RequestRepository
from shared.auth import Principal, Role
from shared.contracts.identity import AccountsMerged
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)


async def on_accounts_merged(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Re-assign the applicant of the merged account's requests (a replay finds nothing left to move)."""
    event = AccountsMerged.model_validate(envelope.payload)
    repo = RequestRepository(uow.session)
    await repo.record_alias(event.merged_id, event.into_id, envelope.occurred_at)
    moved = await repo.reassign_applicant(event.merged_id, event.into_id)
    log.info("account %s merged into %s: %d requests moved", event.merged_id, event.into_id, moved)


class MergedAccountVerifier:
    """Verifies tokens as usual; an applicant token of a merged account then acts as the surviving account.

    The identity service revokes the merged account's refresh tokens at once, but an access token it
    issued stays valid for up to its lifetime. Merges are rare, so every replica keeps the whole
    alias table in memory, re-read at most every `refresh_seconds` (one query, whatever the traffic):
    verification stays free of database round trips. The writes that name the applicant (submit,
    upload) look the alias up exactly, in their own transaction (`resolve_applicant`), so nothing
    lands under the merged account even in the seconds before a replica's map catches up.
    """

    def __init__(self, inner, sessions, refresh_seconds: float = 5.0) -> None:
        self._inner = inner
        self._sessions = sessions
        self._refresh_seconds = refresh_seconds
        self._aliases: dict[str, str] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _map(self) -> dict[str, str]:
        if time.monotonic() - self._loaded_at < self._refresh_seconds:
            return self._aliases
        async with self._lock:
            if time.monotonic() - self._loaded_at >= self._refresh_seconds:
                async with self._sessions() as session:
                    self._aliases = await RequestRepository(session).aliases()
                self._loaded_at = time.monotonic()
        return self._aliases

    def expire(self) -> None:
        """Re-read the alias table at the next verification (tests; an operator's debugging)."""
        self._loaded_at = float("-inf")

    async def verify(self, token: str) -> Principal:
        principal = await self._inner.verify(token)
        if principal.roles != {Role.applicant}:
            return principal
        into = (await self._map()).get(principal.sub)
        return principal if into is None else dataclasses.replace(principal, sub=into)


async def resolve_applicant(uow: UnitOfWork, principal: Principal) -> Principal:
    """The principal as the surviving account when its account was merged (exact, in this transaction)."""
    if principal.roles != {Role.applicant}:
        return principal
    into = await RequestRepository(uow.session).alias_of(principal.sub)
    return principal if into is None else dataclasses.replace(principal, sub=into)
