"""The officer directory API: who may keep which entries, validation, versions, events, and disabling."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from services.identity.adapters.orm import Account, Officer, OfficerRole, plumbing
from services.identity.service.agency_replica import on_agency_event
from services.identity.tests.conftest import API
from shared.contracts.catalog import AgencyRegistered
from shared.db import new_id
from shared.events import Actor
from shared.testing import assert_problem

OFFICERS = f"{API}/officers"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


@dataclass
class Directory:
    identity: object
    county: str
    a: str
    a_sub: str
    b: str
    admin: dict[str, str]
    head_a: dict[str, str]
    head_b: dict[str, str]
    handler_a: dict[str, str]
    citizen: dict[str, str]

    @property
    def client(self):
        return self.identity.client  # type: ignore[attr-defined]


async def _agency(identity, agency_id: str, name: str, parent: str | None) -> None:
    event = AgencyRegistered(agency_id=agency_id, name=name, kind="department" if parent else "county_government", parent_id=parent)
    async with identity.runtime.uow() as uow:
        await on_agency_event(uow, event.envelope(source="catalog", aggregate_id=agency_id, actor=Actor.system("test")))
        await uow.commit()


async def _seed_officer(identity, name: str, agency_id: str, role: str) -> Account:
    async with identity.runtime.uow() as uow:
        account = Account(kind="officer", status="active", display_name=name)
        uow.session.add(account)
        await uow.session.flush()
        uow.session.add(Officer(account_id=account.id, name=name, status="active"))
        await uow.session.flush()
        uow.session.add(OfficerRole(account_id=account.id, agency_id=agency_id, role=role))
        await uow.commit()
    return account


async def _token(identity, account: Account) -> dict[str, str]:
    return bearer((await identity.session_for(account, methods="pwd")).access_token)


@pytest.fixture
async def d(identity) -> Directory:
    county, a, a_sub, b = new_id(), new_id(), new_id(), new_id()
    await _agency(identity, county, "某某县人民政府", None)
    await _agency(identity, a, "某某县民政局", county)
    await _agency(identity, a_sub, "某某县民政局社会救助股", a)
    await _agency(identity, b, "某某县财政局", county)
    admin = await _seed_officer(identity, "系统管理员", county, "admin")
    head_a = await _seed_officer(identity, "民政局负责人", a, "head")
    head_b = await _seed_officer(identity, "财政局负责人", b, "head")
    handler_a = await _seed_officer(identity, "民政局承办人", a, "handler")
    citizen = await identity.citizen("13800009999")
    return Directory(
        identity,
        county,
        a,
        a_sub,
        b,
        await _token(identity, admin),
        await _token(identity, head_a),
        await _token(identity, head_b),
        await _token(identity, handler_a),
        await _token(identity, citizen),
    )


def entry(agency_id: str, roles: list[str] | None = None, **overrides) -> dict:
    body = {
        "name": "李承办",
        "email": "li@mz.example.gov.cn",
        "mobile": "13900001111",
        "memberships": [{"agency_id": agency_id, "roles": roles or ["handler"]}],
    }
    body.update(overrides)
    return body


async def officer_events(identity, officer_id: str) -> list[dict]:
    async with identity.runtime.sessions() as s:
        rows = (
            await s.execute(select(plumbing.outbox.c.body).where(plumbing.outbox.c.key == officer_id).order_by(plumbing.outbox.c.id))
        ).scalars()
        return [json.loads(b) for b in rows]


async def officer_count(identity) -> int:
    async with identity.runtime.sessions() as s:
        return len((await s.execute(select(Officer.account_id))).all())


async def test_admin_creates_an_officer_and_the_whole_entry_is_published(d):
    resp = await d.client.post(OFFICERS, json=entry(d.a, ["handler", "reviewer"], mobile="+86 139-0000-1111"), headers=d.admin)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["name"] == "李承办" and body["mobile"] == "13900001111" and body["status"] == "active"
    assert body["memberships"] == [{"agency_id": d.a, "roles": ["handler", "reviewer"]}]
    assert resp.headers["ETag"] == f'"{body["version"]}"'
    events = await officer_events(d.identity, body["id"])
    assert [e["type"] for e in events] == ["OfficerChanged"]
    payload = events[0]["payload"]
    assert payload["officer_id"] == body["id"] and payload["email"] == "li@mz.example.gov.cn" and payload["version"] == body["version"]
    assert payload["memberships"] == [{"agency_id": d.a, "roles": ["handler", "reviewer"]}]
    got = await d.client.get(f"{OFFICERS}/{body['id']}", headers=d.admin)
    assert got.status_code == 200 and got.json() == body


async def test_a_head_keeps_officers_of_the_own_subtree_only(d):
    ok = await d.client.post(OFFICERS, json=entry(d.a_sub), headers=d.head_a)
    assert ok.status_code == 201, ok.text
    officer_id = ok.json()["id"]
    # Outside the subtree (a sibling agency), or the admin role: refused, nothing stored.
    before = await officer_count(d.identity)
    assert_problem(await d.client.post(OFFICERS, json=entry(d.b), headers=d.head_a), 403, "agency_outside_scope")
    assert_problem(await d.client.post(OFFICERS, json=entry(d.a, ["admin"]), headers=d.head_a), 403, "admin_grant_forbidden")
    assert await officer_count(d.identity) == before
    # The head of the sibling agency does not see it at all.
    assert_problem(await d.client.get(f"{OFFICERS}/{officer_id}", headers=d.head_b), 404, "officer_not_found")
    assert_problem(await d.client.patch(f"{OFFICERS}/{officer_id}", json={"name": "改名"}, headers=d.head_b), 404, "officer_not_found")
    assert_problem(await d.client.post(f"{OFFICERS}/{officer_id}/disable", headers=d.head_b), 404, "officer_not_found")
    # Moving the officer to the sibling agency is not the head's to do either.
    moved = {"memberships": [{"agency_id": d.b, "roles": ["handler"]}]}
    assert_problem(await d.client.patch(f"{OFFICERS}/{officer_id}", json=moved, headers=d.head_a), 403, "agency_outside_scope")
    listed = (await d.client.get(OFFICERS, headers=d.head_b)).json()
    assert officer_id not in [o["id"] for o in listed["items"]]
    assert_problem(await d.client.get(OFFICERS, params={"agency_id": d.a}, headers=d.head_b), 403, "agency_outside_scope")


async def test_a_head_may_not_change_an_officer_who_also_serves_elsewhere(d):
    both = entry(d.a, memberships=[{"agency_id": d.a, "roles": ["handler"]}, {"agency_id": d.b, "roles": ["reviewer"]}])
    officer_id = (await d.client.post(OFFICERS, json=both, headers=d.admin)).json()["id"]
    assert (await d.client.get(f"{OFFICERS}/{officer_id}", headers=d.head_a)).status_code == 200
    assert_problem(await d.client.patch(f"{OFFICERS}/{officer_id}", json={"name": "改名"}, headers=d.head_a), 403, "officer_outside_scope")


@pytest.mark.parametrize("who", ["handler_a", "citizen"])
async def test_other_roles_are_refused(d, who):
    headers = getattr(d, who)
    assert_problem(await d.client.post(OFFICERS, json=entry(d.a), headers=headers), 403, "forbidden_role")
    assert_problem(await d.client.get(OFFICERS, headers=headers), 403, "forbidden_role")


async def test_anonymous_callers_are_refused(d):
    assert_problem(await d.client.post(OFFICERS, json=entry(d.a)), 401, "token_missing")
    assert_problem(await d.client.get(OFFICERS), 401, "token_missing")


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"memberships": [{"agency_id": "no-such-agency", "roles": ["handler"]}]}, 422, "agency_unknown"),
        ({"memberships": [{"agency_id": "AGENCY", "roles": ["applicant"]}]}, 422, "role_invalid"),
        ({"memberships": [{"agency_id": "AGENCY", "roles": ["boss"]}]}, 422, "role_invalid"),
        (
            {"memberships": [{"agency_id": "AGENCY", "roles": ["handler"]}, {"agency_id": "AGENCY", "roles": ["head"]}]},
            422,
            "membership_duplicate",
        ),
        ({"memberships": []}, 422, None),
        ({"email": "not-an-address"}, 422, None),
        ({"mobile": "12345"}, 422, None),
        ({"name": ""}, 422, None),
    ],
)
async def test_bad_entries_are_refused_and_nothing_is_stored(d, change, status, code):
    body = entry(d.a, **json.loads(json.dumps(change).replace("AGENCY", d.a)))
    before = await officer_count(d.identity)
    assert_problem(await d.client.post(OFFICERS, json=body, headers=d.admin), status, code)
    assert await officer_count(d.identity) == before


async def test_updates_need_the_current_version(d):
    created = (await d.client.post(OFFICERS, json=entry(d.a), headers=d.admin)).json()
    url, v1 = f"{OFFICERS}/{created['id']}", created["version"]
    resp = await d.client.patch(
        url,
        json={"email": "li2@mz.example.gov.cn", "memberships": [{"agency_id": d.a, "roles": ["head"]}]},
        headers={**d.admin, "If-Match": f'"{v1}"'},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["version"] == v1 + 1 and resp.json()["memberships"] == [{"agency_id": d.a, "roles": ["head"]}]
    # The same stale version again (someone else's edit in between): 409, nothing changed.
    assert_problem(
        await d.client.patch(url, json={"name": "旧页面"}, headers={**d.admin, "If-Match": f'"{v1}"'}), 409, "officer_version_stale"
    )
    assert_problem(await d.client.patch(url, json={"name": "旧页面", "version": v1}, headers=d.admin), 409, "officer_version_stale")
    current = (await d.client.get(url, headers=d.admin)).json()
    assert current["name"] == "李承办" and current["email"] == "li2@mz.example.gov.cn"
    payloads = [e["payload"] for e in await officer_events(d.identity, created["id"])]
    assert [p["version"] for p in payloads] == [v1, v1 + 1]
    assert payloads[-1]["memberships"] == [{"agency_id": d.a, "roles": ["head"]}]


async def test_a_disabled_officer_cannot_refresh_and_is_published_disabled(d):
    created = (await d.client.post(OFFICERS, json=entry(d.a), headers=d.admin)).json()
    async with d.identity.runtime.sessions() as s:
        account = await s.get(Account, created["id"])
    pair = await d.identity.session_for(account, methods="pwd")
    assert pair.grant.roles == ["handler"] and pair.grant.agency_id == d.a
    resp = await d.client.post(f"{OFFICERS}/{created['id']}/disable", headers=d.head_a)
    assert resp.status_code == 200 and resp.json()["status"] == "disabled"
    refused = await d.client.post(f"{API}/token/refresh", json={"refresh_token": pair.refresh_token})
    assert refused.status_code in (401, 403), refused.text
    assert_problem(refused, refused.status_code)
    # A fresh session is refused too (grant_for reads the directory).
    with pytest.raises(Exception, match="停用"):
        await d.identity.session_for(account, methods="pwd")
    assert [e["payload"]["status"] for e in await officer_events(d.identity, created["id"])] == ["active", "disabled"]
    enabled = await d.client.post(f"{OFFICERS}/{created['id']}/enable", headers=d.admin)
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    assert (await d.identity.session_for(account, methods="pwd")).grant.roles == ["handler"]


async def test_list_filters_by_agency_and_status_and_pages(d):
    for i in range(3):
        await d.client.post(OFFICERS, json=entry(d.a_sub, name=f"股员{i}"), headers=d.admin)
    first = (await d.client.get(OFFICERS, params={"agency_id": d.a_sub, "page_size": 2}, headers=d.head_a)).json()
    assert first["total"] == 3 and len(first["items"]) == 2
    second = (await d.client.get(OFFICERS, params={"agency_id": d.a_sub, "page_size": 2, "page": 2}, headers=d.head_a)).json()
    assert len(second["items"]) == 1
    gone = first["items"][0]["id"]
    await d.client.post(f"{OFFICERS}/{gone}/disable", headers=d.admin)
    active = (await d.client.get(OFFICERS, params={"agency_id": d.a_sub, "status": "active"}, headers=d.admin)).json()
    assert active["total"] == 2 and gone not in [o["id"] for o in active["items"]]
    # The head of A sees A's own people and the sub-unit's, not B's.
    mine = {o["name"] for o in (await d.client.get(OFFICERS, params={"page_size": 100}, headers=d.head_a)).json()["items"]}
    assert {"民政局负责人", "民政局承办人", "股员1"} <= mine and "财政局负责人" not in mine


async def _password_login(d: Directory, username: str, password: str):
    return await d.client.post(f"{API}/password/login", json={"username": username, "password": password})


async def test_a_head_gives_an_officer_of_the_subtree_a_local_password_and_the_officer_changes_it(d):
    created = (await d.client.post(OFFICERS, json=entry(d.a_sub, ["handler"]), headers=d.admin)).json()
    url = f"{OFFICERS}/{created['id']}/local-password"
    resp = await d.client.put(url, json={"username": "li.chengban", "password": "初始密码-Only-Once-1"}, headers=d.head_a)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"otpauth_uri": None}
    login = await _password_login(d, "li.chengban", "初始密码-Only-Once-1")
    assert login.status_code == 200, login.text
    me = bearer(login.json()["access_token"])
    wrong = await d.client.post(
        f"{API}/password/change", json={"current_password": "not it", "new_password": "a-new-long-password"}, headers=me
    )
    assert_problem(wrong, 401, "login_invalid")
    short = await d.client.post(
        f"{API}/password/change", json={"current_password": "初始密码-Only-Once-1", "new_password": "short"}, headers=me
    )
    assert_problem(short, 400, "password_too_short")
    changed = await d.client.post(
        f"{API}/password/change", json={"current_password": "初始密码-Only-Once-1", "new_password": "a-new-long-password"}, headers=me
    )
    assert changed.status_code == 204, changed.text
    assert (await _password_login(d, "li.chengban", "初始密码-Only-Once-1")).status_code == 401
    assert (await _password_login(d, "li.chengban", "a-new-long-password")).status_code == 200


async def test_local_passwords_follow_the_directory_rules(d):
    in_b = (await d.client.post(OFFICERS, json=entry(d.b, ["handler"]), headers=d.admin)).json()
    body = {"username": "cai.zheng", "password": "a-long-enough-password"}
    assert_problem(await d.client.put(f"{OFFICERS}/{in_b['id']}/local-password", json=body, headers=d.head_a), 404, "officer_not_found")
    assert_problem(await d.client.put(f"{OFFICERS}/{in_b['id']}/local-password", json=body, headers=d.handler_a), 403, "forbidden_role")
    admin_entry = (await d.client.post(OFFICERS, json=entry(d.a, ["admin"]), headers=d.admin)).json()
    assert_problem(
        await d.client.put(f"{OFFICERS}/{admin_entry['id']}/local-password", json=body, headers=d.head_a), 403, "officer_outside_scope"
    )
    weak = {"username": "cai.zheng", "password": "cai.zheng-2026-pw"}
    assert_problem(
        await d.client.put(f"{OFFICERS}/{in_b['id']}/local-password", json=weak, headers=d.admin), 400, "password_contains_username"
    )
    assert (await _password_login(d, "cai.zheng", "cai.zheng-2026-pw")).status_code == 401
    ok = await d.client.put(f"{OFFICERS}/{in_b['id']}/local-password", json=body, headers=d.admin)
    assert ok.status_code == 200 and ok.json()["otpauth_uri"] is None
    taken = await d.client.put(f"{OFFICERS}/{admin_entry['id']}/local-password", json=body, headers=d.admin)
    assert_problem(taken, 409, "username_taken")
    # An admin gets a TOTP seed to enrol: without the code the password alone does not sign in.
    admin_pw = await d.client.put(
        f"{OFFICERS}/{admin_entry['id']}/local-password", json={"username": "guan.li", "password": "another-long-password"}, headers=d.admin
    )
    assert admin_pw.status_code == 200 and admin_pw.json()["otpauth_uri"].startswith("otpauth://totp/")
    assert_problem(await _password_login(d, "guan.li", "another-long-password"), 401, "totp_required")
