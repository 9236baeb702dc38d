"""Audit log queries and exports; the log has no update or delete endpoint, by design."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

from services.audit.adapters.orm import AuditEntry
from services.audit.adapters.repository import AuditLog, EntryCriteria
from services.audit.service.personal import EntryReader, stream_readable
from services.audit.service.query import as_aware, entry_scope
from services.audit.settings import AuditSettings
from shared.auth import OFFICER_ROLES, Principal, require
from shared.bounds import BoundedDatetime, Seq
from shared.filetypes import download_headers
from shared.service import UoW, get_runtime
from shared.settings import service_settings

router = APIRouter(prefix="/entries", tags=["审计日志"])


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    event_id: str
    event_type: str
    source: str
    aggregate_type: str
    aggregate_id: str
    agency_id: str | None
    actor_sub: str
    actor_role: str | None
    correlation_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]
    prev_hash: str
    hash: str


def entry_out(e: AuditEntry, payload: dict[str, Any]) -> EntryOut:
    return EntryOut.model_validate({**e.__dict__, "payload": payload})


CSV_COLUMNS = [
    "seq",
    "event_id",
    "event_type",
    "source",
    "aggregate_type",
    "aggregate_id",
    "agency_id",
    "actor_sub",
    "actor_role",
    "correlation_id",
    "occurred_at",
    "recorded_at",
    "payload",
    "prev_hash",
    "hash",
]


def _cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (CSV injection): prefix it with '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _csv_line(values: list[Any]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow([_cell(v) for v in values])
    return out.getvalue()


async def _csv(entries: AsyncIterator[tuple[AuditEntry, dict[str, Any]]]) -> AsyncIterator[bytes]:
    yield ("\ufeff" + _csv_line(CSV_COLUMNS)).encode()
    async for e, payload in entries:
        row = entry_out(e, payload).model_dump(mode="json")
        row["payload"] = json.dumps(row["payload"], ensure_ascii=False, sort_keys=True)
        yield _csv_line([row[c] for c in CSV_COLUMNS]).encode()


async def _jsonl(entries: AsyncIterator[tuple[AuditEntry, dict[str, Any]]]) -> AsyncIterator[bytes]:
    async for e, payload in entries:
        yield (json.dumps(entry_out(e, payload).model_dump(mode="json"), ensure_ascii=False) + "\n").encode()


@router.get(
    "",
    response_model=list[EntryOut],
    summary="查询、导出审计日志（政务公开办、系统管理员；其他工作人员仅本机关）",
    description="系统管理员可查全部；政务公开办可查本机关及下级机关；其他工作人员仅可查本机关；申请人无权查询。"
    "按 `after_seq` 翻页，响应头 `X-Next-After-Seq` 给出下一页游标（无更多时不返回）。"
    "`format=csv|jsonl` 以流式导出全部匹配记录（忽略 `limit`）。不带时区的时间按北京时间理解。",
)
async def search_entries(
    request: Request,
    response: Response,
    uow: UoW,
    principal: Annotated[Principal, Depends(require(*OFFICER_ROLES))],
    agency_id: str | None = None,
    subtree: Annotated[bool, Query(description="包含下级机关")] = False,
    aggregate_id: Annotated[str | None, Query(description="申请、文件等聚合的编号")] = None,
    actor: Annotated[str | None, Query(description="操作人（sub）")] = None,
    event_type: str | None = None,
    since: Annotated[BoundedDatetime | None, Query(description="起始时间（ISO 8601，不带时区按北京时间）")] = None,
    until: Annotated[BoundedDatetime | None, Query(description="截止时间")] = None,
    after_seq: Seq = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Literal["json", "csv", "jsonl"] = "json",
) -> Any:
    agencies = await entry_scope(uow.session, principal, agency_id, subtree)
    criteria = EntryCriteria(
        agencies=agencies, aggregate_id=aggregate_id, actor_sub=actor, event_type=event_type, since=as_aware(since), until=as_aware(until)
    )
    if format != "json":
        # The export outlives this request's session: it reads in batches with sessions of its own.
        runtime = get_runtime(request)
        readable = stream_readable(
            runtime.sessions, service_settings(runtime.settings, AuditSettings), principal, criteria, after_seq=after_seq
        )
        body, media = (_csv(readable), "text/csv; charset=utf-8") if format == "csv" else (_jsonl(readable), "application/x-ndjson")
        return StreamingResponse(body, media_type=media, headers=download_headers(f"audit-entries.{format}"))
    entries = await AuditLog(uow.session).search(criteria, after_seq=after_seq, limit=limit)
    if len(entries) == limit:
        response.headers["X-Next-After-Seq"] = str(entries[-1].seq)
    envelopes = [json.loads(e.envelope) for e in entries]
    reader = await EntryReader.load(uow.session, service_settings(uow.settings, AuditSettings), principal, envelopes)
    return [entry_out(e, reader.payload(env)) for e, env in zip(entries, envelopes, strict=False)]
