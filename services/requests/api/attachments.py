"""Attachments: identity proof and supporting documents from applicants, answer documents from officers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from services.requests.adapters.orm import Answer, Attachment, DisclosureRequest
from services.requests.api.deps import visible_request
from services.requests.service.accounts import resolve_applicant
from services.requests.service.steps import SOURCE, actor_of
from services.requests.service.views import sees_full_pii
from shared.auth import Principal, current_principal
from shared.contracts.requests import IdProofViewed
from shared.db import new_id
from shared.errors import Problem
from shared.filetypes import download_headers
from shared.service import UoW
from shared.storage import content_key, read_upload, safe_filename

router = APIRouter(prefix="/attachments", tags=["附件"])
Caller = Annotated[Principal, Depends(current_principal)]


@router.post(
    "",
    status_code=201,
    summary="上传附件（任何已登录用户）",
    description="身份证明、佐证材料或答复文件。超过大小上限返回 413，类型不允许或内容与类型不符返回 415。",
)
async def upload(
    request: Request,
    uow: UoW,
    principal: Caller,
    file: Annotated[UploadFile, File(description="文件")],
    purpose: Annotated[Literal["identity_proof", "supporting", "answer_document"], Form()] = "supporting",
) -> dict[str, Any]:
    settings = request.app.state.settings
    if purpose == "answer_document" and not principal.is_officer:
        raise Problem(403, "forbidden_role", "只有工作人员可以上传答复文件")
    content_type, data = await read_upload(file, allowed_types=settings.attachment_types, max_bytes=settings.attachment_max_bytes)
    principal = await resolve_applicant(uow, principal)  # a merged account's last token uploads as the survivor
    attachment_id = new_id()
    digest, key = content_key(data, attachment_id)
    await request.app.state.storage.put(key, data)
    filename = safe_filename(file.filename)
    attachment = Attachment(
        id=attachment_id,
        owner_sub=principal.sub,
        purpose=purpose,
        filename=filename,
        content_type=content_type,
        size=len(data),
        sha256=digest,
        storage_key=key,
    )
    uow.session.add(attachment)
    await uow.session.flush()
    return {
        "id": attachment.id,
        "filename": filename,
        "content_type": content_type,
        "size": len(data),
        "sha256": digest,
        "purpose": purpose,
    }


def _record_id_proof_view(uow, principal: Principal, r: DisclosureRequest, attachment: Attachment) -> None:
    """Queue the audit event of one identity-proof download, in the request's transaction."""
    event = IdProofViewed(
        request_id=r.id,
        attachment_id=attachment.id,
        agency_id=r.agency_id,
        viewer_sub=principal.sub,
        viewer_role=principal.primary_role.value,
    )
    uow.emit(event.topic, event.envelope(source=SOURCE, aggregate_id=r.id, agency_id=r.agency_id, actor=actor_of(principal)))


@router.get(
    "/{attachment_id}",
    summary="下载附件（上传者；申请的办理人员；申请人可下载已送达的答复文件；"
    "身份证明仅限申请人本人和受理机关的登记、承办人员及负责人，每次下载记入审计日志）",
)
async def download(attachment_id: str, request: Request, uow: UoW, principal: Caller) -> Response:
    attachment = await uow.session.get(Attachment, attachment_id)
    if attachment is None:
        raise Problem(404, "attachment_not_found", "附件不存在")
    if attachment.request_id is not None and attachment.purpose == "identity_proof":
        # Whoever sees the ID number masked may not see the ID card either, the uploader included.
        r = await visible_request(uow, principal, attachment.request_id)  # 404 when not visible
        if not sees_full_pii(principal, r):
            raise Problem(403, "id_proof_forbidden", "身份证明文件仅限申请人本人和受理机关的登记、承办人员及负责人查看")
        _record_id_proof_view(uow, principal, r, attachment)
    elif attachment.owner_sub != principal.sub:
        if attachment.request_id is None:
            raise Problem(404, "attachment_not_found", "附件不存在")
        r = await visible_request(uow, principal, attachment.request_id)  # 404 when not visible
        if not principal.is_officer and attachment.purpose == "answer_document":
            dispatched = await uow.session.execute(
                select(Answer.document_ids).where(Answer.request_id == r.id, Answer.dispatched_on.is_not(None))
            )
            if not any(attachment.id in ids for ids in dispatched.scalars()):
                raise Problem(404, "attachment_not_found", "附件不存在")
    data = await request.app.state.storage.get(attachment.storage_key)
    return Response(data, media_type=attachment.content_type, headers=download_headers(attachment.filename))
