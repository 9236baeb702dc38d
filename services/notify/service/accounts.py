"""Follows the identity service's accounts: a mini-program user's openid, and two accounts found to be one person."""

from __future__ import annotations

from services.notify.adapters.orm import RecipientPreference
from services.notify.adapters.repository import InboxRepository, PreferenceRepository
from services.notify.domain.delivery import ALL_CHANNELS
from shared.contracts.identity import AccountsMerged, WechatLinked
from shared.db import utcnow
from shared.events import EventEnvelope
from shared.uow import UnitOfWork


async def on_wechat_linked(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """The account's WeChat recipient is the openid it signed in with: subscribe messages need no manual binding."""
    event = WechatLinked.model_validate(envelope.payload)
    prefs = PreferenceRepository(uow.session)
    row = await prefs.get(event.account_id)
    if row is None:
        prefs.add(
            RecipientPreference(
                sub=event.account_id,
                channels=list(ALL_CHANNELS),
                non_statutory_opt_out=False,
                wechat_openid=event.openid,
                updated_at=utcnow(),
            )
        )
    elif row.wechat_openid != event.openid:
        row.wechat_openid, row.updated_at = event.openid, utcnow()


async def on_accounts_merged(uow: UnitOfWork, envelope: EventEnvelope) -> None:
    """Inbox messages and preferences of the merged account move to the surviving one; its own choices win."""
    event = AccountsMerged.model_validate(envelope.payload)
    await InboxRepository(uow.session).reassign(event.merged_id, event.into_id)
    prefs = PreferenceRepository(uow.session)
    old = await prefs.get(event.merged_id)
    if old is None:
        return
    into = await prefs.get(event.into_id)
    if into is None:
        prefs.add(
            RecipientPreference(
                sub=event.into_id,
                channels=list(old.channels),
                non_statutory_opt_out=old.non_statutory_opt_out,
                wechat_openid=old.wechat_openid,
                updated_at=utcnow(),
            )
        )
    elif into.wechat_openid is None and old.wechat_openid:
        into.wechat_openid, into.updated_at = old.wechat_openid, utcnow()
    await prefs.delete(old)
