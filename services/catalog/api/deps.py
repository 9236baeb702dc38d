"""Dependencies shared by the catalog routers."""

from __future__ import annotations

from datetime import date

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.catalog.adapters.orm import Agency, Category, Document
from shared.errors import Problem


def today(request: Request) -> date:
    """The county's calendar date (Asia/Shanghai by default); tests may pin it."""
    return request.app.state.today()


def etag(d: Document) -> str:
    return f'"{d.id}.{d.version}"'


def check_if_match(request: Request, d: Document) -> None:
    expected = request.headers.get("if-match")
    if expected and expected.strip() not in ("*", etag(d), etag(d).strip('"')):
        raise Problem(412, "stale_version", "信息已被他人修改，请刷新后重试", current_version=d.version)


async def category_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.execute(select(Category.code, Category.name))).all())


async def agency_names(session: AsyncSession) -> dict[str, str]:
    return dict((await session.execute(select(Agency.id, Agency.name))).all())
