"""Who may see and act on which request.

Applicants see only their own requests; anything else is 404, so existence does not leak.
Officers see their agency's subtree; a supervisor over several agencies sees them all;
admins see everything.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.requests.adapters.orm import DisclosureRequest, KnownAgency
from services.requests.domain.workflow import ACTION_ROLES, Action
from shared.auth import Principal, Role
from shared.errors import Problem
from shared.trees import descendants


def not_found() -> Problem:
    return Problem(404, "request_not_found", "申请不存在或无权查看")


async def agency_subtree(session: AsyncSession, root: str) -> set[str]:
    """`root` and every agency below it in the replicated tree."""
    return descendants((await session.execute(select(KnownAgency.id, KnownAgency.parent_id))).all(), root)


async def visible_agencies(session: AsyncSession, principal: Principal) -> set[str] | None:
    """Agencies whose requests an officer may see; None means all (admin)."""
    if principal.has_any(Role.admin):
        return None
    if not principal.is_officer or not principal.agency_id:
        return set()
    return await agency_subtree(session, principal.agency_id)


async def can_see(session: AsyncSession, principal: Principal, request: DisclosureRequest) -> bool:
    if principal.is_officer:
        scope = await visible_agencies(session, principal)
        if scope is None or request.agency_id in scope:
            return True
    return Role.applicant in principal.roles and request.applicant_sub == principal.sub


def check_role(principal: Principal, action: Action, request: DisclosureRequest) -> None:
    """The caller holds a role that may take `action` (an applicant only on their own request)."""
    allowed = ACTION_ROLES[action]
    officer_roles = [r for r in allowed if r != Role.applicant]
    if principal.has_any(*officer_roles):
        return
    if Role.applicant in allowed and Role.applicant in principal.roles and request.applicant_sub == principal.sub:
        return
    names = "、".join(r.value for r in allowed)
    raise Problem(403, "forbidden_role", f"当前角色无权执行此操作（允许的角色：{names}）")
