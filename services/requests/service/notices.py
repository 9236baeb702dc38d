"""Issuing the formal notices a workflow step produces, inside that step's transaction.

`issue` takes the agency's next 文号 serial for the year (an upsert on `notice_sequences`, so the
row stays locked until the step commits: numbers are handed out in commit order, and a rolled
back step gives its number back instead of leaving a gap), renders the notice's HTML from the
request as it stands, and stores both with the request. The HTML is frozen there: the PDF is
printed from exactly it, by `print_pending` before the step commits, or on first download when
printing was not possible then (WeasyPrint or its fonts missing), so a step never fails for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from services.requests.adapters import notice_print
from services.requests.adapters.orm import AgencyNoticeSettings, DisclosureRequest, KnownAgency, Notice, NoticeSequence
from services.requests.domain import notices as n
from services.requests.domain.clock import ANSWER_DAYS, RuleSet
from services.requests.domain.notices import NoticeKind
from services.requests.settings import RequestsSettings
from shared.auth import Principal
from shared.contracts.requests import NoticeRef
from shared.errors import Problem
from shared.settings import service_settings
from shared.storage import Storage, content_key
from shared.uow import UnitOfWork

log = logging.getLogger(__name__)
_TO_PRINT = "notices_to_print"  # session.info key: notices issued in this unit of work, not yet printed

CHANNEL_LABELS = {
    "online": "网上申请",
    "wechat": "微信小程序",
    "letter": "信函",
    "registered_post": "挂号信函",
    "fax": "传真",
    "email": "电子邮件",
    "in_person": "当面提交",
    "oral": "口头申请",
}


async def _next_serial(uow: UnitOfWork, agency_id: str, year: int) -> int:
    """Atomically take the agency's next notice serial for the year (PostgreSQL and SQLite alike)."""
    insert = pg_insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(NoticeSequence).values(agency_id=agency_id, year=year, last=1)
    statement = statement.on_conflict_do_update(index_elements=["agency_id", "year"], set_={"last": NoticeSequence.last + 1})
    return (await uow.session.execute(statement.returning(NoticeSequence.last))).scalar_one()


async def _letterhead(uow: UnitOfWork, agency_id: str) -> tuple[KnownAgency, AgencyNoticeSettings | None, str | None]:
    agency = await uow.session.get(KnownAgency, agency_id)
    if agency is None:  # a request is only ever created for a replicated agency
        raise Problem(409, "unknown_agency", "受理机关不在机关名录中，无法出具通知书")
    parent = await uow.session.get(KnownAgency, agency.parent_id) if agency.parent_id else None
    return agency, await uow.session.get(AgencyNoticeSettings, agency_id), parent.name if parent else None


async def issue(
    uow: UnitOfWork,
    r: DisclosureRequest,
    kind: NoticeKind,
    *,
    issued_on: date,
    principal: Principal | None,
    context: dict[str, Any],
    provisions: list[n.Provision],
    addressee: str | None = None,
    reference_id: str | None = None,
) -> Notice:
    """Number, render and store one notice of `r`, in the caller's transaction."""
    agency, settings, parent_name = await _letterhead(uow, r.agency_id)
    pattern = (settings.number_format if settings else None) or service_settings(uow.settings, RequestsSettings).notice_number_format
    serial = await _next_serial(uow, agency.id, issued_on.year)
    number = n.document_number(
        pattern, short_name=(settings.short_name if settings else None) or agency.name, year=issued_on.year, serial=serial
    )
    recipient = n.recipient_of(kind)
    addressee = addressee or r.applicant_name
    party_is_agency = context.get("inter_agency", False)
    remedies = (
        None
        if party_is_agency  # one agency consulting another: no remedy for either
        else n.remedies(
            kind,
            reconsideration_body=(settings.reconsideration_body if settings else None)
            or n.reconsideration_body_for(agency.name, parent_name),
            court=(settings.court if settings else None) or n.DEFAULT_COURT,
            addressed_to="您" if recipient == "applicant" else "贵方",
        )
    )
    page = {
        "title": n.TITLES[kind],
        "agency_name": agency.name,
        "document_number": number,
        "issued_on": n.chinese_date(issued_on),
        "addressee": addressee,
        "provisions": provisions,
        "remedies": remedies,
        "contact": settings.contact if settings else None,
        "regulation": n.REGULATION,
        "tracking_number": r.tracking_number,
        "description": r.description,
        "received_on": n.chinese_date(r.received_on) if r.received_on else None,
        **context,
    }
    notice = Notice(
        request_id=r.id,
        agency_id=agency.id,
        kind=kind.value,
        title=n.TITLES[kind],
        round=r.round,
        year=issued_on.year,
        serial=serial,
        document_number=number,
        issued_on=issued_on,
        recipient=recipient,
        addressee=addressee,
        reference_id=reference_id,
        html=notice_print.render_html(kind.value, page),
        issued_by=principal.sub if principal else "system",
    )
    uow.session.add(notice)
    try:
        await uow.session.flush()
    except IntegrityError as exc:  # the agency's format changed into numbers already issued
        raise Problem(409, "notice_number_taken", f"文号“{number}”已被使用，请检查本机关的文号格式设置") from exc
    uow.session.info.setdefault(_TO_PRINT, []).append(notice)
    return notice


