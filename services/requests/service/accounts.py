"""Follows the identity service's accounts: a merged account's requests move to the surviving one."""

from __future__ import annotations

import dataclasses
import logging

from shared.auth import Principal, Role
from shared.contracts.identity import AccountsMerged
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

from services.requests.adapters.repository import RequestRepository

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
    issued stays valid for up to its lifetime: a request submitted with it in that window must not be
    left under an account nobody signs in to any more.
    """

    def __init__(self, inner, sessions) -> None:
        self._inner = inner
        self._sessions = sessions

    async def verify(self, token: str) -> Principal:
        principal = await self._inner.verify(token)
        if principal.roles != {Role.applicant}:
            return principal
        async with self._sessions() as session:
            into = await RequestRepository(session).alias_of(principal.sub)
        return principal if into is None else dataclasses.replace(principal, sub=into)
