"""The officer directory (工作人员名录): who may be assigned work, in which agencies, and where notices go.

Admins keep every entry; a head (工作机构负责人) keeps the entries whose roles all lie in the head's own
agency subtree and may not grant `admin`. Every change publishes the whole new entry (OfficerChanged)
through the outbox in the same transaction; disabling revokes the officer's sessions at once, and
`grant_for` refuses any later refresh.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm.exc import StaleDataError

from services.identity.adapters.orm import Account, Officer, OidcLink
from services.identity.adapters.repository import KnownAgencyRepository, OfficerRepository, RefreshTokenRepository
from services.identity.adapters.signin import OidcRepository
from services.identity.settings import OidcProvider
from shared.auth import OFFICER_ROLES, Principal, Role, role_rank
from shared.contracts.identity import OfficerChanged, OfficerMembership
from shared.contracts.topics import IDENTITY_OFFICERS
from shared.db import utcnow
from shared.errors import Problem
from shared.events import Actor
from shared.uow import UnitOfWork

Memberships = dict[str, list[str]]


@dataclass(frozen=True)
class OfficerView:
    officer: Officer
    memberships: Memberships


def not_found() -> Problem:
    return Problem(404, "officer_not_found", "工作人员不存在或不在您的管理范围内")


async def scope_of(uow: UnitOfWork, principal: Principal) -> set[str] | None:
    """Agencies whose officers the caller may keep; None means all (admin)."""
    if principal.has_any(Role.admin):
        return None
    if principal.has_any(Role.head) and principal.agency_id:
        return await KnownAgencyRepository(uow.session).subtree(principal.agency_id)
    raise Problem(403, "forbidden_role", "仅系统管理员或本机关负责人可以管理工作人员名录")


async def memberships_of(uow: UnitOfWork, account_id: str) -> Memberships:
    found: Memberships = {}
    for row in await OfficerRepository(uow.session).roles(account_id):
        found.setdefault(row.agency_id, []).append(row.role)
    return {a: sorted(r, key=role_rank) for a, r in sorted(found.items())}


async def check_memberships(uow: UnitOfWork, principal: Principal, scope: set[str] | None, wanted: Memberships) -> Memberships:
    """Known agencies, officer roles only, inside the caller's scope; admin only from an admin."""
    agencies = KnownAgencyRepository(uow.session)
    clean: Memberships = {}
    for agency_id, roles in wanted.items():
        if await agencies.get(agency_id) is None:
            raise Problem(422, "agency_unknown", f"机关 {agency_id} 不存在（尚未从机关目录同步）")
        if not roles:
            raise Problem(422, "roles_empty", "每个所属机关至少要授予一个角色")
        for role in roles:
            if role not in {r.value for r in OFFICER_ROLES}:
                raise Problem(422, "role_invalid", f"“{role}”不是工作人员角色")
        if scope is not None and agency_id not in scope:
            raise Problem(403, "agency_outside_scope", "只能在本机关及下级机关内授予角色")
        if Role.admin.value in roles and not principal.has_any(Role.admin):
            raise Problem(403, "admin_grant_forbidden", "只有系统管理员可以授予系统管理员角色")
        clean[agency_id] = sorted(set(roles), key=role_rank)
    return clean


async def keepable(uow: UnitOfWork, principal: Principal, scope: set[str] | None, account_id: str) -> OfficerView:
    """The entry, if the caller may change it: a head only when all its roles lie in the head's subtree."""
    officer = await OfficerRepository(uow.session).get(account_id)
    if officer is None:
        raise not_found()
    memberships = await memberships_of(uow, account_id)
    if scope is not None:
        if not set(memberships) & scope:
            raise not_found()
        if not set(memberships) <= scope or any(Role.admin.value in r for r in memberships.values()):
            raise Problem(403, "officer_outside_scope", "该工作人员在您管理范围以外的机关也有角色，或是系统管理员，请联系系统管理员修改")
    return OfficerView(officer, memberships)


def _check_version(officer: Officer, expected: int | None) -> None:
    if expected is not None and expected != officer.version:
        raise Problem(409, "officer_version_stale", f"名录条目已被他人修改（当前版本 {officer.version}），请刷新后重试")


async def _save(uow: UnitOfWork, principal: Principal, view: OfficerView) -> OfficerView:
    """Flush (optimistic lock on `version`) and publish the whole entry."""
    try:
        await uow.session.flush()
    except StaleDataError as exc:
        raise Problem(409, "officer_version_stale", "名录条目已被他人修改，请刷新后重试") from exc
    o = view.officer
    event = OfficerChanged(
        officer_id=o.account_id,
        name=o.name,
        status=o.status,
        email=o.email,
        mobile=o.mobile,
        version=o.version,
        memberships=[OfficerMembership(agency_id=a, roles=r) for a, r in view.memberships.items()],
    )
    actor = Actor(sub=principal.sub, role=principal.primary_role.value, agency_id=principal.agency_id)
    uow.emit(IDENTITY_OFFICERS, event.envelope(source="identity", aggregate_id=o.account_id, actor=actor))
    return view