def ref(notice: Notice) -> NoticeRef:
    """The event's pointer to the notice (never its bytes): notify fetches the PDF to attach it."""
    return NoticeRef(notice_id=notice.id, kind=notice.kind, document_number=notice.document_number, title=notice.title)


async def _printed(notice_id: str, html: str, storage: Storage) -> tuple[str, int, str]:
    """Print a notice's frozen HTML and store the PDF: (storage key, size, sha256)."""
    pdf = await asyncio.to_thread(notice_print.print_pdf, html)
    digest, key = content_key(pdf, notice_id)
    await storage.put(key, pdf)
    return key, len(pdf), digest


def print_after_commit(uow: UnitOfWork, new_uow: Callable[[], UnitOfWork], storage: Storage) -> None:
    """Print the notices this unit of work issued once it has committed, holding no transaction while printing.

    Printing takes a few hundred milliseconds: inside the step it would hold the sequence's row
    lock (PostgreSQL) or the database's write lock (SQLite) meanwhile. A notice not printed here
    (a crash, WeasyPrint or its fonts missing) is printed on its first download.
    """
    issued = [(x.id, x.html) for x in uow.session.info.pop(_TO_PRINT, [])]
    if not issued:
        return

    async def work() -> None:
        printed = {}
        for notice_id, html in issued:
            try:
                printed[notice_id] = await _printed(notice_id, html, storage)
            except Exception:  # the notice stands; its PDF is printed when first asked for
                log.exception("notice %s not printed now; it will be when first downloaded", notice_id)
        async with new_uow() as recording:
            for notice in (await recording.session.execute(select(Notice).where(Notice.id.in_(list(printed))))).scalars():
                if notice.pdf_key is None:
                    notice.pdf_key, notice.pdf_size, notice.pdf_sha256 = printed[notice.id]
            await recording.commit()

    uow.after_commit(work)


async def pdf_of(uow: UnitOfWork, notice: Notice, storage: Storage) -> bytes:
    """The notice's PDF: the stored one, or printed now from its frozen HTML (and stored)."""
    if not notice.pdf_key:
        try:
            notice.pdf_key, notice.pdf_size, notice.pdf_sha256 = await _printed(notice.id, notice.html, storage)
        except Exception as exc:
            log.exception("notice %s could not be printed", notice.id)
            raise Problem(503, "notice_not_printable", "通知书 PDF 暂时无法生成，请稍后再试，或下载可打印的网页版") from exc
        await uow.session.flush()
    return await storage.get(notice.pdf_key)


async def notices_of(uow: UnitOfWork, request_id: str) -> list[Notice]:
    rows = await uow.session.execute(select(Notice).where(Notice.request_id == request_id).order_by(Notice.issued_on, Notice.serial))
    return list(rows.scalars())


def answer_days(r: DisclosureRequest) -> int:
    return ANSWER_DAYS[RuleSet(r.rule_set)]


def receipt_context(r: DisclosureRequest, query_code: str | None, due_on: date | None, status_url: str | None) -> dict[str, Any]:
    """What the 登记回执 says: the 受理编号, the 查询码 (only when just issued: only its hash is kept), the dates, a QR code."""
    qr = None
    if query_code:
        text = (
            status_url.format(tracking_number=r.tracking_number, query_code=query_code)
            if status_url
            else f"受理编号：{r.tracking_number}\n查询码：{query_code}"
        )
        qr = notice_print.qr_placeholder(text)  # drawn when shown or printed: see notice_print
    return {
        "query_code": query_code,
        "qr": qr,
        "channel_label": CHANNEL_LABELS.get(r.channel, r.channel),
        "due_on": n.chinese_date(due_on) if due_on else None,
        "document_title": r.document_title,
        "answer_days": answer_days(r),
    }
