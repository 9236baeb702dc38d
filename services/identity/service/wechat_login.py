"""Citizens in the WeChat mini-program: sign in by openid, then bind the phone WeChat verified.

One person, one account: when the bound phone already belongs to an account (an earlier SMS
login), the mini-program's account is merged into that one. The merged account keeps its row
(status merged, merged_into), its WeChat identity moves over, its refresh tokens are revoked,
and AccountsMerged tells requests and notify to move what they hold for it.
"""

from __future__ import annotations

from services.identity.adapters.orm import Account, WechatIdentity
from services.identity.adapters.repository import AccountRepository, RefreshTokenRepository
from services.identity.adapters.wechat import WechatClient
from shared.auth import Principal
from shared.contracts.identity import AccountsMerged, WechatLinked
from shared.db import utcnow
from shared.errors import Problem
from shared.events import Actor
from shared.uow import UnitOfWork
from shared.validators import is_valid_mobile

SOURCE = "identity"


def _linked(uow: UnitOfWork, identity: WechatIdentity, actor: Actor) -> None:
    event = WechatLinked(account_id=identity.account_id, appid=identity.appid, openid=identity.openid)
    uow.emit(event.topic, event.envelope(source=SOURCE, aggregate_id=identity.account_id, actor=actor))


async def _surviving(accounts: AccountRepository, account: Account) -> Account:
    """The account a merged one lives on as."""
    if account.status == "merged" and account.merged_into:
        return await accounts.get(account.merged_into) or account
    return account


async def login(uow: UnitOfWork, wechat: WechatClient, code: str) -> Account:
    """The account of the mini-program user behind `code`, made (and announced) on their first login."""
    user = await wechat.login(code)  # refusals raise before anything is written
    accounts = AccountRepository(uow.session)
    now = utcnow()
    identity = await accounts.by_openid(user.openid)
    account: Account | None
    if identity is None:
        account = Account(kind="citizen", status="active", created_at=now, updated_at=now)
        accounts.add(account)
        await accounts.flush()
        identity = WechatIdentity(
            openid=user.openid, appid=wechat.appid, unionid=user.unionid, account_id=account.id, created_at=now, last_login_at=now
        )
        accounts.add(identity)
        _linked(uow, identity, Actor(sub=account.id, role="applicant"))
        return account
    identity.last_login_at = now
    if user.unionid:
        identity.unionid = user.unionid
    account = await accounts.get(identity.account_id)
    if account is None:
        raise Problem(403, "account_disabled", "该账号已停用，请联系本单位系统管理员")
    return await _surviving(accounts, account)


async def bind_phone(uow: UnitOfWork, wechat: WechatClient, principal: Principal, code: str) -> Account:
    """Bind the phone WeChat verified to the caller's account, merging into the phone's account if it has one."""
    accounts = AccountRepository(uow.session)
    account = await accounts.get(principal.sub)
    if account is None or account.kind != "citizen" or account.status != "active":
        raise Problem(403, "account_disabled", "该账号已停用或已合并，请重新登录")
    identities = await accounts.wechat_of(account.id)
    if not identities:
        raise Problem(409, "wechat_not_linked", "请先在微信小程序中登录，再绑定手机号")
    phone = await wechat.phone_number(code)
    if phone.country_code not in ("", "86") or not is_valid_mobile(phone.phone):
        raise Problem(400, "phone_not_mainland", "目前仅支持绑定中国大陆手机号")
    if account.phone == phone.phone:
        return account
    if account.phone is not None:
        raise Problem(409, "phone_already_bound", "该账号已绑定其他手机号")
    now = utcnow()
    holder = await accounts.by_phone(phone.phone)
    if holder is None:
        account.phone, account.updated_at = phone.phone, now
        return account
    holder = await _surviving(accounts, holder)
    if holder.kind != "citizen" or holder.status != "active":
        raise Problem(409, "phone_unavailable", "该手机号所属账号已停用，无法绑定，请联系管理员")
    await accounts.merge(account, holder, now)
    await RefreshTokenRepository(uow.session).revoke_account(account.id, now)
    actor = Actor(sub=account.id, role="applicant")
    merged = AccountsMerged(merged_id=account.id, into_id=holder.id)
    # Keyed by the merged account, like its first WechatLinked: consumers see the two in order.
    uow.emit(merged.topic, merged.envelope(source=SOURCE, aggregate_id=account.id, actor=actor))
    for identity in identities:
        identity.account_id = holder.id
        _linked(uow, identity, actor)
    return holder
