"""Follows the identity service's accounts: a merged account's requests move to the surviving one."""

from __future__ import annotations

import logging

from shared.contracts.identity import AccountsMerged
from shared.events import EventEnvelope
from shared.uow import UnitOfWork

from services.requests.adapters.repository import RequestRepository

log = logging.getLogger(__name__)


async def on_accounts_merged(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Re-assign the applicant of the merged account's requests (a replay finds nothing left to move)."""
    event = AccountsMerged.model_validate(envelope.payload)
    moved = await RequestRepository(uow.session).reassign_applicant(event.merged_id, event.into_id)
    log.info("account %s merged into %s: %d requests moved", event.merged_id, event.into_id, moved)
