"""Authentication and role checks, exercised through a real catalog app.

POST /api/v1/catalog/agencies is admin-only: every way of failing to be an admin must
answer with a problem+json 401/403 carrying a stable code, and an admin must get 201.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from pydantic import ValidationError

from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.settings import DEV_JWT_SECRET
from shared.testing import assert_problem, auth, running_app, settings_for, token

AGENCIES = "/api/v1/catalog/agencies"


# -- helpers --------------------------------------------------------------------------------


def agency_body() -> dict[str, Any]:
    return {"name": f"测试县交通运输局-{uuid.uuid4().hex[:6]}", "kind": "department"}


def claims(role: str = "admin", *, ttl: int = 600, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": f"{role}-rs", "roles": [role], "iat": now, "exp": now + ttl, **extra}


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@contextlib.asynccontextmanager
async def catalog(databases, broker, topic_prefix, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, CatalogSettings]]:
    settings = settings_for(
        CatalogSettings, database_url=await databases.new("catalog"), bootstrap=broker.bootstrap, prefix=topic_prefix, **overrides
    )
    async with running_app(create_app(settings)) as client:
        yield client, settings


@pytest.fixture
async def app(databases, broker, topic_prefix) -> AsyncIterator[tuple[httpx.AsyncClient, CatalogSettings]]:
    async with catalog(databases, broker, topic_prefix) as pair:
        yield pair


@contextlib.contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 serving `document` at /jwks.json; yields (url, requested paths)."""
    requested: list[str] = []
    payload = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            requested.append(self.path)
            if self.path != "/jwks.json":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# -- HS256 (the dev/test configuration) -------------------------------------------------------


async def test_creating_an_agency_without_authorization_header_is_401_token_missing(app):
    client, _ = app
    resp = await client.post(AGENCIES, json=agency_body())
    assert_problem(resp, 401, "token_missing")


async def test_a_non_bearer_authorization_scheme_is_401(app):
    client, _ = app
    resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert_problem(resp, 401)


async def test_an_expired_token_is_401_token_expired(app):
    client, settings = app
    expired = token(settings, "admin", ttl_seconds=-3600)
    resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {expired}"})
    assert_problem(resp, 401, "token_expired")


async def test_a_token_signed_with_another_secret_is_401_token_invalid(app):
    client, _ = app
    forged = jwt.encode(claims("admin"), "some-other-secret-of-sufficient-length-0123", algorithm="HS256")
    resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {forged}"})
    assert_problem(resp, 401, "token_invalid")


async def test_an_unsigned_alg_none_token_is_401(app):
    client, _ = app
    unsigned = jwt.encode(claims("admin"), None, algorithm="none")
    resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {unsigned}"})
    assert_problem(resp, 401, "token_invalid")


@pytest.mark.parametrize("garbage", ["garbage", "not.a.jwt", "eyJhbGciOiJIUzI1NiJ9.e30.", "a" * 500])
async def test_a_garbage_token_is_401(app, garbage):
    client, _ = app
    resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {garbage}"})
    assert_problem(resp, 401, "token_invalid")


async def test_a_token_without_exp_is_401(app):
    client, _ = app
    no_exp = jwt.encode({"sub": "admin-1", "roles": ["admin"]}, DEV_JWT_SECRET, algorithm="HS256")
    resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {no_exp}"})
    assert_problem(resp, 401, "token_invalid")


@pytest.mark.parametrize("role", ["handler", "registrar", "reviewer", "head", "supervisor"])
async def test_an_officer_token_without_agency_id_is_401(app, role):
    client, settings = app
    resp = await client.post(AGENCIES, json=agency_body(), headers=auth(settings, role))
    assert_problem(resp, 401, "token_invalid")


async def test_a_token_with_an_unknown_role_is_401(app):
    client, settings = app
    resp = await client.post(AGENCIES, json=agency_body(), headers=auth(settings, "emperor"))
    assert_problem(resp, 401, "token_invalid")


@pytest.mark.parametrize(("role", "agency_id"), [("applicant", None), ("handler", "agency-1"), ("supervisor", "agency-1")])
async def test_a_valid_non_admin_token_is_403_forbidden_role(app, role, agency_id):
    client, settings = app
    resp = await client.post(AGENCIES, json=agency_body(), headers=auth(settings, role, agency_id=agency_id))
    body = assert_problem(resp, 403, "forbidden_role")
    assert "admin" in body["detail"]
    assert "www-authenticate" not in resp.headers


