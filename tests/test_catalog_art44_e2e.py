"""Art. 44 across services: the same file given to two applicants by the requests service becomes a catalog suggestion."""

from __future__ import annotations

import hashlib
from datetime import date

from services.catalog.app import create_app as catalog_app
from services.catalog.settings import CatalogSettings
from services.requests.app import create_app as requests_app
from services.requests.settings import RequestsSettings
from services.requests.tests.conftest import replicate_officer
from shared.testing import auth, eventually, running_app, settings_for

CATALOG = "/api/v1/catalog"
REQUESTS = "/api/v1/requests"
VALID_ID = "11010519491231002X"
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + "2025年度城乡低保资金发放明细".encode()
ANSWER = {"category": "disclosed", "reason": "provided", "letter": "经审查，您申请的信息予以公开，详见附件。"}
TODAY = date(2026, 11, 20)


async def test_a_file_given_to_two_applicants_is_suggested_for_proactive_disclosure(broker, databases, topic_prefix, tmp_path):
    common = dict(bootstrap=broker.bootstrap, prefix=topic_prefix, run_scheduler=False)
    cs = settings_for(CatalogSettings, database_url=await databases.new("catalog"), storage_dir=str(tmp_path / "catalog-files"), **common)
    rs = settings_for(
        RequestsSettings, database_url=await databases.new("requests"), storage_dir=str(tmp_path / "requests-files"), **common
    )
    capp, rapp = catalog_app(cs), requests_app(rs)
    async with running_app(capp) as catalog, running_app(rapp) as requests:
        capp.state.today = rapp.state.today = lambda: TODAY
        admin = auth(cs, "admin")
        r = await catalog.post(f"{CATALOG}/agencies", json={"name": "青山县人民政府", "kind": "county_government"}, headers=admin)
        county = r.json()["id"]
        r = await catalog.post(
            f"{CATALOG}/agencies", json={"name": "青山县民政局", "kind": "department", "parent_id": county}, headers=admin
        )
        assert r.status_code == 201, r.text
        civil = r.json()["id"]

        async def replicated() -> bool:
            return civil in {a["id"] for a in (await requests.get(f"{REQUESTS}/agencies")).json()}

        await eventually(replicated, message="the agency replicated to requests")
        await replicate_officer(rapp.state.runtime, "handler-1", [civil])  # the assignee, as identity's directory would publish

        def officer(role: str, sub: str) -> dict[str, str]:
            return auth(rs, role, agency_id=civil, sub=sub)

        head, handler, reviewer = officer("head", "head-1"), officer("handler", "handler-1"), officer("reviewer", "reviewer-1")

        for n, citizen in enumerate(("citizen-1", "citizen-2")):
            applicant = auth(rs, "applicant", sub=citizen)
            body = {
                "agency_id": civil,
                "description": "请公开2025年度城乡低保资金发放情况",
                "preferred_form": "electronic",
                "applicant": {
                    "type": "natural_person",
                    "name": f"申请人{n}",
                    "id_type": "resident_id",
                    "id_number": VALID_ID,
                    "mobile": "13800138000",
                    "postal_address": "青山县人民路1号",
                },
            }
            r = await requests.post(f"{REQUESTS}/requests", json=body, headers=applicant)
            assert r.status_code == 201, r.text
            rid = r.json()["id"]
            # The handling office uploads the same file for each answer (a separate upload each time).
            r = await requests.post(
                f"{REQUESTS}/attachments",
                files={"file": ("低保资金发放明细.pdf", PDF, "application/pdf")},
                data={"purpose": "answer_document"},
                headers=handler,
            )
            assert r.status_code == 201, r.text
            document = r.json()["id"]
            for path, payload, who in [
                ("assign", {"assignee_sub": "handler-1"}, head),
                ("answer", {**ANSWER, "document_ids": [document]}, handler),
                ("review/approve", {}, reviewer),
                ("answer/dispatch", {}, handler),
            ]:
                r = await requests.post(f"{REQUESTS}/requests/{rid}/{path}", json=payload, headers=who)
                assert r.status_code == 200, f"{path}: {r.text}"

        catalog_handler = auth(cs, "handler", agency_id=civil, sub="handler-1")

        async def suggested() -> list[dict]:
            return (await catalog.get(f"{CATALOG}/suggestions", headers=catalog_handler)).json()

        [suggestion] = await eventually(suggested, timeout=60, message="the Art. 44 suggestion in the catalog")
        assert suggestion["agency_id"] == civil and suggestion["applicant_count"] == 2
        assert suggestion["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert suggestion["title"] == "低保资金发放明细.pdf" and len(suggestion["tracking_numbers"]) == 2
        assert suggestion["first_given_on"] == suggestion["last_given_on"] == TODAY.isoformat()
