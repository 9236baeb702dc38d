"""Verifying the audit log's hash chain on demand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from services.audit.service.verify import verify_log
from shared.auth import Principal, Role, require
from shared.service import UoW

router = APIRouter(tags=["审计日志"])


@router.get(
    "/verify",
    summary="校验审计日志哈希链（政务公开办、系统管理员）",
    description="按序号逐条重算哈希，检查每条记录与前一条的链接及检索字段与事件内容一致；"
    "返回第一处断链（序号、事件编号、原因）。`head_hash` 为最后一条已校验记录的哈希，可另行留存以发现尾部截断。",
)
async def verify(uow: UoW, principal: Annotated[Principal, Depends(require(Role.supervisor, Role.admin))]) -> dict[str, Any]:
    return (await verify_log(uow.session)).as_dict()
