"""A paper applicant who lost the query code gets a new one from the registrar; the old one stops working (issue #17, point 6)."""

from __future__ import annotations

from services.requests.tests.conftest import API
from services.requests.tests.test_agency_scope_and_id_proof import registration
from shared.testing import assert_problem as problem


async def test_the_registrar_reissues_the_query_code_and_the_old_one_no_longer_opens_the_status(harness):
    h = harness
    created = await h.client.post(f"{API}/registrations", json=registration(h.agency_a), headers=h.who("registrar", h.agency_a))
    assert created.status_code == 201, created.text
    rid, number, first = created.json()["id"], created.json()["tracking_number"], created.json()["query_code"]
    assert (await h.client.post(f"{API}/public/status", json={"tracking_number": number, "query_code": first})).status_code == 200

    body = {"reason": "申请人遗失受理回执"}
    # Nobody else may do it: an applicant, a handler, a registrar of a sibling agency (who cannot even see the request).
    problem(await h.client.post(f"{API}/requests/{rid}/query-code", json=body, headers=h.who("applicant", sub="citizen-1")), 403)
    problem(await h.client.post(f"{API}/requests/{rid}/query-code", json=body, headers=h.who("handler", h.agency_a)), 403)
    problem(await h.client.post(f"{API}/requests/{rid}/query-code", json=body, headers=h.who("registrar", h.agency_b)), 404)
    assert (await h.client.post(f"{API}/public/status", json={"tracking_number": number, "query_code": first})).status_code == 200

    reissued = await h.client.post(f"{API}/requests/{rid}/query-code", json=body, headers=h.who("registrar", h.agency_a))
    assert reissued.status_code == 200, reissued.text
    second = reissued.json()["query_code"]
    assert second != first and len(second) == 8 and reissued.json()["tracking_number"] == number
    problem(await h.client.post(f"{API}/public/status", json={"tracking_number": number, "query_code": first}), 404, "request_not_found")
    assert (await h.client.post(f"{API}/public/status", json={"tracking_number": number, "query_code": second})).status_code == 200

    detail = (await h.client.get(f"{API}/requests/{rid}", headers=h.who("registrar", h.agency_a))).json()
    [entry] = [e for e in detail["timeline"] if e["action"] == "reissue_query_code"]
    assert entry["label"] == "重新发放查询码" and entry["note"] == "申请人遗失受理回执"
    assert second not in reissued.text.replace(f'"query_code":"{second}"', "")  # shown once, in its own field, nowhere else
    assert "query_code" not in detail and second not in str(detail)
