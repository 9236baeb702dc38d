"""Officers' single sign-on through the workbench's pages: the county's OpenID Connect provider (a local stand-in that
speaks the real protocol: discovery, authorization code with PKCE, token endpoint, JWKS) vouches for the officer, whose
roles and agency come from its claims; a callback this browser did not start (an attacker's own code and state: login
CSRF), a replayed, forged or tampered one, and a provider user without a platform role or disabled here get the
workbench's Chinese message and no session.

Browser module: no async tests here (see conftest). The module starts a system of its own (`make run` with identity
trusting the stand-in and the workbench offering its button); the stand-in runs in a thread of this process, so each
test says who signs in there next.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import httpx
import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from services.identity.tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, keycloak_claims
from shared.testing import free_port
from tests.web.a11y import assert_accessible, assert_accessible_in_every_mode
from tests.web.citizen import as_person_from_own_address, seed_agency
from tests.web.conftest import Site, running_site
from tests.web.office import seed_officer

PROVIDER = "county-keycloak"
BUTTON = "使用全县统一身份认证登录"
AGENCY = "某某县民政局"
CALLBACK = f"/office/sso/{PROVIDER}/callback"
NO_ROLE = "您在单点登录系统中没有本平台的角色或所属机关，请联系系统管理员"
DISABLED = "该工作人员已停用，请联系本单位系统管理员"
CODE_REJECTED = "单点登录系统未接受本次登录，请重新登录"
NOT_STARTED_HERE = "本次单点登录不是在此浏览器中发起的"
# Rewrites of the provider's redirect back to the workbench (query parameter -> value), for the tests that tamper with it.
ON_THE_WAY_BACK: dict[str, str] = {}


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest keeps its signals


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    """The county's provider on a loopback port, in a thread with a loop of its own (Playwright's may be this thread's)."""
    fake = FakeProvider()
    port = free_port()
    fake.base = f"http://127.0.0.1:{port}"
    app = fake.app()

    @app.middleware("http")
    async def on_the_way_back(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        back = urlsplit(response.headers.get("location", ""))
        if ON_THE_WAY_BACK and back.path == CALLBACK:
            response.headers["location"] = back._replace(query=urlencode({**dict(parse_qsl(back.query)), **ON_THE_WAY_BACK})).geturl()
        return response

    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the stand-in provider did not start"
        time.sleep(0.02)
    yield fake
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory, provider) -> Iterator[Site]:
    """This module's own system: identity trusts the provider (Keycloak-style roles mapped, agency from a claim)."""
    trusted = {
        "name": PROVIDER,
        "issuer": provider.issuer("keycloak"),
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "roles_claim": "realm_access.roles",
        "role_map": {"gk-handler": "handler", "gk-head": "head"},
        "agency_claim": "agency_id",
    }
    env = {"IDENTITY_OIDC_PROVIDERS": json.dumps([trusted]), "WEB_OFFICE_SSO": json.dumps({PROVIDER: BUTTON}, ensure_ascii=False)}
    with running_site(tmp_path_factory, env) as running:
        yield running


@pytest.fixture(scope="module")
def agency(site) -> str:
    """An agency of this system that identity knows (seeding an officer there waits until catalog's event reached it)."""
    agency_id = seed_agency(site, AGENCY)
    seed_officer(site, "赵负责", agency_id, ["head"])
    return agency_id


def _next_user(provider: FakeProvider, sub: str, roles: list[str], agency: str, name: str) -> None:
    claims = keycloak_claims(sub, roles, agency=agency, name=name)
    claims["email"] = f"{sub}@county.gov.cn"
    provider.user["keycloak"] = claims


def _sso(page: Any) -> None:
    """On the workbench's sign-in page, the county's button; the provider sends the browser back to the workbench."""
    page.goto("/office/signin")
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url(lambda url: urlsplit(url).path in ("/office/", CALLBACK))


def _refused_with(page: Any, message: str, *, accessible: bool = False) -> None:
    assert urlsplit(page.url).path == CALLBACK
    assert page.title().startswith("错误：")
    assert message in page.locator("#form-error").inner_text()
    assert page.get_by_role("button", name="登录").is_visible()  # the local sign-in form, to try again
    if accessible:
        assert_accessible(page, f"{CALLBACK} refused: {message}")
    page.goto("/office/")
    assert urlsplit(page.url).path == "/office/signin", "a refused sign-in left a usable session"


