"""Intake: applicants submit online, registrars register letters, faxes and walk-ins (Art. 29–31)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from services.requests.adapters.orm import Attachment, DisclosureRequest, HistoryEntry, IdempotencyKey, KnownAgency, TrackingSequence
from services.requests.domain.applicant import CONFIRMED_AT_ONCE, SIGNING_DATE, Channel
from services.requests.domain.notices import NoticeKind, provisions_for
from services.requests.domain.workflow import State
from services.requests.service import notices
from services.requests.service.access import visible_agencies
from services.requests.service.commands import RegistrationIn, RequestIn
from services.requests.service.deadlines import load_calendar, refresh_due
from services.requests.service.steps import actor_of, record, require_date_not_future
from services.requests.settings import RequestsSettings
from shared.auth import Principal
from shared.contracts.requests import RequestReceived, RequestSubmitted
from shared.errors import Problem
from shared.settings import service_settings
from shared.uow import UnitOfWork

SELF_SERVICE = frozenset({Channel.online, Channel.wechat})  # the applicant submits in person; any other channel is registered
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone


def hash_query_code(tracking_number: str, code: str) -> str:
    return hashlib.sha256(f"{tracking_number}:{code.upper()}".encode()).hexdigest()


def query_code_matches(request: DisclosureRequest, code: str) -> bool:
    return hmac.compare_digest(request.query_code_hash, hash_query_code(request.tracking_number, code))


def new_query_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def reissue_query_code(uow: UnitOfWork, request: DisclosureRequest, principal: Principal, reason: str | None) -> str:
    """A new query code for a paper applicant who lost theirs; the old one stops working at once.

    Only its hash is kept, as at intake: the code itself is shown once, in this answer, for the
    receipt the registrar prints. The timeline records that it was reissued, never the code.
    """
    code = new_query_code()
    request.query_code_hash = hash_query_code(request.tracking_number, code)
    actor = actor_of(principal)
    uow.session.add(
        HistoryEntry(
            request_id=request.id,
            action="reissue_query_code",
            from_state=request.state,
            to_state=request.state,
            actor_sub=actor.sub,
            actor_role=actor.role or actor.kind,
            note=reason or "重新发放查询码",
        )
    )
    return code


async def _next_serial(uow: UnitOfWork, agency_id: str, year: int) -> int:
    """Atomically take the next serial for (agency, year), on PostgreSQL and SQLite alike."""
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(TrackingSequence).values(agency_id=agency_id, year=year, last=1)
    statement = statement.on_conflict_do_update(index_elements=["agency_id", "year"], set_={"last": TrackingSequence.last + 1})
    return (await uow.session.execute(statement.returning(TrackingSequence.last))).scalar_one()


def tracking_number(agency_id: str, year: int, serial: int) -> str:
    """Human-readable, unique per agency and year: 2026-3F9A1C-00042."""
    return f"{year}-{agency_id.replace('-', '')[-6:].upper()}-{serial:05d}"


async def link_attachments(uow: UnitOfWork, ids: list[str], owner: str, request_id: str) -> None:
    if not ids:
        return
    found = list((await uow.session.execute(select(Attachment).where(Attachment.id.in_(ids)))).scalars())
    usable = {a.id: a for a in found if a.owner_sub == owner and a.request_id is None}
    missing = [i for i in ids if i not in usable]
    if missing:
        raise Problem(
            422,
            "attachment_not_found",
            "附件不存在或不属于当前用户",
            errors=[{"field": "attachment_ids", "message": f"无效的附件：{', '.join(missing)}"}],
        )
    for attachment in usable.values():
        attachment.request_id = request_id


async def attachment_digests(uow: UnitOfWork, owner: str, ids: list[str]) -> list[str]:
    """The caller's attachments by content, for the idempotency fingerprint: a form sent twice (a double click,
    a retry) uploads the same file twice under two ids, and is still the same submission."""
    if not ids:
        return []
    rows = await uow.session.execute(select(Attachment.id, Attachment.sha256).where(Attachment.id.in_(ids), Attachment.owner_sub == owner))
    digests = {attachment_id: digest for attachment_id, digest in rows.all()}
    return sorted(f"sha256:{digests[i]}" if i in digests else f"id:{i}" for i in ids)


def fingerprint(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


async def replay(uow: UnitOfWork, owner: str, key: str, body_fingerprint: str) -> dict | None:
    """The stored response of an earlier submission with the same Idempotency-Key, if any."""
    stored = await uow.session.get(IdempotencyKey, (owner, key))
    if stored is None:
        return None
    if stored.fingerprint != body_fingerprint:
        raise Problem(422, "idempotency_key_reused", "同一个 Idempotency-Key 已用于内容不同的申请")
    return stored.response


async def create_request(
    uow: UnitOfWork,
    principal: Principal,
    command: RequestIn | RegistrationIn,
    *,
    channel: Channel,
    received_on: date | None,
    applicant_sub: str | None,
    today: date,
    default_rule_set: str,
) -> tuple[DisclosureRequest, str]:
    """Store a new request and announce it; returns the request and its plain query code."""
    agency = await uow.session.get(KnownAgency, command.agency_id)
    if agency is None:
        raise Problem(422, "unknown_agency", "受理机关不存在", errors=[{"field": "agency_id", "message": "受理机关不存在"}])
    if channel not in SELF_SERVICE:  # registered on someone's behalf: only into the registrar's own subtree
        scope = await visible_agencies(uow.session, principal)
        if scope is not None and agency.id not in scope:
            raise Problem(
                403,
                "agency_out_of_scope",
                "只能为本机关或下级机关登记申请",
                errors=[{"field": "agency_id", "message": "不在您的管辖范围内"}],
            )
    if received_on is not None:
        require_date_not_future(received_on, today, "received_on")
    year = (received_on or today).year
    number = tracking_number(agency.id, year, await _next_serial(uow, agency.id, year))
    code = new_query_code()
    a = command.applicant
    request = DisclosureRequest(
        agency_id=agency.id,
        tracking_number=number,
        query_code_hash=hash_query_code(number, code),
        kind=command.kind.value,
        state=(State.received if received_on else State.pending_receipt).value,
        rule_set=agency.rule_set or default_rule_set,
        channel=channel.value,
        applicant_sub=applicant_sub,
        registered_by=principal.sub if applicant_sub != principal.sub else None,
        applicant_type=a.type.value,
        organisation_type=a.organisation_type.value if a.organisation_type else None,
        applicant_name=a.name,
        work_unit=a.work_unit or None,
        id_type=a.id_type.value,
        id_number=a.id_number,
        legal_representative=a.legal_representative,
        contact_person=a.contact_person,
        mobile=a.mobile,
        email=str(a.email) if a.email else None,
        postal_address=a.postal_address,
        postal_code=a.postal_code,
        description=command.description,
        document_number=command.document_number,
        document_title=command.document_title,
        purpose=command.purpose,
        preferred_form=command.preferred_form.value,
        delivery_method=command.delivery_method.value if command.delivery_method else None,
        fee_waiver_requested=command.fee_waiver_requested,
        received_on=received_on,
        clock_start=received_on,
    )
    uow.session.add(request)
    await uow.session.flush()
    await link_attachments(uow, command.attachment_ids, principal.sub, request.id)
    if received_on:
        await refresh_due(uow.session, await load_calendar(uow.session), request, today, pauses=[])  # new: nothing paused yet
    receipt = await issue_receipt(uow, request, principal, code, today)
    record(uow, request, principal, "submit", None, RequestSubmitted, notify_applicant=True, notice=None if received_on else receipt)
    if received_on:
        record(uow, request, principal, "receive", None, RequestReceived, notify_applicant=True, notice=receipt)
    return request, code


async def issue_receipt(uow: UnitOfWork, request: DisclosureRequest, principal: Principal, code: str, today: date):
    """The 登记回执 with the query code just issued (printed for paper applicants; only its hash is kept otherwise)."""
    notice = await notices.issue(
        uow,
        request,
        NoticeKind.receipt,
        issued_on=today,
        principal=principal,
        context=notices.receipt_context(request, code, request.due_on, service_settings(uow.settings, RequestsSettings).notice_status_url),
        provisions=provisions_for(NoticeKind.receipt, rule_set=request.rule_set),
    )
    return notices.ref(notice)


def receipt_date_for(channel: Channel, given: date | None, today: date) -> date | None:
    """Art. 31: when a registered request counts as received."""
    if channel in CONFIRMED_AT_ONCE:
        return given or today
    if channel in SIGNING_DATE:
        if given is None:
            raise Problem(
                422,
                "receipt_date_required",
                "挂号信、特快专递须填写签收日期",
                errors=[{"field": "received_on", "message": "须填写签收日期"}],
            )
        return given
    return given  # letter, fax, e-mail: received once confirmed with the applicant


async def remember(uow: UnitOfWork, owner: str, key: str, body_fingerprint: str, request_id: str, response: dict) -> None:
    """Store the response under the Idempotency-Key, in the same transaction as the request."""
    uow.session.add(IdempotencyKey(owner=owner, key=key, fingerprint=body_fingerprint, request_id=request_id, response=response))
    try:
        await uow.session.flush()
    except IntegrityError as exc:
        raise Problem(409, "idempotent_request_in_flight", "相同 Idempotency-Key 的申请正在处理，请稍后重试") from exc
