"""The disclosure guide (指南) and agency maintenance through the API: who may change them, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from services.catalog.adapters.orm import Agency, Guide
from services.catalog.tests.conftest import API, CODE_CIVIL, CODE_FINANCE
from shared.testing import assert_problem

GUIDE = {
    "office": "青山县民政局办公室",
    "address": "青山县人民路1号",
    "postcode": "310000",
    "hours": "工作日 8:30-12:00，14:00-17:30",
    "phone": "0571-88880000",
    "fax": "0571-88880001",
    "email": "gk@qingshan.gov.cn",
    "website": "https://mz.qingshan.gov.cn",
    "channels": ["online", "letter", "in_person"],
    "scope": "本机关主动公开的信息通过县政府门户网站发布。",
}
# Valid GB 32100 check character is "B"; any other one is wrong.
BAD_CREDIT_CODE = CODE_CIVIL[:17] + "C"


def guide_url(agency_id: str) -> str:
    return f"{API}/agencies/{agency_id}/guide"


async def stored_guides(c) -> list[Guide]:
    async with c.app.state.runtime.sessions() as s:
        return list((await s.execute(select(Guide))).scalars())


# -- the guide -----------------------------------------------------------------------------------


async def test_a_guide_is_missing_until_a_head_writes_it_and_then_everyone_reads_it(catalog_app) -> None:
    c = catalog_app
    assert_problem(await c.client.get(guide_url(c.civil)), 404, "guide_not_found")

    r = await c.client.put(guide_url(c.civil), json=GUIDE, headers=c.who("head"))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.headers["ETag"] == '"1"'

    r = await c.client.get(guide_url(c.civil))  # no login
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["agency_id"] == c.civil and shown["agency_name"] == "青山县民政局"
    assert shown["channels"] == [
        {"code": "online", "name": "网上申请"},
        {"code": "letter", "name": "信函申请"},
        {"code": "in_person", "name": "当面申请"},
    ]
    for field in ("office", "address", "postcode", "hours", "phone", "fax", "email", "website", "scope"):
        assert shown[field] == GUIDE[field], field
    assert r.headers["ETag"] == '"1"'
    # Another agency still has none.
    assert_problem(await c.client.get(guide_url(c.finance)), 404, "guide_not_found")


async def test_an_admin_may_write_any_agencys_guide_and_updates_bump_the_version(catalog_app) -> None:
    c = catalog_app
    r = await c.client.put(guide_url(c.finance), json=GUIDE | {"office": "青山县财政局办公室"}, headers=c.who("admin"))
    assert r.status_code == 200, r.text
    r = await c.client.put(
        guide_url(c.finance),
        json=GUIDE | {"office": "青山县财政局综合科", "channels": ["email", "email"]},
        headers=c.who("admin") | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["channels"] == [{"code": "email", "name": "电子邮件申请"}]
    assert (await c.client.get(guide_url(c.finance))).json()["office"] == "青山县财政局综合科"
    # A county head's scope covers its departments.
    r = await c.client.put(guide_url(c.finance), json=GUIDE, headers=c.who("head", c.county))
    assert r.status_code == 200, r.text


async def test_a_handler_or_another_departments_head_may_not_write_the_guide(catalog_app) -> None:
    c = catalog_app
    assert_problem(await c.client.put(guide_url(c.civil), json=GUIDE, headers=c.who("handler")), 403, "forbidden_role")
    assert_problem(await c.client.put(guide_url(c.civil), json=GUIDE, headers=c.who("head", c.finance)), 403, "agency_out_of_scope")
    assert_problem(await c.client.put(guide_url(c.civil), json=GUIDE), 401)
    assert await stored_guides(c) == []
    assert_problem(await c.client.get(guide_url(c.civil)), 404, "guide_not_found")
    assert_problem(await c.client.put(guide_url("no-such-agency"), json=GUIDE, headers=c.who("admin")), 404, "agency_not_found")


async def test_a_stale_if_match_gets_412_and_changes_nothing(catalog_app) -> None:
    c = catalog_app
    head = c.who("head")
    assert (await c.client.put(guide_url(c.civil), json=GUIDE, headers=head)).status_code == 200
    r = await c.client.put(guide_url(c.civil), json=GUIDE | {"hours": "工作日全天"}, headers=head | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    r = await c.client.put(guide_url(c.civil), json=GUIDE | {"hours": "过期的修改"}, headers=head | {"If-Match": '"1"'})
    problem = assert_problem(r, 412, "stale_version")
    assert problem["current_version"] == 2
    shown = (await c.client.get(guide_url(c.civil))).json()
    assert shown["hours"] == "工作日全天" and shown["version"] == 2


@pytest.mark.parametrize(
    "change,field",
    [
        ({"postcode": "31000"}, "postcode"),
        ({"postcode": "31000A"}, "postcode"),
        ({"channels": ["online", "pigeon"]}, "channels"),
        ({"channels": []}, "channels"),
        ({"email": "gk@qingshan"}, "email"),
        ({"email": "gk qingshan.gov.cn"}, "email"),
        ({"office": "   "}, "office"),
        ({"website": "ftp://mz.qingshan.gov.cn"}, "website"),
        ({"phone": "call me"}, "phone"),
        ({"unknown_field": "x"}, "unknown_field"),
    ],
)
async def test_bad_guide_input_gets_422_and_stores_nothing(catalog_app, change: dict[str, Any], field: str) -> None:
    c = catalog_app
    r = await c.client.put(guide_url(c.civil), json=GUIDE | change, headers=c.who("head"))
    problem = assert_problem(r, 422)
    assert any(field in e["field"] for e in problem["errors"]), problem
    assert await stored_guides(c) == []


async def test_bad_input_on_an_existing_guide_leaves_it_as_it_was(catalog_app) -> None:
    c = catalog_app
    assert (await c.client.put(guide_url(c.civil), json=GUIDE, headers=c.who("head"))).status_code == 200
    assert_problem(await c.client.put(guide_url(c.civil), json=GUIDE | {"channels": ["telepathy"]}, headers=c.who("head")), 422)
    shown = (await c.client.get(guide_url(c.civil))).json()
    assert [ch["code"] for ch in shown["channels"]] == GUIDE["channels"] and shown["version"] == 1


# -- agencies ------------------------------------------------------------------------------------


async def patch(c, agency_id: str, body: dict[str, Any], who: dict[str, str] | None = None):
    return await c.client.patch(f"{API}/agencies/{agency_id}", json=body, headers=who or c.who("admin"))


async def add_agency(c, **body: Any) -> dict[str, Any]:
    r = await c.client.post(f"{API}/agencies", json=body, headers=c.who("admin"))
    assert r.status_code == 201, r.text
    return r.json()


def agency_events(events: list[dict], agency_id: str) -> list[dict]:
    return [e for e in events if e["aggregate_id"] == agency_id]


async def test_an_admin_renames_and_moves_an_agency_and_the_change_is_announced_in_full(catalog_app) -> None:
    c = catalog_app
    center = await add_agency(c, name="青山县社会救助服务中心", kind="other", parent_id=c.civil)
    r = await patch(c, center["id"], {"name": "青山县社会救助指导中心", "parent_id": c.county})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "青山县社会救助指导中心" and r.json()["parent_id"] == c.county
    assert (await c.client.get(f"{API}/agencies/{center['id']}")).json()["parent_id"] == c.county

    events = agency_events(await c.outbox(), center["id"])
    assert [e["type"] for e in events] == ["AgencyRegistered", "AgencyUpdated"]
    assert events[-1]["payload"] == {
        "agency_id": center["id"],
        "name": "青山县社会救助指导中心",
        "kind": "other",
        "parent_id": c.county,
        "credit_code": None,
    }
    # Full state even when only one field changed.
    assert (await patch(c, c.finance, {"name": "青山县财政局（县国资办）"})).status_code == 200
    last = agency_events(await c.outbox(), c.finance)[-1]
    assert last["type"] == "AgencyUpdated"
    assert last["payload"] == {
        "agency_id": c.finance,
        "name": "青山县财政局（县国资办）",
        "kind": "department",
        "parent_id": c.county,
        "credit_code": CODE_FINANCE,
    }


async def test_only_an_admin_may_change_an_agency(catalog_app) -> None:
    c = catalog_app
    before = await c.outbox()
    assert_problem(await patch(c, c.civil, {"name": "改名"}, c.who("head")), 403, "forbidden_role")
    assert_problem(await patch(c, "no-such-agency", {"name": "改名了的机关"}), 404, "agency_not_found")
    assert await c.outbox() == before
    assert (await c.client.get(f"{API}/agencies/{c.civil}")).json()["name"] == "青山县民政局"


async def test_moving_an_agency_under_itself_or_its_descendant_gets_422_agency_cycle(catalog_app) -> None:
    c = catalog_app
    center = await add_agency(c, name="青山县社会救助服务中心", kind="other", parent_id=c.civil)
    before = await c.outbox()
    assert_problem(await patch(c, c.civil, {"parent_id": center["id"]}), 422, "agency_cycle")
    assert_problem(await patch(c, c.county, {"parent_id": center["id"]}), 422, "agency_cycle")
    assert_problem(await patch(c, c.civil, {"parent_id": c.civil}), 422, "agency_cycle")
    assert_problem(await patch(c, c.civil, {"parent_id": "no-such-agency"}), 422, "parent_agency_not_found")
    assert await c.outbox() == before
    assert (await c.client.get(f"{API}/agencies/{c.civil}")).json()["parent_id"] == c.county


async def test_a_duplicate_name_or_credit_code_gets_409_and_an_invalid_code_422(catalog_app) -> None:
    c = catalog_app
    before = await c.outbox()
    assert_problem(await patch(c, c.finance, {"name": "青山县民政局"}), 409, "agency_exists")
    assert_problem(await patch(c, c.finance, {"credit_code": CODE_CIVIL}), 409, "agency_exists")
    assert_problem(
        await c.client.post(f"{API}/agencies", json={"name": "青山县民政局", "kind": "department"}, headers=c.who("admin")),
        409,
        "agency_exists",
    )
    assert_problem(
        await c.client.post(
            f"{API}/agencies", json={"name": "青山县教育局", "kind": "department", "credit_code": CODE_CIVIL}, headers=c.who("admin")
        ),
        409,
        "agency_exists",
    )
    problem = assert_problem(await patch(c, c.finance, {"credit_code": BAD_CREDIT_CODE}), 422)
    assert any("credit_code" in e["field"] for e in problem["errors"])
    assert_problem(
        await c.client.post(
            f"{API}/agencies", json={"name": "青山县教育局", "kind": "department", "credit_code": "123"}, headers=c.who("admin")
        ),
        422,
    )
    assert await c.outbox() == before
    finance = (await c.client.get(f"{API}/agencies/{c.finance}")).json()
    assert finance["name"] == "青山县财政局" and finance["credit_code"] == CODE_FINANCE
    # Keeping its own name or code is not a conflict.
    assert (await patch(c, c.finance, {"name": "青山县财政局", "credit_code": CODE_FINANCE})).status_code == 200


async def test_agencies_under_lists_exactly_the_subtree(catalog_app) -> None:
    c = catalog_app
    center = await add_agency(c, name="青山县社会救助服务中心", kind="other", parent_id=c.civil)
    town = await add_agency(c, name="青山县青山镇人民政府", kind="township", parent_id=c.county)

    async def under(agency_id: str) -> set[str]:
        r = await c.client.get(f"{API}/agencies", params={"under": agency_id})
        assert r.status_code == 200, r.text
        return {a["id"] for a in r.json()}

    assert await under(c.civil) == {c.civil, center["id"]}
    assert await under(c.finance) == {c.finance}
    assert await under(center["id"]) == {center["id"]}
    assert await under(c.county) == {c.county, c.civil, c.finance, center["id"], town["id"]}
    assert await under("no-such-agency") == set()
    # After a move the subtree follows.
    assert (await patch(c, center["id"], {"parent_id": c.finance})).status_code == 200
    assert await under(c.civil) == {c.civil}
    assert await under(c.finance) == {c.finance, center["id"]}


async def test_agency_contact_fields_round_trip(catalog_app) -> None:
    c = catalog_app
    contacts = {"phone": "0571-8888 1234", "address": "青山县府前街8号", "website": "https://www.qingshan.gov.cn/mz"}
    created = await add_agency(c, name="青山县教育局", kind="department", parent_id=c.county, **contacts)
    assert {k: created[k] for k in contacts} == contacts
    assert {k: (await c.client.get(f"{API}/agencies/{created['id']}")).json()[k] for k in contacts} == contacts
    r = await patch(c, created["id"], {"phone": "0571-8888 5678转801"})
    assert r.status_code == 200, r.text
    shown = (await c.client.get(f"{API}/agencies/{created['id']}")).json()
    assert shown["phone"] == "0571-8888 5678转801" and shown["address"] == contacts["address"]
    listed = [a for a in (await c.client.get(f"{API}/agencies")).json() if a["id"] == created["id"]]
    assert listed[0]["website"] == contacts["website"]
    # Contact changes concern no other service: no event for them.
    assert [e["type"] for e in agency_events(await c.outbox(), created["id"])] == ["AgencyRegistered"]
    assert_problem(await patch(c, created["id"], {"website": "qingshan.gov.cn"}), 422)
    assert_problem(await patch(c, created["id"], {"phone": "电话号码"}), 422)
    async with c.app.state.runtime.sessions() as s:
        row = await s.get(Agency, created["id"])
        assert row.website == contacts["website"] and row.phone == "0571-8888 5678转801"
