"""Erasing an applicant's personal data from the log by destroying its keys (crypto-shredding)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator

from services.audit.service.personal import erase
from shared.auth import Principal, Role, require
from shared.errors import Problem
from shared.service import UoW

router = APIRouter(prefix="/personal-data", tags=["审计日志"])


class ErasureIn(BaseModel):
    applicant_sub: str | None = Field(None, min_length=1, max_length=128, description="申请人账号（删除其全部申请的个人信息）")
    request_id: str | None = Field(None, min_length=1, max_length=36, description="单件申请的编号")

    @model_validator(mode="after")
    def _exactly_one(self) -> ErasureIn:
        if (self.applicant_sub is None) == (self.request_id is None):
            raise ValueError("请在 applicant_sub 与 request_id 中填写且只填写一项")
        return self


class ErasureOut(BaseModel):
    erased_subjects: list[str]
    detail: str


@router.post(
    "/erasures",
    summary="删除申请人在审计日志中的个人信息（仅系统管理员）",
    description="销毁该申请人（或该件申请）的个人信息密钥：日志中的手机号、邮箱、地址等密文从此无法解密，"
    "显示为“〔已删除〕”；哈希链只覆盖密文，删除后仍可完整校验。删除本身记入日志。不可撤销。",
)
async def erase_personal_data(body: ErasureIn, uow: UoW, principal: Annotated[Principal, Depends(require(Role.admin))]) -> ErasureOut:
    erased = await erase(uow, principal, applicant_sub=body.applicant_sub, request_id=body.request_id)
    if not erased:
        raise Problem(404, "personal_data_not_found", "审计日志中没有该申请人（或该件申请）尚未删除的个人信息")
    return ErasureOut(erased_subjects=erased, detail=f"已删除 {len(erased)} 件申请的个人信息")
