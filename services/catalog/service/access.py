"""Who may see and change what in the catalog: officers act within their agency's subtree."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.adapters.orm import Agency
from shared.auth import Principal, Role
from shared.errors import Problem
from shared.trees import descendants

EDITORS = (Role.registrar, Role.handler, Role.head, Role.admin)  # draft, edit, submit, propose revisions
REVIEWERS = (Role.reviewer, Role.head)  # 保密审查: approve or return
MANAGERS = (Role.head, Role.admin)  # withdraw, validity, Art. 44 decisions, the guide
READERS = (*EDITORS, Role.reviewer, Role.supervisor)


async def subtree(session: AsyncSession, agency_id: str) -> set[str]:
    pairs = (await session.execute(select(Agency.id, Agency.parent_id))).all()
    return descendants(((a, p) for a, p in pairs), agency_id)


async def scope_of(session: AsyncSession, principal: Principal) -> set[str] | None:
    """The agencies the caller acts for; None means every agency (a county-wide admin)."""
    if principal.agency_id is None:
        if Role.admin in principal.roles:
            return None
        return set()
    return await subtree(session, principal.agency_id)


async def ensure_in_scope(session: AsyncSession, principal: Principal, agency_id: str, *, hide: bool = True) -> None:
    scope = await scope_of(session, principal)
    if scope is not None and agency_id not in scope:
        if hide:
            raise Problem(404, "document_not_found", "信息不存在或不在您的管辖范围内")
        raise Problem(403, "agency_out_of_scope", "该机关不在您的管辖范围内")


def separation(principal: Principal, other_sub: str | None, what: str) -> None:
    if other_sub and principal.sub == other_sub:
        raise Problem(403, "separation_of_duties", f"不能{what}自己起草或提交的信息，须由其他工作人员审查")
