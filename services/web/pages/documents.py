"""The document page (metadata, body, attachments, 政策解读 both ways) and attachment downloads."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backends import ApiProblem
from services.web.deps import Api, PageError, render
from services.web.downloads import stream_download

router = APIRouter()


def not_found() -> PageError:
    return PageError(404, "信息不存在", "您查找的信息不存在，或已被撤回。可以通过信息检索查找相关信息，也可以依申请公开。")


@router.get("/documents/{document_id}", summary="主动公开信息详情（公开）")
async def document(document_id: str, request: Request, api: Api) -> Response:
    try:
        doc = await api.get_json("catalog", f"/public/documents/{document_id}")
    except ApiProblem as exc:
        raise not_found() if exc.status in (404, 422) else exc from None
    return render(request, "document.html", {"title": doc["title"], "doc": doc})


@router.get("/documents/{document_id}/attachments/{attachment_id}", summary="下载附件（公开）")
async def attachment(document_id: str, attachment_id: str, api: Api) -> Response:
    try:
        return await stream_download(api, "catalog", f"/public/documents/{document_id}/attachments/{attachment_id}", "附件")
    except ApiProblem as exc:
        if exc.status in (404, 422):
            raise PageError(404, "附件不存在", "您要下载的附件不存在，或所属信息已被撤回。") from None
        raise