def test_an_officer_signs_in_through_the_county_provider_with_the_roles_and_agency_it_gives(page, site, provider, agency):
    as_person_from_own_address(page)
    _next_user(provider, "kc-zhang", ["gk-handler"], agency, "张承办")
    page.goto("/office/signin")
    sso_box = page.get_by_role("region", name="单点登录")
    assert sso_box.get_by_role("link", name=BUTTON).get_attribute("href") == f"/office/sso/{PROVIDER}"
    assert_accessible_in_every_mode(page, "/office/signin")
    hops: list[str] = []
    page.on("request", lambda r: hops.append(r.url) if r.is_navigation_request() else None)
    _sso(page)
    assert urlsplit(page.url).path == "/office/"
    at_provider = next(u for u in hops if u.startswith(provider.issuer("keycloak")))
    q = parse_qs(urlsplit(at_provider).query)
    assert q["code_challenge_method"] == ["S256"] and q["redirect_uri"] == [site.url + CALLBACK]
    assert any(urlsplit(u).path == CALLBACK for u in hops)
    assert "张承办（某某县民政局）" in page.locator(".office-who").inner_text()
    assert "您的角色：承办人，所在机关：某某县民政局" in page.get_by_role("main").inner_text()
    assert_accessible(page, "/office/ after single sign-on")
    page.get_by_role("navigation", name="工作台导航").get_by_role("link", name="依申请公开").click()
    page.wait_for_url("**/office/requests")
    assert page.get_by_role("heading", level=1).inner_text() == "依申请公开办理队列"
    assert_accessible(page, "/office/requests after single sign-on")
    # Promoted at the provider: the next sign-in carries it to the same officer, and single sign-on
    # returns to the page the officer was asked to sign in for.
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/office/signin")
    _next_user(provider, "kc-zhang", ["gk-head"], agency, "张承办")
    page.goto("/office/requests")
    assert urlsplit(page.url).path == "/office/signin"
    page.get_by_role("link", name=BUTTON).click()
    page.wait_for_url("**/office/requests")
    assert page.get_by_role("heading", level=1).inner_text() == "依申请公开办理队列"
    page.goto("/office/")
    assert "您的角色：负责人，所在机关：某某县民政局" in page.get_by_role("main").inner_text()


def _callback_started_elsewhere(site: Site) -> str:
    """What an attacker holds: a sign-in started in their own client with their own provider account, stopped before
    the way back, so its code and state are unspent."""
    with httpx.Client(timeout=10) as attacker:
        to_provider = attacker.get(f"{site.url}/office/sso/{PROVIDER}")
        assert to_provider.status_code == 302, to_provider.text
        back = attacker.get(to_provider.headers["location"])
        assert back.status_code == 302, back.text
    assert urlsplit(back.headers["location"]).path == CALLBACK
    return back.headers["location"]


def test_a_callback_from_elsewhere_replayed_forged_or_tampered_gets_the_message_and_no_session(page, phone_page, site, provider, agency):
    as_person_from_own_address(page)
    as_person_from_own_address(phone_page)
    # Login CSRF: the attacker's own unspent code and state, opened in an officer's browser, must not sign it in as them.
    _next_user(provider, "kc-qian", ["gk-handler"], agency, "钱冒名")
    lure = _callback_started_elsewhere(site)
    phone_page.goto(lure)
    _refused_with(phone_page, NOT_STARTED_HERE)
    assert_accessible_in_every_mode(phone_page, lure)
    # An officer's callback, replayed (spent by the first use) in another browser and in the same one.
    _next_user(provider, "kc-wang", ["gk-handler"], agency, "王承办")
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if urlsplit(r.url).path == CALLBACK else None)
    _sso(page)
    assert urlsplit(page.url).path == "/office/" and len(callbacks) == 1
    phone_page.goto(callbacks[0])
    _refused_with(phone_page, NOT_STARTED_HERE)
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/office/signin")
    page.goto(callbacks[0])
    _refused_with(page, NOT_STARTED_HERE)
    # The provider's answer changed on the way back: a forged state, then a code that is not the one issued.
    for param, value, message in (("state", "forged-" + "x" * 36, NOT_STARTED_HERE), ("code", "tampered-code", CODE_REJECTED)):
        ON_THE_WAY_BACK[param] = value
        try:
            _sso(page)
        finally:
            ON_THE_WAY_BACK.clear()
        _refused_with(page, message)
    assert provider.token_refusals[-1] == "invalid_grant"
    # The provider said no (the person cancelled there).
    page.goto(f"{CALLBACK}?error=access_denied&state=whatever")
    _refused_with(page, "单点登录未完成")


def test_a_provider_user_without_a_platform_role_or_disabled_here_is_refused(page, site, provider, agency):
    as_person_from_own_address(page)
    _next_user(provider, "kc-li", ["offline_access-only"], agency, "李无权")
    _sso(page)
    _refused_with(page, NO_ROLE, accessible=True)
    # Known to the provider with a role, but disabled by an admin here: the provider's word does not bring them back.
    _next_user(provider, "kc-sun", ["gk-handler"], agency, "孙承办")
    _sso(page)
    assert urlsplit(page.url).path == "/office/"
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/office/signin")
    admin = site.token("admin")
    officers = httpx.get(f"{site.api('identity')}/officers", params={"agency_id": agency, "page_size": 100}, headers=admin, timeout=10)
    sun = next(o for o in officers.json()["items"] if o["name"] == "孙承办")
    resp = httpx.post(f"{site.api('identity')}/officers/{sun['id']}/disable", headers=admin, timeout=10)
    assert resp.status_code == 200, resp.text
    _sso(page)
    _refused_with(page, DISABLED, accessible=True)
