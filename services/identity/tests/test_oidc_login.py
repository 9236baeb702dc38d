"""Officers' single sign-on against a local OpenID Connect provider (Keycloak- and Casdoor-shaped)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select, update

from services.identity.adapters.orm import Account, KnownAgency, Officer, OfficerRole, OidcLink, OidcLoginState, RefreshToken, plumbing
from services.identity.app import create_app
from services.identity.settings import OidcProvider
from services.identity.tests.conftest import API, IdentityHarness, identity_settings
from services.identity.tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, casdoor_claims, keycloak_claims
from shared.testing import assert_problem, running_app, served

WEB_CALLBACK = "https://gk.county.gov.cn/officer/login/callback"


@pytest.fixture
async def sso(broker, databases, topic_prefix, tmp_path):
    fake = FakeProvider()
    async with served(fake.app()) as base:
        fake.base = base
        kc, cd = fake.issuer("keycloak"), fake.issuer("casdoor")
        providers = [
            OidcProvider(
                name="county-keycloak",
                issuer=kc,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                roles_claim="realm_access.roles",
                role_map={"gk-handler": "handler", "gk-head": "head"},
                agency_claim="agency_id",
            ),
            OidcProvider(
                name="county-casdoor",
                issuer=cd,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                roles_claim="roles",
                role_map={"承办人": "handler", "保密审查": "reviewer"},
                agency_claim="owner",
            ),
            OidcProvider(name="county-directory", issuer=kc, client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
            OidcProvider(name="county-bad-secret", issuer=kc, client_id=CLIENT_ID, client_secret="not-the-secret"),
        ]
        settings = identity_settings(
            broker, await databases.new("identity"), topic_prefix, sms_outbox_path=str(tmp_path / "sms.jsonl"), oidc_providers=providers
        )
        app = create_app(settings)
        async with running_app(app) as client:
            harness = IdentityHarness(client, app, settings)
            async with harness.runtime.uow() as uow:
                uow.session.add(KnownAgency(id="county", name="某某县人民政府"))
                await uow.commit()
            yield harness, fake


async def authorize(identity, provider: str) -> str:
    resp = await identity.client.get(f"{API}/oidc/{provider}/authorize", params={"redirect_uri": WEB_CALLBACK})
    assert resp.status_code == 302, resp.text
    return resp.headers["location"]


async def sign_in_at_provider(location: str) -> dict[str, str]:
    """The browser at the provider: it signs the user in and sends them back with code and state."""
    async with httpx.AsyncClient() as browser:
        resp = await browser.get(location)
    assert resp.status_code == 302, resp.text
    back = resp.headers["location"]
    assert back.startswith(WEB_CALLBACK + "?")
    q = parse_qs(urlsplit(back).query)
    return {"code": q["code"][0], "state": q["state"][0]}


async def callback(identity, provider: str, params: dict[str, str]) -> httpx.Response:
    return await identity.client.post(f"{API}/oidc/{provider}/callback", json=params)


async def full_login(identity, provider: str) -> httpx.Response:
    return await callback(identity, provider, await sign_in_at_provider(await authorize(identity, provider)))


async def count(identity, model) -> int:
    async with identity.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(model))).scalar_one()


async def nothing_made(identity) -> None:
    for model in (Account, Officer, OidcLink, RefreshToken):
        assert await count(identity, model) == 0, model


async def test_keycloak_roles_and_agency_make_the_officer(sso):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-1", ["gk-handler"])
    location = await authorize(identity, "county-keycloak")
    q = parse_qs(urlsplit(location).query)
    assert location.startswith(fake.issuer("keycloak") + "/protocol/openid-connect/auth?")
    assert q["code_challenge_method"] == ["S256"] and q["client_id"] == [CLIENT_ID] and q["nonce"][0]
    async with identity.runtime.sessions() as s:
        row = (await s.execute(select(OidcLoginState))).scalar_one()
    assert row.code_verifier not in location and row.state == q["state"][0]
    resp = await callback(identity, "county-keycloak", await sign_in_at_provider(location))
    assert resp.status_code == 200, resp.text
    account = resp.json()["account"]
    assert account["roles"] == ["handler"] and account["agency_id"] == "county" and account["name"] == "张承办"
    me = await identity.client.get(f"{API}/me", headers={"Authorization": f"Bearer {resp.json()['access_token']}"})
    assert me.json()["roles"] == ["handler"] and me.json()["kind"] == "officer"
    async with identity.runtime.sessions() as s:
        link = (await s.execute(select(OidcLink))).scalar_one()
        assert (link.issuer, link.subject, link.account_id) == (fake.issuer("keycloak"), "kc-user-1", account["id"])
        officer = await s.get(Officer, account["id"])
        assert officer.email == "zhang@county.gov.cn"
        events = (await s.execute(select(plumbing.outbox.c.event_type))).scalars().all()
    assert "OfficerChanged" in events
    # Promoted in Keycloak: the next sign-in carries it over, to the same officer.
    fake.user["keycloak"] = keycloak_claims("kc-user-1", ["gk-head"])
    again = await full_login(identity, "county-keycloak")
    assert again.json()["account"]["id"] == account["id"] and again.json()["account"]["roles"] == ["head"]
    assert await count(identity, OfficerRole) == 1 and await count(identity, Officer) == 1
    assert fake.discovery_hits == 1  # the discovery document is cached


async def test_casdoor_role_objects_and_client_secret_post(sso):
    identity, fake = sso
    fake.user["casdoor"] = casdoor_claims("cd-user-1", ["保密审查", "普通用户"])
    resp = await full_login(identity, "county-casdoor")
    assert resp.status_code == 200, resp.text
    assert resp.json()["account"]["roles"] == ["reviewer"] and resp.json()["account"]["name"] == "李审查"


async def test_no_mapped_role_or_unknown_agency_is_refused(sso):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-2", ["something-else"])
    assert_problem(await full_login(identity, "county-keycloak"), 403, "oidc_no_roles")
    fake.user["keycloak"] = keycloak_claims("kc-user-2", ["gk-handler"], agency="nowhere")
    assert_problem(await full_login(identity, "county-keycloak"), 403, "oidc_agency_unknown")
    await nothing_made(identity)


async def test_a_wrong_verifier_is_refused_by_the_provider(sso):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-3", ["gk-handler"])
    params = await sign_in_at_provider(await authorize(identity, "county-keycloak"))
    async with identity.runtime.uow() as uow:
        await uow.session.execute(update(OidcLoginState).values(code_verifier="x" * 64))
        await uow.commit()
    problem = assert_problem(await callback(identity, "county-keycloak", params), 400, "oidc_code_rejected")
    assert problem.get("provider_error") == "invalid_grant" and fake.token_refusals == ["invalid_grant"]
    await nothing_made(identity)


async def test_wrong_client_credentials_are_refused_by_the_provider(sso):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-3", ["gk-handler"])
    assert_problem(await full_login(identity, "county-bad-secret"), 400, "oidc_code_rejected")
    assert fake.token_refusals == ["invalid_client"]
    await nothing_made(identity)


async def test_a_state_works_once_and_only_for_its_provider(sso):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-4", ["gk-handler"])
    params = await sign_in_at_provider(await authorize(identity, "county-keycloak"))
    assert_problem(await callback(identity, "county-casdoor", params), 400, "oidc_state_invalid")
    assert (await callback(identity, "county-keycloak", params)).status_code == 200
    assert_problem(await callback(identity, "county-keycloak", params), 400, "oidc_state_invalid")
    assert_problem(await callback(identity, "county-keycloak", {"code": "x", "state": "never-issued"}), 400, "oidc_state_invalid")
    assert await count(identity, RefreshToken) == 1


async def test_unknown_provider_is_404(sso):
    identity, _ = sso
    assert_problem(
        await identity.client.get(f"{API}/oidc/elsewhere/authorize", params={"redirect_uri": WEB_CALLBACK}), 404, "oidc_provider_unknown"
    )
    assert_problem(await callback(identity, "elsewhere", {"code": "x", "state": "y"}), 404, "oidc_provider_unknown")
    assert_problem(
        await identity.client.get(f"{API}/oidc/county-keycloak/authorize", params={"redirect_uri": "javascript:x"}),
        400,
        "redirect_uri_invalid",
    )
    assert await count(identity, OidcLoginState) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        {"nonce": "not-the-nonce"},
        {"aud": "another-client"},
        {"iss": "https://sso.elsewhere.example/realms/county"},
        {"azp": "another-client"},
        {"exp": 1_000_000_000},
        "forged-signature",
    ],
)
async def test_a_bad_id_token_is_refused(sso, tamper):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-5", ["gk-handler"])
    if tamper == "forged-signature":
        fake.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        fake.tamper = tamper
    assert_problem(await full_login(identity, "county-keycloak"), 401, "oidc_token_invalid")
    await nothing_made(identity)


async def test_directory_mode_needs_a_link_to_an_officer(sso):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-6", ["gk-handler"])  # the claims are ignored in this mode
    assert_problem(await full_login(identity, "county-directory"), 403, "oidc_not_linked")
    await nothing_made(identity)
    async with identity.runtime.uow() as uow:
        account = Account(kind="officer", display_name="王登记", status="active")
        uow.session.add(account)
        await uow.session.flush()
        uow.session.add(Officer(account_id=account.id, name="王登记"))
        await uow.session.flush()
        uow.session.add(OfficerRole(account_id=account.id, agency_id="county", role="registrar"))
        uow.session.add(OidcLink(issuer=fake.issuer("keycloak"), subject="kc-user-6", account_id=account.id))
        await uow.commit()
    resp = await full_login(identity, "county-directory")
    assert resp.status_code == 200, resp.text
    assert resp.json()["account"] == {"id": account.id, "kind": "officer", "roles": ["registrar"], "agency_id": "county", "name": "王登记"}
    async with identity.runtime.uow() as uow:
        await uow.session.execute(update(Officer).values(status="disabled"))
        await uow.commit()
    assert_problem(await full_login(identity, "county-directory"), 403, "account_disabled")


async def test_an_admin_links_a_directory_officer_to_the_providers_subject(sso):
    identity, fake = sso
    fake.user["keycloak"] = keycloak_claims("kc-user-9", ["gk-handler"])
    made = {}
    for key, name, role in (("handler", "李承办", "handler"), ("admin", "系统管理员", "admin")):
        async with identity.runtime.uow() as uow:
            made[key] = Account(kind="officer", display_name=name, status="active")
            uow.session.add(made[key])
            await uow.session.flush()
            uow.session.add(Officer(account_id=made[key].id, name=name))
            await uow.session.flush()
            uow.session.add(OfficerRole(account_id=made[key].id, agency_id="county", role=role))
            await uow.commit()
    account = made["handler"]
    admin = {"Authorization": f"Bearer {(await identity.session_for(made['admin'], agency_id='county')).access_token}"}
    url = f"{API}/officers/{account.id}/sso-links/county-directory"
    handler = await identity.session_for(account, agency_id="county")
    refused = await identity.client.put(url, json={"subject": "kc-user-9"}, headers={"Authorization": f"Bearer {handler.access_token}"})
    assert_problem(refused, 403)
    assert_problem(
        await identity.client.put(f"{API}/officers/{account.id}/sso-links/nowhere", json={"subject": "x"}, headers=admin),
        404,
        "oidc_provider_unknown",
    )
    assert (await identity.client.put(url, json={"subject": "kc-user-9"}, headers=admin)).status_code == 204
    resp = await full_login(identity, "county-directory")
    assert resp.status_code == 200, resp.text
    assert resp.json()["account"]["id"] == account.id and resp.json()["account"]["roles"] == ["handler"]
    assert (await identity.client.delete(url, headers=admin)).status_code == 204
    assert_problem(await full_login(identity, "county-directory"), 403, "oidc_not_linked")
    assert_problem(await identity.client.delete(url, headers=admin), 404, "sso_link_not_found")
