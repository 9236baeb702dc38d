"""Who may search which part of the log."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from services.audit.service.reports import subtree
from shared.auth import Principal, Role
from shared.errors import Problem

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_NOT_IN_SCOPE = ("agency_not_found", "机关不存在或不在本机关管辖范围内")


def local_today() -> date:
    return datetime.now(LOCAL_TZ).date()


def as_aware(value: datetime | None) -> datetime | None:
    """A time without an offset is read as Beijing time (the users' clock), not refused."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=LOCAL_TZ)
    return value


async def entry_scope(session: AsyncSession, principal: Principal, agency_id: str | None, include_subtree: bool) -> frozenset[str] | None:
    """The agencies whose entries the caller sees (None: all, for an admin without a filter).

    Admins see everything; a supervisor (政务公开办) sees their agency's subtree; every other
    officer sees their own agency's entries only. Asking for an agency outside the scope is a 404.
    """
    if principal.has_any(Role.admin):
        if agency_id is None:
            return None
        return frozenset(await subtree(session, agency_id) if include_subtree else {agency_id})
    if not principal.agency_id:
        raise Problem(403, "forbidden_role", "当前身份无所属机关，无权查询审计日志")
    if principal.has_any(Role.supervisor):
        allowed = await subtree(session, principal.agency_id)
        root = agency_id or principal.agency_id
        if root not in allowed:
            raise Problem(404, *_NOT_IN_SCOPE)
        if agency_id is None or include_subtree:
            return frozenset((await subtree(session, root)) & allowed)
        return frozenset({root})
    if agency_id is not None and agency_id != principal.agency_id:
        raise Problem(404, *_NOT_IN_SCOPE)
    return frozenset({principal.agency_id})
