"""The assessment endpoint scores an agency from its projected events."""

from __future__ import annotations

from datetime import date

from shared.contracts import requests as ev
from shared.contracts.catalog import AgencyRegistered
from shared.db import new_id
from shared.events import Actor
from shared.testing import auth, running_app, settings_for

from services.audit.app import create_app
from services.audit.service.record import record_and_project
from services.audit.settings import AuditSettings


def _facts(request_id: str, agency_id: str, **extra):
    return dict(request_id=request_id, tracking_number=f"T-{request_id[-4:]}", agency_id=agency_id, applicant_type="natural_person",
                channel="online", round=1, **extra)


async def _feed(runtime, event, aggregate_id: str, agency_id: str) -> None:
    async with runtime.uow() as uow:
        await record_and_project(uow, event.envelope(source="catalog" if isinstance(event, AgencyRegistered) else "requests",
                                                     aggregate_id=aggregate_id, agency_id=agency_id, actor=Actor.system("test")))
        await uow.commit()


async def test_an_agency_with_one_late_answer_and_one_corrected_remedy_loses_the_right_points(broker, databases, topic_prefix):
    settings = settings_for(AuditSettings, database_url=await databases.new("audit"), bootstrap=broker.bootstrap, prefix=topic_prefix,
                            run_workers=False)
    app = create_app(settings)
    async with running_app(app) as client:
        runtime = app.state.runtime
        agency = new_id()
        await _feed(runtime, AgencyRegistered(agency_id=agency, name="某某县民政局", kind="department"), agency, agency)
        for i, on_time in enumerate([True, True, True, False]):
            rid = new_id()
            base = _facts(rid, agency, received_on=date(2026, 3, 2), due_on=date(2026, 3, 30))
            await _feed(runtime, ev.RequestReceived(state="received", **base), rid, agency)
            await _feed(runtime, ev.AnswerDispatched(state="answered", answer_id=new_id(), category="disclosed", reason="provided",
                                                     answered_on=date(2026, 3, 20 + i), on_time=on_time, working_days_taken=15, **base), rid, agency)
            if i == 0:
                remedy = new_id()
                await _feed(runtime, ev.RemedyRecorded(state="answered", remedy_id=remedy, remedy_kind="reconsideration",
                                                       filed_on=date(2026, 5, 1), **base), rid, agency)
                await _feed(runtime, ev.RemedyDecided(state="answered", remedy_id=remedy, remedy_kind="reconsideration",
                                                      outcome="corrected", decided_on=date(2026, 7, 1), **base), rid, agency)
        response = await client.get("/api/v1/audit/assessment", params={"agency_id": agency, "year": 2026},
                                    headers=auth(settings, "supervisor", agency_id=agency))
        assert response.status_code == 200, response.text
        body = response.json()
        lost = {i["key"]: i["lost"] for i in body["items"]}
        assert lost == {"on_time": 10.0, "overdue": 0, "corrected": 10, "proactive": 0}
        assert body["score"] == 80 and body["grade"] == "合格"
        other = await client.get("/api/v1/audit/assessment", params={"agency_id": agency, "year": 2026},
                                 headers=auth(settings, "supervisor", agency_id=new_id()))
        assert other.status_code == 404
