"""The taxonomy: 信息类别 and 主题分类."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from services.catalog.adapters.orm import Category
from services.catalog.service.commands import CategoryIn
from shared.auth import Principal, Role, require
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(prefix="/categories", tags=["分类"])


class CategoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
    parent_code: str | None
    report_class: str | None
    sort: int


@router.get("", response_model=list[CategoryOut], summary="信息类别与主题分类（公开）")
async def list_categories(uow: UoW, kind: Annotated[str | None, Query(pattern="^(category|topic)$")] = None) -> list[CategoryOut]:
    stmt = select(Category).where(Category.active.is_(True)).order_by(Category.kind, Category.sort, Category.code)
    if kind:
        stmt = stmt.where(Category.kind == kind)
    return [CategoryOut.model_validate(c) for c in (await uow.session.execute(stmt)).scalars()]


@router.post("", status_code=201, response_model=CategoryOut, summary="新增分类（系统管理员）")
async def create_category(body: CategoryIn, uow: UoW, principal: Annotated[Principal, Depends(require(Role.admin))]) -> CategoryOut:
    if await uow.session.get(Category, body.code) is not None:
        raise Problem(409, "category_exists", "该分类代码已存在")
    if body.parent_code:
        parent = await uow.session.get(Category, body.parent_code)
        if parent is None or parent.kind != body.kind:
            raise Problem(
                422, "parent_category_not_found", "上级分类不存在或种类不同", errors=[{"field": "parent_code", "message": "上级分类不存在"}]
            )
    category = Category(**body.model_dump(), active=True)
    uow.session.add(category)
    await uow.session.flush()
    return CategoryOut.model_validate(category)
