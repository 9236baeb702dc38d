"""One person, one account, across services: a request made from the mini-program is seen after an SMS login.

The identity service signs RS256 tokens; requests and notify trust only its key set (as `make run`
wires them). WeChat is a local server speaking its API; the SMS code is read from the
development outbox; the accounts' events cross the real broker.
"""

from __future__ import annotations

from datetime import date

from services.identity.app import create_app as identity_app
from services.identity.settings import IdentitySettings
from services.identity.tests.fake_wechat import FakeWechat
from services.identity.tests.test_sms_login import last_code, send
from services.notify.app import create_app as notify_app
from services.notify.settings import NotifySettings
from services.requests.service.agency_replica import on_agency_registered
from services.requests.settings import RequestsSettings
from shared.contracts.catalog import AgencyRegistered
from shared.db import new_id
from shared.events import Actor
from shared.testing import eventually, running_app, served, settings_for
from tests.helpers import requests_app

IDENTITY = "/api/v1/identity"
REQUESTS = "/api/v1/requests"
NOTIFY = "/api/v1/notify"
PHONE = "13912348888"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def trusting(identity: IdentitySettings, url: str) -> dict[str, str]:
    """What shared/devrun.py gives every other service: identity's JWKS, issuer and audience."""
    return {
        "jwt_algorithm": "RS256",
        "jwt_jwks_url": f"{url}/.well-known/jwks.json",
        "jwt_issuer": identity.issuer,
        "jwt_audience": identity.token_audience,
    }


async def _seed_agency(runtime) -> str:
    agency = new_id()
    event = AgencyRegistered(agency_id=agency, name="某某县民政局", kind="department")
    async with runtime.uow() as uow:
        await on_agency_registered(uow, event.envelope(source="catalog", aggregate_id=agency, actor=Actor.system("test")))
        await uow.commit()
    return agency


def _request(agency: str) -> dict:
    return {
        "agency_id": agency,
        "description": "请公开2025年度城乡低保资金发放情况",
        "preferred_form": "electronic",
        "applicant": {
            "type": "natural_person",
            "name": "张三",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "mobile": PHONE,
            "postal_address": "某某县人民路1号",
        },
    }


async def test_a_request_from_the_mini_program_is_seen_after_an_sms_login_by_the_same_phone(broker, databases, topic_prefix, tmp_path):
    wechat = FakeWechat()
    async with served(wechat.app()) as wechat_url:
        ids = settings_for(
            IdentitySettings,
            database_url=await databases.new("identity"),
            bootstrap=broker.bootstrap,
            prefix=topic_prefix,
            sms_outbox_path=str(tmp_path / "sms-outbox.jsonl"),
            wechat_appid=wechat.appid,
            wechat_secret=wechat.secret,
            wechat_api_base=wechat_url,
        )
        id_app = identity_app(ids)
        async with running_app(id_app) as identity, served(id_app, lifespan="off") as identity_url:
            rs = settings_for(
                RequestsSettings,
                database_url=await databases.new("requests"),
                bootstrap=broker.bootstrap,
                prefix=topic_prefix,
                storage_dir=str(tmp_path / "files"),
                run_scheduler=False,
                **trusting(ids, identity_url),
            )
            ns = settings_for(
                NotifySettings,
                database_url=await databases.new("notify"),
                bootstrap=broker.bootstrap,
                prefix=topic_prefix,
                dispatch_interval_seconds=0.2,
                **trusting(ids, identity_url),
            )
            req_app, note_app = requests_app(rs), notify_app(ns)
            async with running_app(req_app) as requests, running_app(note_app) as notify:
                req_app.state.today = lambda: date(2026, 9, 28)
                agency = await _seed_agency(req_app.state.runtime)
                harness = type("H", (), {"client": identity, "settings": ids})  # what the SMS helpers read

                # Years ago the person signed in on the county website by SMS.
                await send(harness, PHONE)
                web = (await identity.post(f"{IDENTITY}/sms/login", json={"phone": PHONE, "code": last_code(harness, PHONE)})).json()
                web_sub = web["account"]["id"]

                # Now they open the mini-program: a new account, and a request under it.
                login_code = wechat.login_code()
                mini = (await identity.post(f"{IDENTITY}/wechat/login", json={"code": login_code})).json()
                mini_sub = mini["account"]["id"]
                assert mini_sub != web_sub
                created = await requests.post(
                    f"{REQUESTS}/requests", params={"channel": "wechat"}, json=_request(agency), headers=bearer(mini["access_token"])
                )
                assert created.status_code == 201, created.text
                request_id = created.json()["id"]

                async def receipt_for(token: str):
                    return [m for m in (await notify.get(f"{NOTIFY}/inbox", headers=bearer(token))).json() if m["kind"] == "receipt"]

                await eventually(lambda: receipt_for(mini["access_token"]), timeout=60, message="receipt in the mini-program inbox")

                async def openid_of(token: str):
                    return (await notify.get(f"{NOTIFY}/preferences/me", headers=bearer(token))).json()["wechat_openid"]

                # Subscribe messages reach them without a manual binding.
                assert await eventually(
                    lambda: openid_of(mini["access_token"]), timeout=60, message="openid stored by notify"
                ) == wechat.openid_of(login_code)

                # They bind their phone in the mini-program: it is the website account's phone, so the two become one.
                bound = await identity.post(
                    f"{IDENTITY}/wechat/phone", json={"code": wechat.phone_code(PHONE)}, headers=bearer(mini["access_token"])
                )
                assert bound.status_code == 200, bound.text
                assert bound.json()["account"]["id"] == web_sub

                # An SMS login by the same phone sees the request made in the mini-program.
                id_app.state.limiter.__init__("memory://")  # past the per-minute limit of a resend
                await send(harness, PHONE)
                again = (await identity.post(f"{IDENTITY}/sms/login", json={"phone": PHONE, "code": last_code(harness, PHONE)})).json()
                assert again["account"]["id"] == web_sub

                async def mine():
                    body = (await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(again["access_token"]))).json()
                    return [r["id"] for r in body["items"]]

                assert await eventually(mine, timeout=60, message="the request under the surviving account") == [request_id]
                detail = await requests.get(f"{REQUESTS}/requests/{request_id}", headers=bearer(again["access_token"]))
                assert detail.status_code == 200, detail.text

                # Notify followed too: the receipt and the WeChat recipient now belong to the surviving account.
                await eventually(lambda: receipt_for(again["access_token"]), timeout=60, message="receipt moved to the surviving inbox")
                assert await eventually(lambda: openid_of(again["access_token"]), timeout=60) == wechat.openid_of(login_code)

                # The old mini-program access token, valid a few minutes more, acts as the surviving account.
                async def old_token_sees():
                    body = (await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(mini["access_token"]))).json()
                    return [r["id"] for r in body["items"]] or None  # the replica's alias map catches up within seconds

                assert await eventually(old_token_sees, timeout=30, message="the old token acting as the survivor") == [request_id]
