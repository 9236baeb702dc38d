"""Attachments: identity proof and supporting documents from applicants, answer documents from officers."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from shared.auth import Principal, current_principal
from shared.db import new_id
from shared.errors import Problem
from shared.service import UoW

from services.requests.adapters.orm import Answer, Attachment
from services.requests.adapters.storage import content_key
from services.requests.api.deps import visible_request

router = APIRouter(prefix="/attachments", tags=["附件"])
Caller = Annotated[Principal, Depends(current_principal)]

# Leading bytes a file of the declared type must start with; types without one are taken as declared.
_MAGIC = {"application/pdf": [b"%PDF"], "image/png": [b"\x89PNG\r\n\x1a\n"], "image/jpeg": [b"\xff\xd8\xff"],
          "application/zip": [b"PK\x03\x04"], "application/vnd.openxmlformats-officedocument.wordprocessingml.document": [b"PK\x03\x04"],
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [b"PK\x03\x04"]}


@router.post("", status_code=201, summary="上传附件（任何已登录用户）",
             description="身份证明、佐证材料或答复文件。超过大小上限返回 413，类型不允许或内容与类型不符返回 415。")
async def upload(request: Request, uow: UoW, principal: Caller, file: Annotated[UploadFile, File(description="文件")],
                 purpose: Annotated[Literal["identity_proof", "supporting", "answer_document"], Form()] = "supporting") -> dict[str, Any]:
    settings = request.app.state.settings
    if purpose == "answer_document" and not principal.is_officer:
        raise Problem(403, "forbidden_role", "只有工作人员可以上传答复文件")
    content_type = (file.content_type or "").split(";")[0].strip().lower()
    if content_type not in settings.attachment_types:
        raise Problem(415, "unsupported_media_type", f"不支持的文件类型：{content_type or '未知'}")
    data = await file.read(settings.attachment_max_bytes + 1)
    if len(data) > settings.attachment_max_bytes:
        raise Problem(413, "attachment_too_large", f"附件不得超过 {settings.attachment_max_bytes // (1024 * 1024)} MB")
    if not data:
        raise Problem(422, "attachment_empty", "附件为空", errors=[{"field": "file", "message": "文件为空"}])
    if (magic := _MAGIC.get(content_type)) and not any(data.startswith(m) for m in magic):
        raise Problem(415, "content_mismatch", "文件内容与声明的类型不符")
    attachment_id = new_id()
    digest, key = content_key(data, attachment_id)
    await request.app.state.storage.put(key, data)
    filename = (file.filename or "附件").replace("/", "_").replace("\\", "_")[:255]
    attachment = Attachment(id=attachment_id, owner_sub=principal.sub, purpose=purpose, filename=filename,
                            content_type=content_type, size=len(data), sha256=digest, storage_key=key)
    uow.session.add(attachment)
    await uow.session.flush()
    return {"id": attachment.id, "filename": filename, "content_type": content_type, "size": len(data), "sha256": digest, "purpose": purpose}


@router.get("/{attachment_id}", summary="下载附件（上传者；申请的办理人员；申请人可下载已送达的答复文件）")
async def download(attachment_id: str, request: Request, uow: UoW, principal: Caller) -> Response:
    attachment = await uow.session.get(Attachment, attachment_id)
    if attachment is None:
        raise Problem(404, "attachment_not_found", "附件不存在")
    if attachment.owner_sub != principal.sub:
        if attachment.request_id is None:
            raise Problem(404, "attachment_not_found", "附件不存在")
        r = await visible_request(uow, principal, attachment.request_id)  # 404 when not visible
        if not principal.is_officer and attachment.purpose == "answer_document":
            dispatched = await uow.session.execute(select(Answer.document_ids).where(Answer.request_id == r.id, Answer.dispatched_on.is_not(None)))
            if not any(attachment.id in ids for ids in dispatched.scalars()):
                raise Problem(404, "attachment_not_found", "附件不存在")
    data = await request.app.state.storage.get(attachment.storage_key)
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.filename)}"
    return Response(data, media_type=attachment.content_type, headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})
