"""Issue #13 across services: each download of an applicant's ID-card scan reaches the audit log, through the broker."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from services.audit.adapters.orm import RequestFact
from shared.testing import auth, eventually, running_app
from tests.helpers import audit_app, catalog_app, requests_app, scalar, service_settings

CATALOG = "/api/v1/catalog"
REQUESTS = "/api/v1/requests"
AUDIT = "/api/v1/audit"
VALID_ID = "11010519491231002X"
ID_SCAN = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + "居民身份证".encode()


async def test_an_id_proof_download_is_recorded_in_the_audit_log_and_a_refused_one_is_not(broker, databases, topic_prefix, tmp_path):
    s = await service_settings(databases, broker, topic_prefix, run_scheduler=False)
    s["requests"] = s["requests"].model_copy(update={"storage_dir": str(tmp_path / "files")})
    rapp = requests_app(s["requests"])
    async with (
        running_app(catalog_app(s["catalog"])) as catalog,
        running_app(rapp) as requests,
        running_app(audit_app(s["audit"])) as audit,
    ):
        rapp.state.today = lambda: date(2026, 11, 20)
        r = await catalog.post(
            f"{CATALOG}/agencies", json={"name": "青山县民政局", "kind": "county_government"}, headers=auth(s["catalog"], "admin")
        )
        assert r.status_code == 201, r.text
        agency = r.json()["id"]

        async def replicated() -> bool:
            return agency in {a["id"] for a in (await requests.get(f"{REQUESTS}/agencies")).json()}

        await eventually(replicated, message="the agency replicated to requests")

        applicant = auth(s["requests"], "applicant", sub="citizen-1")
        r = await requests.post(
            f"{REQUESTS}/attachments",
            files={"file": ("身份证.pdf", ID_SCAN, "application/pdf")},
            data={"purpose": "identity_proof"},
            headers=applicant,
        )
        proof = r.json()["id"]
        body = {
            "agency_id": agency,
            "description": "请公开2025年度城乡低保资金发放情况",
            "preferred_form": "electronic",
            "attachment_ids": [proof],
            "applicant": {
                "type": "natural_person",
                "name": "张三",
                "id_type": "resident_id",
                "id_number": VALID_ID,
                "mobile": "13800138000",
            },
        }
        r = await requests.post(f"{REQUESTS}/requests", json=body, headers=applicant)
        assert r.status_code == 201, r.text
        rid = r.json()["id"]

        handler = auth(s["requests"], "handler", agency_id=agency, sub="handler-1")
        assert (await requests.get(f"{REQUESTS}/attachments/{proof}", headers=handler)).content == ID_SCAN
        reviewer = auth(s["requests"], "reviewer", agency_id=agency, sub="reviewer-1")
        assert (await requests.get(f"{REQUESTS}/attachments/{proof}", headers=reviewer)).status_code == 403

        supervisor = auth(s["audit"], "supervisor", agency_id=agency)

        async def logged():
            entries = (await audit.get(f"{AUDIT}/entries", params={"aggregate_id": rid}, headers=supervisor)).json()
            return [e for e in entries if e["event_type"] == "IdProofViewed"] if len(entries) >= 2 else None

        views = await eventually(logged, message="the ID-proof view in the audit log")
        assert len(views) == 1  # the refused reviewer left no view behind
        view = views[0]
        assert (view["source"], view["aggregate_type"], view["agency_id"]) == ("requests", "id_proof_access", agency)
        assert (view["actor_sub"], view["actor_role"]) == ("handler-1", "handler")
        assert view["payload"] == {
            "request_id": rid,
            "attachment_id": proof,
            "agency_id": agency,
            "viewer_sub": "handler-1",
            "viewer_role": "handler",
        }
        assert view["occurred_at"]
        assert VALID_ID not in str(view) and "张三" not in str(view)
        everything = (await audit.get(f"{AUDIT}/entries", params={"aggregate_id": rid}, headers=supervisor)).json()
        assert [e["event_type"] for e in everything] == ["RequestSubmitted", "RequestReceived", "IdProofViewed"]
        # an audit fact, not a workflow step: the request's projection for timeliness is untouched
        assert await scalar(s["audit"].database_url, select(RequestFact.state).where(RequestFact.request_id == rid)) == "received"
