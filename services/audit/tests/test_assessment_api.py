"""The assessment endpoint scores an agency from its projected events."""

from __future__ import annotations

from datetime import date

from services.audit.app import create_app
from services.audit.service.record import record_and_project
from services.audit.settings import AuditSettings
from shared.contracts import requests as ev
from shared.contracts.catalog import AgencyRegistered
from shared.db import new_id
from shared.events import Actor
from shared.testing import auth, running_app, settings_for


def _facts(request_id: str, agency_id: str, **extra):
    return dict(
        request_id=request_id,
        tracking_number=f"T-{request_id[-4:]}",
        agency_id=agency_id,
        applicant_type="natural_person",
        channel="online",
        round=1,
        **extra,
    )


async def _feed(runtime, event, aggregate_id: str, agency_id: str) -> None:
    async with runtime.uow() as uow:
        await record_and_project(
            uow,
            event.envelope(
                source="catalog" if isinstance(event, AgencyRegistered) else "requests",
                aggregate_id=aggregate_id,
                agency_id=agency_id,
                actor=Actor.system("test"),
            ),
        )
        await uow.commit()


async def test_an_agency_with_one_late_answer_and_one_corrected_remedy_loses_the_right_points(broker, databases, topic_prefix):
    settings = settings_for(
        AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix, run_workers=False
    )
    app = create_app(settings)
    async with running_app(app) as client:
        runtime = app.state.runtime
        agency = new_id()
        await _feed(runtime, AgencyRegistered(agency_id=agency, name="某某县民政局", kind="department"), agency, agency)
        for i, on_time in enumerate([True, True, True, False]):
            rid = new_id()
            base = _facts(rid, agency, received_on=date(2026, 3, 2), due_on=date(2026, 3, 30))
            await _feed(runtime, ev.RequestReceived(state="received", **base), rid, agency)
            await _feed(
                runtime,
                ev.AnswerDispatched(
                    state="answered",
                    answer_id=new_id(),
                    category="disclosed",
                    reason="provided",
                    answered_on=date(2026, 3, 20 + i),
                    on_time=on_time,
                    working_days_taken=15,
                    **base,
                ),
                rid,
                agency,
            )
            if i == 0:
                remedy = new_id()
                await _feed(
                    runtime,
                    ev.RemedyRecorded(state="answered", remedy_id=remedy, remedy_kind="reconsideration", filed_on=date(2026, 5, 1), **base),
                    rid,
                    agency,
                )
                await _feed(
                    runtime,
                    ev.RemedyDecided(
                        state="answered",
                        remedy_id=remedy,
                        remedy_kind="reconsideration",
                        outcome="corrected",
                        decided_on=date(2026, 7, 1),
                        **base,
                    ),
                    rid,
                    agency,
                )
        response = await client.get(
            "/api/v1/audit/assessment", params={"agency_id": agency, "year": 2026}, headers=auth(settings, "supervisor", agency_id=agency)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        lost = {i["key"]: i["lost"] for i in body["items"]}
        assert lost == {"on_time": 10.0, "overdue": 0, "corrected": 10, "proactive": 0}
        assert body["score"] == 80 and body["grade"] == "合格"
        other = await client.get(
            "/api/v1/audit/assessment", params={"agency_id": agency, "year": 2026}, headers=auth(settings, "supervisor", agency_id=new_id())
        )
        assert other.status_code == 404


async def test_proactive_disclosure_is_scored_from_the_documents_published_in_the_year(broker, databases, topic_prefix):
    """Issue #17: the 20-point item said "暂无主动公开数据" even with late publications on record."""
    from shared.contracts.catalog import DocumentPublished, DocumentWithdrawn

    settings = settings_for(
        AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix, run_workers=False
    )
    app = create_app(settings)
    async with running_app(app) as client:
        runtime = app.state.runtime
        agency = new_id()
        await _feed(runtime, AgencyRegistered(agency_id=agency, name="某某县民政局", kind="department"), agency, agency)
        docs = []
        # 2026: three on time, one late, one late but withdrawn (counts nowhere); one of 2025 (another year).
        for on_time, published_on in [
            (True, date(2026, 2, 3)),
            (True, date(2026, 5, 6)),
            (True, date(2026, 9, 1)),
            (False, date(2026, 10, 9)),
            (False, date(2026, 11, 2)),
            (False, date(2025, 12, 30)),
        ]:
            doc = new_id()
            docs.append(doc)
            await _feed(
                runtime,
                DocumentPublished(
                    document_id=doc,
                    agency_id=agency,
                    category="normative_document",
                    index_number=f"X/2026-{len(docs)}",
                    title="关于……的通知",
                    made_on=published_on,
                    published_on=published_on,
                    published_on_time=on_time,
                ),
                doc,
                agency,
            )
        await _feed(runtime, DocumentWithdrawn(document_id=docs[4], agency_id=agency, category="normative_document"), docs[4], agency)
        body = (
            await client.get(
                "/api/v1/audit/assessment",
                params={"agency_id": agency, "year": 2026},
                headers=auth(settings, "supervisor", agency_id=agency),
            )
        ).json()
        proactive = next(i for i in body["items"] if i["key"] == "proactive")
        assert (body["statistics"]["documents_published"], body["statistics"]["documents_on_time"]) == (4, 3)
        assert proactive["points"] == 15.0 and proactive["lost"] == 5.0
        assert proactive["reason"] == "4 件中 1 件超期发布"
        assert body["score"] == 95.0
