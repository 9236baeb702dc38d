"""WeChat mini-program sign-in against a local WeChat server: openid accounts, phone binding, one person one account."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import func, select

from services.identity.adapters.orm import Account, RefreshToken, WechatIdentity, plumbing
from services.identity.tests.conftest import API
from services.identity.tests.test_sms_login import last_code, send
from shared.testing import assert_problem


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def count(identity, model) -> int:
    async with identity.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def events(identity) -> list[dict]:
    async with identity.runtime.sessions() as s:
        rows = (await s.execute(select(plumbing.outbox.c.body).order_by(plumbing.outbox.c.id))).scalars()
        return [json.loads(b) for b in rows]


async def login(identity, code: str) -> dict:
    resp = await identity.client.post(f"{API}/wechat/login", json={"code": code})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_first_login_makes_a_citizen_account_and_later_logins_reuse_it(wechat_identity, caplog):
    caplog.set_level(logging.DEBUG)
    identity, wechat = wechat_identity
    code = wechat.login_code(unionid="union-1")
    resp = await identity.client.post(f"{API}/wechat/login", json={"code": code})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["account"]["kind"] == "citizen" and body["account"]["roles"] == ["applicant"]
    openid = wechat.openid_of(code)
    assert body["account"]["id"] != openid
    me = await identity.client.get(f"{API}/me", headers=bearer(body["access_token"]))
    assert me.json()["id"] == body["account"]["id"]
    async with identity.runtime.sessions() as s:
        row = await s.get(WechatIdentity, openid)
        tokens = list((await s.execute(select(RefreshToken))).scalars())
    assert row.account_id == body["account"]["id"] and row.appid == wechat.appid and row.unionid == "union-1"
    assert [t.methods for t in tokens] == ["wechat"]
    linked = [e for e in await events(identity) if e["type"] == "WechatLinked"]
    assert [e["payload"] for e in linked] == [{"account_id": body["account"]["id"], "appid": wechat.appid, "openid": openid}]

    again = await login(identity, wechat.login_code(openid=openid))
    assert again["account"]["id"] == body["account"]["id"]
    assert await count(identity, Account) == 1
    assert len([e for e in await events(identity) if e["type"] == "WechatLinked"]) == 1  # announced once

    # session_key went nowhere: not to the client, not into any log record; nor did the AppSecret.
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("uvicorn")]  # uvicorn here is WeChat's side
    assert len(wechat.session_keys) == 2
    for key in wechat.session_keys:
        assert key not in resp.text and key not in json.dumps(again)
        assert [m for m in ours if key in m] == []
    assert [m for m in ours if wechat.secret in m] == []
    assert any("jscode2session" in m for m in ours)  # the request was logged, redacted


@pytest.mark.parametrize(
    ("errcode", "status", "code"),
    [
        (-1, 503, "wechat_busy"),
        (45011, 429, "wechat_rate_limited"),
        (40226, 403, "wechat_user_blocked"),
        (40013, 503, "wechat_error"),
    ],
)
async def test_wechat_refusals_become_problems_and_store_nothing(wechat_identity, errcode, status, code):
    identity, wechat = wechat_identity
    wechat.fail_next["jscode2session"] = errcode
    assert_problem(await identity.client.post(f"{API}/wechat/login", json={"code": wechat.login_code()}), status, code)
    assert await count(identity, Account) == 0 and await count(identity, WechatIdentity) == 0
    assert await events(identity) == []


async def test_used_or_invalid_code_is_refused_and_stores_nothing_new(wechat_identity):
    identity, wechat = wechat_identity
    assert_problem(await identity.client.post(f"{API}/wechat/login", json={"code": "made-up-code"}), 400, "wechat_code_invalid")
    assert await count(identity, Account) == 0 and await events(identity) == []
    code = wechat.login_code()
    await login(identity, code)
    assert_problem(await identity.client.post(f"{API}/wechat/login", json={"code": code}), 400, "wechat_code_used")
    assert await count(identity, Account) == 1 and await count(identity, RefreshToken) == 1
    assert_problem(await identity.client.post(f"{API}/wechat/login", json={"code": "bad code!"}), 422)


async def test_wechat_not_configured_answers_503(identity):
    assert_problem(await identity.client.post(f"{API}/wechat/login", json={"code": "abc"}), 503, "wechat_not_configured")


async def test_binding_a_new_phone_and_the_token_refresh_and_retry(wechat_identity):
    identity, wechat = wechat_identity
    session = await login(identity, wechat.login_code())
    assert_problem(await identity.client.post(f"{API}/wechat/phone", json={"code": "x"}), 401, "token_missing")
    wechat.token = "at-stale"  # WeChat will say the first token we fetch has expired
    wechat.expire_token_once = True
    resp = await identity.client.post(
        f"{API}/wechat/phone", json={"code": wechat.phone_code("13912340001")}, headers=bearer(session["access_token"])
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["account"]["id"] == session["account"]["id"]
    assert [r["force_refresh"] for r in wechat.token_requests] == [False, True]  # one refresh, then the retry worked
    async with identity.runtime.sessions() as s:
        assert (await s.get(Account, session["account"]["id"])).phone == "13912340001"
    # The cached token serves the next call without asking again.
    resp = await identity.client.post(
        f"{API}/wechat/phone", json={"code": wechat.phone_code("13912340001")}, headers=bearer(session["access_token"])
    )
    assert resp.status_code == 200 and len(wechat.token_requests) == 2
    # A later SMS login by that phone is the same person.
    await send(identity, "13912340001")
    sms = await identity.client.post(f"{API}/sms/login", json={"phone": "13912340001", "code": last_code(identity, "13912340001")})
    assert sms.json()["account"]["id"] == session["account"]["id"]
    assert [e["type"] for e in await events(identity)] == ["WechatLinked"]


async def test_phone_of_an_sms_account_merges_the_mini_program_account_into_it(wechat_identity):
    identity, wechat = wechat_identity
    await send(identity, "13912340002")
    sms = (await identity.client.post(f"{API}/sms/login", json={"phone": "13912340002", "code": last_code(identity, "13912340002")})).json()
    code = wechat.login_code()
    mini = await login(identity, code)
    assert mini["account"]["id"] != sms["account"]["id"]
    resp = await identity.client.post(
        f"{API}/wechat/phone", json={"code": wechat.phone_code("13912340002")}, headers=bearer(mini["access_token"])
    )
    assert resp.status_code == 200, resp.text
    merged = resp.json()
    assert merged["account"]["id"] == sms["account"]["id"]
    me = await identity.client.get(f"{API}/me", headers=bearer(merged["access_token"]))
    assert me.json()["id"] == sms["account"]["id"]
    async with identity.runtime.sessions() as s:
        old = await s.get(Account, mini["account"]["id"])
        moved = await s.get(WechatIdentity, wechat.openid_of(code))
    assert (old.status, old.merged_into, old.phone) == ("merged", sms["account"]["id"], None)
    assert moved.account_id == sms["account"]["id"]
    # The mini-program account's sessions are over.
    assert_problem(
        await identity.client.post(f"{API}/token/refresh", json={"refresh_token": mini["refresh_token"]}), 401, "refresh_revoked"
    )
    types = [(e["type"], e["aggregate_id"], e["payload"]) for e in await events(identity)]
    assert types[-2:] == [
        ("AccountsMerged", mini["account"]["id"], {"merged_id": mini["account"]["id"], "into_id": sms["account"]["id"]}),
        (
            "WechatLinked",
            sms["account"]["id"],
            {"account_id": sms["account"]["id"], "appid": wechat.appid, "openid": wechat.openid_of(code)},
        ),
    ]
    # The next mini-program login and the next SMS login land on the surviving account.
    assert (await login(identity, wechat.login_code(openid=wechat.openid_of(code))))["account"]["id"] == sms["account"]["id"]
    assert await count(identity, Account) == 2
    # The old account cannot bind again.
    assert_problem(
        await identity.client.post(
            f"{API}/wechat/phone", json={"code": wechat.phone_code("13912340002")}, headers=bearer(mini["access_token"])
        ),
        403,
        "account_disabled",
    )


async def test_a_phone_number_of_another_mini_program_is_refused(wechat_identity):
    identity, wechat = wechat_identity
    session = await login(identity, wechat.login_code())
    resp = await identity.client.post(
        f"{API}/wechat/phone",
        json={"code": wechat.phone_code("13912340003", appid="wxforeign000000000")},
        headers=bearer(session["access_token"]),
    )
    assert_problem(resp, 403, "wechat_watermark_mismatch")
    assert_problem(
        await identity.client.post(
            f"{API}/wechat/phone", json={"code": wechat.phone_code("5551234", country="1")}, headers=bearer(session["access_token"])
        ),
        400,
        "phone_not_mainland",
    )
    assert_problem(
        await identity.client.post(f"{API}/wechat/phone", json={"code": "spent-or-unknown"}, headers=bearer(session["access_token"])),
        400,
        "wechat_code_invalid",
    )
    async with identity.runtime.sessions() as s:
        assert (await s.get(Account, session["account"]["id"])).phone is None


async def test_an_sms_account_without_wechat_cannot_bind_through_wechat(wechat_identity):
    identity, wechat = wechat_identity
    pair = await identity.session_for(await identity.citizen(phone="13912340004"))
    assert_problem(
        await identity.client.post(
            f"{API}/wechat/phone", json={"code": wechat.phone_code("13912340005")}, headers=bearer(pair.access_token)
        ),
        409,
        "wechat_not_linked",
    )
