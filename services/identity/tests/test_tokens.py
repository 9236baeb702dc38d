"""Tokens: the key set other services verify against, refresh rotation, logout, key rotation, disabled officers."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select, update

from services.identity.adapters.orm import Account, Officer, OfficerRole, SigningKey
from services.identity.service.sessions import Grant, access_claims
from services.identity.tests.conftest import API
from services.requests.adapters.orm import Attachment, DisclosureRequest
from services.requests.app import create_app as create_requests_app
from services.requests.settings import RequestsSettings
from services.requests.tests.conftest import request_body
from shared.db import create_engine, utcnow
from shared.testing import assert_problem, running_app, served, settings_for, token

REQUESTS = "/api/v1/requests"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def test_key_set_and_discovery_describe_the_signing_key(identity):
    pair = await identity.session_for(await identity.citizen("13800000001"))
    keys = (await identity.client.get("/.well-known/jwks.json")).json()["keys"]
    kid = jwt.get_unverified_header(pair.access_token)["kid"]
    assert [k["kid"] for k in keys] == [kid]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and "d" not in keys[0]  # public half only
    discovery = (await identity.client.get("/.well-known/openid-configuration")).json()
    assert discovery["issuer"] == identity.settings.issuer
    assert discovery["jwks_uri"].endswith("/.well-known/jwks.json")
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    assert claims["sub"] == pair.grant.sub and claims["roles"] == ["applicant"]
    assert claims["exp"] - claims["iat"] == identity.settings.access_token_ttl_seconds
    assert "13800000001" not in json.dumps(claims)  # sub is an internal id, never the phone


async def test_signing_keys_are_encrypted_at_rest(identity):
    async with identity.runtime.sessions() as s:
        row = (await s.execute(SigningKey.__table__.select())).first()
    assert row is not None and "PRIVATE KEY" not in row.private_key and row.private_key.startswith("v1.")


async def test_refresh_rotates_and_reuse_revokes_the_family(identity):
    first = await identity.session_for(await identity.citizen("13800000002"))
    resp = await identity.client.post(f"{API}/token/refresh", json={"refresh_token": first.refresh_token})
    assert resp.status_code == 200, resp.text
    second = resp.json()
    assert second["refresh_token"] != first.refresh_token and second["account"]["id"] == first.grant.sub
    # The spent token again: someone replayed it. Both it and its successor stop working.
    assert_problem(await identity.client.post(f"{API}/token/refresh", json={"refresh_token": first.refresh_token}), 401, "refresh_reused")
    assert_problem(
        await identity.client.post(f"{API}/token/refresh", json={"refresh_token": second["refresh_token"]}), 401, "refresh_revoked"
    )


async def test_logout_revokes_the_session(identity):
    pair = await identity.session_for(await identity.citizen())
    assert (await identity.client.post(f"{API}/logout", json={"refresh_token": pair.refresh_token})).status_code == 204
    assert_problem(await identity.client.post(f"{API}/token/refresh", json={"refresh_token": pair.refresh_token}), 401, "refresh_revoked")


async def test_unknown_refresh_token_is_refused(identity):
    assert_problem(await identity.client.post(f"{API}/token/refresh", json={"refresh_token": "x" * 43}), 401, "refresh_invalid")
    assert_problem(await identity.client.post(f"{API}/token/refresh", json={"refresh_token": 12}), 422)


async def test_disabled_officer_cannot_refresh(identity):
    async with identity.runtime.uow() as uow:
        account = Account(kind="officer", status="active")
        uow.session.add(account)
        await uow.session.flush()
        uow.session.add_all(
            [
                Officer(account_id=account.id, name="王科员", status="active"),
                OfficerRole(account_id=account.id, agency_id="agency-a", role="handler"),
            ]
        )
        await uow.commit()
    pair = await identity.session_for(account, methods="pwd")
    assert pair.grant.roles == ["handler"] and pair.grant.agency_id == "agency-a"
    async with identity.runtime.uow() as uow:
        await uow.session.execute(update(Officer).where(Officer.account_id == account.id).values(status="disabled"))
        await uow.commit()
    assert_problem(await identity.client.post(f"{API}/token/refresh", json={"refresh_token": pair.refresh_token}), 403, "account_disabled")


@pytest.fixture
async def identity_and_requests(identity, broker, databases, topic_prefix, tmp_path):
    """The identity service on a real port, and a requests app that trusts only its key set."""
    async with served(identity.app, lifespan="off") as url:
        settings = settings_for(
            RequestsSettings,
            database_url=await databases.new("requests"),
            bootstrap=broker.bootstrap,
            prefix=topic_prefix,
            storage_dir=str(tmp_path / "files"),
            run_scheduler=False,
            run_consumers=False,
            jwt_algorithm="RS256",
            jwt_jwks_url=f"{url}/.well-known/jwks.json",
            jwt_issuer=identity.settings.issuer,
            jwt_audience=identity.settings.token_audience,
        )
        app = create_requests_app(settings)
        async with running_app(app) as client:
            yield identity, client, settings


async def test_requests_service_accepts_identity_tokens_and_nothing_else(identity_and_requests):
    identity, requests, settings = identity_and_requests
    pair = await identity.session_for(await identity.citizen("13800000003"))
    assert (await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(pair.access_token))).status_code == 200
    # The published development secret no longer opens it.
    dev = token(settings, "applicant", sub="applicant-dev")
    assert_problem(await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(dev)), 401, "token_invalid")
    # Tampered claims under the real signature.
    head, body, sig = pair.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["roles"] = ["admin"]
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert_problem(await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(f"{head}.{forged_body}.{sig}")), 401, "token_invalid")
    # A foreign key claiming the real kid.
    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kid = jwt.get_unverified_header(pair.access_token)["kid"]
    forged = jwt.encode(claims, foreign, algorithm="RS256", headers={"kid": kid})
    assert_problem(await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(forged)), 401, "token_invalid")
    # Nothing is stored on their word: a submission or an upload under any of them leaves no row.
    for bad in (dev, f"{head}.{forged_body}.{sig}", forged):
        assert_problem(await requests.post(f"{REQUESTS}/requests", json=request_body("any-agency"), headers=bearer(bad)), 401)
        assert_problem(
            await requests.post(
                f"{REQUESTS}/attachments", files={"file": ("a.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}, headers=bearer(bad)
            ),
            401,
        )
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            for model in (DisclosureRequest, Attachment):
                assert (await conn.execute(select(func.count()).select_from(model))).scalar_one() == 0
    finally:
        await engine.dispose()


async def test_token_of_a_retired_key_verifies_until_it_expires_not_after(identity_and_requests):
    identity, requests, _ = identity_and_requests
    ring = identity.app.state.keyring
    old = await identity.session_for(await identity.citizen("13800000004"))
    old_kid = jwt.get_unverified_header(old.access_token)["kid"]
    grant = Grant(old.grant.sub, "citizen", ["applicant"], None, None)
    expired_claims = access_claims(identity.settings, grant, "sms") | {"exp": int(time.time()) - 120}
    expired = ring.sign(expired_claims)  # signed by the same (still active) key, already past its exp
    async with identity.runtime.uow() as uow:
        new_kid = await ring.rotate(uow)
        await uow.commit()
        await ring.load(uow)
    assert new_kid != old_kid
    assert {k["kid"] for k in ring.jwks()["keys"]} == {old_kid, new_kid}
    fresh = await identity.session_for(await identity.citizen("13800000005"))
    assert jwt.get_unverified_header(fresh.access_token)["kid"] == new_kid
    for access in (old.access_token, fresh.access_token):  # the verifier fetches the new kid by itself
        assert (await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(access))).status_code == 200
    assert_problem(await requests.get(f"{REQUESTS}/requests/mine", headers=bearer(expired)), 401, "token_expired")
    # Once every token of the old key has expired, the key leaves the set and its signature means nothing.
    async with identity.runtime.uow() as uow:
        await uow.session.execute(
            update(SigningKey).where(SigningKey.kid == old_kid).values(retired_at=utcnow() - ring.publish_window - timedelta(seconds=1))
        )
        await uow.commit()
        await ring.load(uow)
    assert [k["kid"] for k in ring.jwks()["keys"]] == [new_kid]
    assert_problem(await identity.client.get(f"{API}/me", headers=bearer(old.access_token)), 401, "token_invalid")