async def create_officer(
    uow: UnitOfWork, principal: Principal, *, name: str, email: str | None, mobile: str | None, memberships: Memberships
) -> OfficerView:
    scope = await scope_of(uow, principal)
    if not memberships:
        raise Problem(422, "memberships_empty", "新增工作人员至少要在一个机关授予角色")
    clean = await check_memberships(uow, principal, scope, memberships)
    account = Account(kind="officer", display_name=name, status="active")
    uow.session.add(account)
    await uow.session.flush()
    officers = OfficerRepository(uow.session)
    officer = Officer(account_id=account.id, name=name, email=email, mobile=mobile, status="active")
    officers.add(officer)
    await uow.session.flush()
    await officers.replace_roles(account.id, clean)
    return await _save(uow, principal, OfficerView(officer, clean))


async def get_officer(uow: UnitOfWork, principal: Principal, account_id: str) -> OfficerView:
    scope = await scope_of(uow, principal)
    officer = await OfficerRepository(uow.session).get(account_id)
    memberships = await memberships_of(uow, account_id) if officer else {}
    if officer is None or (scope is not None and not set(memberships) & scope):
        raise not_found()
    return OfficerView(officer, memberships)


async def list_officers(
    uow: UnitOfWork, principal: Principal, *, agency_id: str | None, status: str | None, page: int, page_size: int
) -> tuple[list[OfficerView], int]:
    scope = await scope_of(uow, principal)
    agencies = scope
    if agency_id is not None:
        if scope is not None and agency_id not in scope:
            raise Problem(403, "agency_outside_scope", "只能查看本机关及下级机关的工作人员")
        agencies = {agency_id}
    rows, total = await OfficerRepository(uow.session).page(agencies=agencies, status=status, page=page, page_size=page_size)
    return [OfficerView(o, await memberships_of(uow, o.account_id)) for o in rows], total


async def update_officer(
    uow: UnitOfWork, principal: Principal, account_id: str, *, expected_version: int | None, changes: dict, memberships: Memberships | None
) -> OfficerView:
    """Change name, contacts and/or roles; a stale `expected_version` is a 409."""
    scope = await scope_of(uow, principal)
    view = await keepable(uow, principal, scope, account_id)
    _check_version(view.officer, expected_version)
    officer = view.officer
    if memberships is not None:  # roles first: their flush must not carry the row's change (one version step)
        if not memberships:
            raise Problem(422, "memberships_empty", "至少要保留一个机关的角色；不再任职请停用")
        clean = await check_memberships(uow, principal, scope, memberships)
        await OfficerRepository(uow.session).replace_roles(account_id, clean)
        view = OfficerView(officer, clean)
    for field in ("name", "email", "mobile"):
        if field in changes:
            setattr(officer, field, changes[field])
    officer.updated_at = utcnow()  # the row changes (and its version moves) even when only roles did
    return await _save(uow, principal, view)


async def set_status(uow: UnitOfWork, principal: Principal, account_id: str, status: str, *, expected_version: int | None) -> OfficerView:
    """Disable (sessions revoked now; refresh refused from then on) or enable an officer."""
    scope = await scope_of(uow, principal)
    view = await keepable(uow, principal, scope, account_id)
    _check_version(view.officer, expected_version)
    if account_id == principal.sub and status == "disabled":
        raise Problem(409, "officer_disable_self", "不能停用自己的账号")
    view.officer.status = status
    view.officer.updated_at = utcnow()
    if status == "disabled":
        await RefreshTokenRepository(uow.session).revoke_account(account_id, utcnow())
    return await _save(uow, principal, view)


async def link_sso(uow: UnitOfWork, principal: Principal, account_id: str, provider: OidcProvider, subject: str) -> None:
    """Let the provider's `subject` sign in as this officer (directory mode): one subject per officer and provider."""
    await keepable(uow, principal, await scope_of(uow, principal), account_id)
    links = OidcRepository(uow.session)
    existing = await links.link(provider.issuer, subject)
    if existing is not None and existing.account_id != account_id:
        raise Problem(409, "sso_subject_taken", "该单点登录账号已关联其他工作人员")
    for old in await links.links_of(account_id, provider.issuer):
        if old.subject != subject:
            await links.remove(old)
    if existing is None:
        links.add(OidcLink(issuer=provider.issuer, subject=subject, account_id=account_id, created_at=utcnow()))
    await uow.session.flush()


async def unlink_sso(uow: UnitOfWork, principal: Principal, account_id: str, provider: OidcProvider) -> None:
    await keepable(uow, principal, await scope_of(uow, principal), account_id)
    links = OidcRepository(uow.session)
    found = await links.links_of(account_id, provider.issuer)
    if not found:
        raise Problem(404, "sso_link_not_found", "该工作人员未关联此单点登录提供方")
    for old in found:
        await links.remove(old)