async def test_an_admin_creates_an_agency_201(app):
    client, settings = app
    body = agency_body()
    resp = await client.post(AGENCIES, json=body, headers=auth(settings, "admin"))
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["name"] == body["name"]
    assert created["kind"] == "department"
    assert resp.headers["location"].endswith(f"{AGENCIES}/{created['id']}")
    # and it is really there
    fetched = await client.get(f"{AGENCIES}/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["name"] == body["name"]


async def test_rejected_callers_leave_no_agency_behind(app):
    client, settings = app
    body = agency_body()
    for headers in ({}, auth(settings, "applicant"), {"Authorization": "Bearer garbage"}):
        resp = await client.post(AGENCIES, json=body, headers=headers)
        assert resp.status_code in (401, 403)
    listing = await client.get(AGENCIES)
    assert listing.status_code == 200
    assert listing.json() == []


# -- RS256 with a PEM public key ---------------------------------------------------------------


async def test_rs256_accepts_a_token_signed_with_the_configured_key_and_rejects_another_key(databases, broker, topic_prefix):
    trusted, stranger = rsa_key(), rsa_key()
    async with catalog(databases, broker, topic_prefix, jwt_algorithm="RS256", jwt_public_key=public_pem(trusted)) as (client, _):
        good = jwt.encode(claims("admin"), trusted, algorithm="RS256")
        resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {good}"})
        assert resp.status_code == 201, resp.text

        bad = jwt.encode(claims("admin"), stranger, algorithm="RS256")
        resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {bad}"})
        assert_problem(resp, 401, "token_invalid")

        # The dev HS256 token is no longer accepted once RS256 is configured.
        hs = jwt.encode(claims("admin"), DEV_JWT_SECRET, algorithm="HS256")
        resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {hs}"})
        assert_problem(resp, 401, "token_invalid")

        expired = jwt.encode(claims("admin", ttl=-3600), trusted, algorithm="RS256")
        resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {expired}"})
        assert_problem(resp, 401, "token_expired")


async def test_rs256_checks_issuer_and_audience_when_configured(databases, broker, topic_prefix):
    key = rsa_key()
    async with catalog(
        databases,
        broker,
        topic_prefix,
        jwt_algorithm="RS256",
        jwt_public_key=public_pem(key),
        jwt_issuer="https://idp.example.gov.cn",
        jwt_audience="gov-disclosure",
    ) as (client, _):
        right = jwt.encode(claims("admin", iss="https://idp.example.gov.cn", aud="gov-disclosure"), key, algorithm="RS256")
        resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {right}"})
        assert resp.status_code == 201, resp.text

        wrong_aud = jwt.encode(claims("admin", iss="https://idp.example.gov.cn", aud="someone-else"), key, algorithm="RS256")
        resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {wrong_aud}"})
        assert_problem(resp, 401, "token_invalid")

        wrong_iss = jwt.encode(claims("admin", iss="https://evil.example", aud="gov-disclosure"), key, algorithm="RS256")
        resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {wrong_iss}"})
        assert_problem(resp, 401, "token_invalid")


# -- RS256 with a JWKS URL ---------------------------------------------------------------------


async def test_jwks_url_verifies_a_token_by_its_kid(databases, broker, topic_prefix):
    key, stranger = rsa_key(), rsa_key()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "county-idp-2024", "use": "sig", "alg": "RS256"})
    with jwks_server({"keys": [jwk]}) as (url, requested):
        async with catalog(databases, broker, topic_prefix, jwt_algorithm="RS256", jwt_jwks_url=url) as (client, _):
            good = jwt.encode(claims("admin"), key, algorithm="RS256", headers={"kid": "county-idp-2024"})
            resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {good}"})
            assert resp.status_code == 201, resp.text
            assert "/jwks.json" in requested

            # Right kid, wrong key: the signature does not verify.
            forged = jwt.encode(claims("admin"), stranger, algorithm="RS256", headers={"kid": "county-idp-2024"})
            resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {forged}"})
            assert_problem(resp, 401, "token_invalid")

            # A kid the JWKS does not publish.
            unknown = jwt.encode(claims("admin"), key, algorithm="RS256", headers={"kid": "no-such-kid"})
            resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {unknown}"})
            assert_problem(resp, 401, "token_invalid")

            # Roles are still enforced for JWKS-verified callers.
            applicant = jwt.encode(claims("applicant"), key, algorithm="RS256", headers={"kid": "county-idp-2024"})
            resp = await client.post(AGENCIES, json=agency_body(), headers={"Authorization": f"Bearer {applicant}"})
            assert_problem(resp, 403, "forbidden_role")


# -- settings guard ---------------------------------------------------------------------------


def test_production_settings_with_the_dev_secret_are_refused():
    with pytest.raises(ValidationError):
        CatalogSettings(environment="production")
    with pytest.raises(ValidationError):
        CatalogSettings(environment="production", jwt_secret=DEV_JWT_SECRET)


def test_production_rs256_without_a_key_or_jwks_is_refused():
    with pytest.raises(ValidationError):
        CatalogSettings(environment="production", jwt_algorithm="RS256")


def test_production_settings_with_a_real_key_are_accepted():
    s = CatalogSettings(environment="production", jwt_algorithm="RS256", jwt_public_key=public_pem(rsa_key()))
    assert s.environment == "production"
    s = CatalogSettings(environment="production", jwt_secret="a-real-production-secret-from-the-vault-0123")
    assert s.jwt_secret.get_secret_value() != DEV_JWT_SECRET
