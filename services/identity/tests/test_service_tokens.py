"""Service tokens: the OAuth 2.0 client credentials grant (RFC 6749 §4.4) for the platform's other services."""

from __future__ import annotations

import base64
import re
from datetime import timedelta
from urllib.parse import quote_plus

import httpx
import jwt
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from services.identity.adapters.orm import Base
from services.identity.app import create_app
from services.identity.service.keys import VERIFIER_LEEWAY, KeyRing
from services.identity.settings import IdentitySettings
from services.identity.tests.conftest import API, IdentityHarness, identity_settings
from services.identity.tests.test_production_settings import PRODUCTION
from shared.auth import Role, TokenVerifier
from shared.testing import assert_problem, running_app, served

TOKEN = f"{API}/oauth/token"
# A secret with characters that client_secret_basic must form-urlencode (RFC 6749 §2.3.1).
NOTIFY_SECRET = "n0tify-secret:with+plus/and%percent-0123456789"
CLIENTS = {"notify": NOTIFY_SECRET, "audit": "audit-secret-0123456789-0123456789"}
GRANT = {"grant_type": "client_credentials"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def assert_invalid_client(resp: httpx.Response) -> None:
    """401 invalid_client as problem+json with the Basic challenge (shared.testing.assert_problem expects Bearer on a 401)."""
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.headers["www-authenticate"] == 'Basic realm="gov-disclosure"'
    body = resp.json()
    assert body["code"] == "invalid_client" and body["type"].endswith("/invalid_client") and body["status"] == 401
    assert body["detail"] == "客户端认证失败" and _CJK.search(body["detail"])
    assert "access_token" not in body


@pytest.fixture
async def clients_identity(broker, databases, topic_prefix, tmp_path):
    """The identity service with two service clients, served on a real port so its key set can be fetched."""
    settings = identity_settings(
        broker,
        await databases.new("identity"),
        topic_prefix,
        sms_outbox_path=str(tmp_path / "sms-outbox.jsonl"),
        service_clients=CLIENTS,
        service_token_ttl_seconds=120,
    )
    app = create_app(settings)
    async with running_app(app) as client, served(app, lifespan="off") as url:
        yield IdentityHarness(client, app, settings), url


def verifier_for(identity: IdentityHarness, url: str) -> TokenVerifier:
    """How another service verifies: RS256 through identity's JWKS, its issuer and audience."""
    settings = identity.settings.model_copy(
        update={
            "jwt_algorithm": "RS256",
            "jwt_jwks_url": f"{url}/.well-known/jwks.json",
            "jwt_issuer": identity.settings.issuer,
            "jwt_audience": identity.settings.token_audience,
        }
    )
    return TokenVerifier(settings)


@pytest.mark.parametrize("auth", ["client_secret_basic", "client_secret_post"])
async def test_client_credentials_give_a_service_token_every_service_verifies(clients_identity, auth):
    identity, url = clients_identity
    if auth == "client_secret_basic":
        resp = await identity.client.post(TOKEN, data=GRANT, headers=basic("notify", NOTIFY_SECRET))
    else:
        resp = await identity.client.post(TOKEN, data=GRANT | {"client_id": "notify", "client_secret": NOTIFY_SECRET})
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store" and resp.headers["pragma"] == "no-cache"
    body = resp.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # no refresh token
    assert body["token_type"] == "Bearer" and body["expires_in"] == identity.settings.service_token_ttl_seconds == 120

    principal = await verifier_for(identity, url).verify(body["access_token"])
    assert principal.sub == "service:notify" and principal.roles == frozenset({Role.service})
    assert principal.agency_id is None and not principal.is_officer

    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "RS256" and header["kid"] in {k["kid"] for k in identity.app.state.keyring.jwks()["keys"]}
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == identity.settings.issuer and claims["aud"] == identity.settings.token_audience
    assert claims["roles"] == ["service"] and claims["client_id"] == "notify" and claims["sub"] == "service:notify"
    assert claims["exp"] - claims["iat"] == identity.settings.service_token_ttl_seconds
    assert "agency_id" not in claims

    # Identity's own routes see the same caller.
    me = await identity.client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json() == {"id": "service:notify", "kind": "service", "roles": ["service"], "agency_id": None, "name": None}


async def test_each_client_gets_its_own_subject(clients_identity):
    identity, url = clients_identity
    resp = await identity.client.post(TOKEN, data=GRANT, headers=basic("audit", CLIENTS["audit"]))
    assert resp.status_code == 200, resp.text
    assert (await verifier_for(identity, url).verify(resp.json()["access_token"])).sub == "service:audit"


async def test_basic_with_the_client_id_repeated_in_the_body_is_accepted(clients_identity):
    identity, _ = clients_identity
    resp = await identity.client.post(TOKEN, data=GRANT | {"client_id": "notify"}, headers=basic("notify", NOTIFY_SECRET))
    assert resp.status_code == 200, resp.text


async def test_basic_as_common_http_clients_send_it_is_accepted_too(clients_identity):
    """RFC 6749 §2.3.1 form-urlencodes the secret inside Basic; httpx.BasicAuth (notify's client) sends it as it is."""
    identity, _ = clients_identity
    resp = await identity.client.post(TOKEN, data=GRANT, auth=httpx.BasicAuth("notify", NOTIFY_SECRET))
    assert resp.status_code == 200, resp.text
    assert jwt.decode(resp.json()["access_token"], options={"verify_signature": False})["sub"] == "service:notify"


# Each a failed client authentication: (what, form fields, headers).
REFUSED = [
    ("wrong secret, post", GRANT | {"client_id": "notify", "client_secret": NOTIFY_SECRET + "x"}, {}),
    ("wrong secret, basic", GRANT, basic("notify", "wrong")),
    ("another client's secret", GRANT, basic("notify", CLIENTS["audit"])),
    ("unknown client, post", GRANT | {"client_id": "requests", "client_secret": NOTIFY_SECRET}, {}),
    ("unknown client, basic", GRANT, basic("unknown", NOTIFY_SECRET)),
    ("no client authentication", GRANT, {}),
    ("client id without secret", GRANT | {"client_id": "notify"}, {}),
    ("empty secret", GRANT | {"client_id": "notify", "client_secret": ""}, {}),
    ("non-ASCII secret", GRANT | {"client_id": "notify", "client_secret": "密钥"}, {}),
    ("basic, not base64", GRANT, {"Authorization": "Basic not*base64"}),
    ("basic without a colon", GRANT, {"Authorization": "Basic " + base64.b64encode(b"notify").decode()}),
    ("basic, not UTF-8", GRANT, {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()}),
    ("basic, empty", GRANT, {"Authorization": "Basic "}),
    ("basic and another client id in the body", GRANT | {"client_id": "audit"}, basic("notify", NOTIFY_SECRET)),
    ("a bearer token is no client authentication", GRANT, {"Authorization": "Bearer something"}),
    ("basic, the secret with its '+' read as a space", GRANT, basic("notify", NOTIFY_SECRET.replace("+", " "))),
]


async def test_failed_client_authentication_is_invalid_client(clients_identity):
    identity, _ = clients_identity
    for what, data, headers in REFUSED:
        resp = await identity.client.post(TOKEN, data=data, headers=headers)
        try:
            assert_invalid_client(resp)
        except AssertionError as exc:
            raise AssertionError(f"{what}: {exc}") from exc


async def test_grant_type_must_be_client_credentials(clients_identity):
    identity, _ = clients_identity
    auth = basic("notify", NOTIFY_SECRET)
    for grant_type in ("password", "refresh_token", "authorization_code", "CLIENT_CREDENTIALS"):
        resp = await identity.client.post(TOKEN, data={"grant_type": grant_type}, headers=auth)
        assert_problem(resp, 400, "unsupported_grant_type")
    assert_problem(await identity.client.post(TOKEN, data={}, headers=auth), 400, "invalid_request")
    assert_problem(await identity.client.post(TOKEN, data={"grant_type": ""}, headers=auth), 400, "invalid_request")
    # A JSON body is not the form RFC 6749 asks for: no grant_type is read from it.
    assert_problem(await identity.client.post(TOKEN, json=GRANT, headers=auth), 400, "invalid_request")


async def test_two_authentication_methods_at_once_are_refused(clients_identity):
    identity, _ = clients_identity
    data = GRANT | {"client_id": "notify", "client_secret": NOTIFY_SECRET}
    assert_problem(await identity.client.post(TOKEN, data=data, headers=basic("notify", NOTIFY_SECRET)), 400, "invalid_request")


async def test_without_configured_clients_every_call_is_refused(identity):
    assert identity.settings.service_clients == {}
    for data, headers in (
        (GRANT | {"client_id": "notify", "client_secret": NOTIFY_SECRET}, {}),
        (GRANT, basic("notify", NOTIFY_SECRET)),
        (GRANT | {"client_id": "notify", "client_secret": ""}, {}),
        (GRANT, {}),
    ):
        assert_invalid_client(await identity.client.post(TOKEN, data=data, headers=headers))


async def _row_counts(identity: IdentityHarness) -> dict[str, int]:
    async with identity.runtime.sessions() as s:
        return {t.name: (await s.execute(select(func.count()).select_from(t))).scalar_one() for t in Base.metadata.sorted_tables}


async def test_nothing_is_stored(clients_identity):
    identity, _ = clients_identity
    before = await _row_counts(identity)
    for _ in range(3):
        assert (await identity.client.post(TOKEN, data=GRANT, headers=basic("notify", NOTIFY_SECRET))).status_code == 200
    assert_invalid_client(await identity.client.post(TOKEN, data=GRANT, headers=basic("notify", "wrong")))
    assert await _row_counts(identity) == before


def test_a_retired_key_stays_published_as_long_as_the_longest_token_it_signed():
    longer = IdentitySettings(access_token_ttl_seconds=600, service_token_ttl_seconds=1800)
    assert KeyRing(longer).publish_window == timedelta(seconds=1800) + VERIFIER_LEEWAY
    shorter = IdentitySettings(access_token_ttl_seconds=900, service_token_ttl_seconds=300)
    assert KeyRing(shorter).publish_window == timedelta(seconds=900) + VERIFIER_LEEWAY


# ---------------------------------------------------------------- settings


def test_clients_come_from_a_json_object_in_the_environment(monkeypatch):
    monkeypatch.setenv("IDENTITY_SERVICE_CLIENTS", '{"notify": "s3cret"}')
    settings = IdentitySettings()
    assert {k: v.get_secret_value() for k, v in settings.service_clients.items()} == {"notify": "s3cret"}
    assert "s3cret" not in repr(settings)
    assert IdentitySettings.model_fields["service_clients"].description
    assert settings.service_token_ttl_seconds == 300


@pytest.mark.parametrize("ttl", [59, 3601])
def test_service_token_ttl_is_bounded(ttl):
    with pytest.raises(ValidationError):
        IdentitySettings(service_token_ttl_seconds=ttl)


@pytest.mark.parametrize("clients", [{"no tify": "x" * 40}, {"notify:x": "x" * 40}, {"": "x" * 40}, {"n" * 65: "x" * 40}, {"notify": ""}])
def test_client_ids_are_plain_and_secrets_not_empty(clients):
    with pytest.raises(ValidationError, match="IDENTITY_SERVICE_CLIENTS"):
        IdentitySettings(service_clients=clients)


def test_production_accepts_long_secrets_and_refuses_a_short_one():
    ok = IdentitySettings(**(PRODUCTION | {"service_clients": {"notify": "x" * 32, "audit": "y" * 48}}))
    assert set(ok.service_clients) == {"notify", "audit"}
    with pytest.raises(ValidationError, match="至少 32 个字符") as refused:
        IdentitySettings(**(PRODUCTION | {"service_clients": {"notify": "x" * 48, "audit": "CHANGE-ME"}}))
    assert "audit" in str(refused.value) and "CHANGE-ME" not in str(refused.value)
    assert IdentitySettings(**PRODUCTION).service_clients == {}  # none configured: the grant is refused for everyone
