"""Officers' local accounts: argon2id passwords, lockout without enumeration, TOTP once, required for admins."""

from __future__ import annotations

import os
import subprocess
import sys

import pyotp
from sqlalchemy import func, select

from services.identity.adapters.orm import Account, LocalCredential, Officer, OfficerRole, RefreshToken
from services.identity.app import create_app
from services.identity.service.passwords import hash_password, new_totp_secret
from services.identity.tests.conftest import API, IdentityHarness, identity_settings
from shared.sealing import unseal
from shared.testing import REPO_ROOT, assert_problem, running_app

PASSWORD = "correct horse battery"


async def officer(identity, username: str, roles: list[str], *, agency: str = "county", totp: bool = False) -> str | None:
    """An officer with a local credential, straight in the database; returns the TOTP secret when given one."""
    secret = None
    async with identity.runtime.uow() as uow:
        account = Account(kind="officer", display_name=username, status="active")
        uow.session.add(account)
        await uow.session.flush()
        uow.session.add(Officer(account_id=account.id, name=username, status="active"))
        await uow.session.flush()
        for role in roles:
            uow.session.add(OfficerRole(account_id=account.id, agency_id=agency, role=role))
        cred = LocalCredential(account_id=account.id, username=username, password_hash=hash_password(identity.settings, PASSWORD))
        if totp:
            uri = new_totp_secret(identity.settings, cred)
            secret = pyotp.parse_uri(uri).secret
        uow.session.add(cred)
        await uow.commit()
    return secret


async def login(identity, username: str, password: str = PASSWORD, **extra):
    return await identity.client.post(f"{API}/password/login", json={"username": username, "password": password, **extra})


async def credential(identity, username: str) -> LocalCredential:
    async with identity.runtime.sessions() as s:
        return (await s.execute(select(LocalCredential).where(LocalCredential.username == username))).scalar_one()


async def sessions(identity) -> int:
    async with identity.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(RefreshToken))).scalar_one()


async def test_a_handler_signs_in_with_a_password_and_the_hash_is_argon2id(identity):
    await officer(identity, "zhang.san", ["handler"])
    resp = await login(identity, "zhang.san")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["account"]["roles"] == ["handler"] and body["account"]["agency_id"] == "county"
    me = await identity.client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["roles"] == ["handler"]
    assert (await credential(identity, "zhang.san")).password_hash.startswith("$argon2id$")


async def test_wrong_passwords_count_and_lock_the_same_way_for_unknown_users(identity):
    await officer(identity, "li.si", ["handler"])
    limit = identity.settings.password_max_failures
    for _ in range(limit - 1):
        assert_problem(await login(identity, "li.si", "wrong password!"), 401, "login_invalid")
        assert_problem(await login(identity, "nobody", "wrong password!"), 401, "login_invalid")
    assert (await credential(identity, "li.si")).failed_attempts == limit - 1
    assert_problem(await login(identity, "li.si", "wrong password!"), 401, "login_invalid")
    assert_problem(await login(identity, "nobody", "wrong password!"), 401, "login_invalid")
    # Locked now: even the right password is refused, and an unknown name answers alike.
    known, unknown = await login(identity, "li.si"), await login(identity, "nobody")
    p1, p2 = assert_problem(known, 429, "login_locked"), assert_problem(unknown, 429, "login_locked")
    assert p1["detail"] == p2["detail"]
    assert 0 < int(known.headers["Retry-After"]) <= identity.settings.password_lockout_seconds
    assert int(unknown.headers["Retry-After"]) > 0
    assert (await credential(identity, "li.si")).locked_until is not None
    assert await sessions(identity) == 0


async def test_a_right_password_resets_the_count(identity):
    await officer(identity, "wang.wu", ["registrar"])
    assert_problem(await login(identity, "wang.wu", "wrong password!"), 401, "login_invalid")
    assert (await login(identity, "wang.wu")).status_code == 200
    assert (await credential(identity, "wang.wu")).failed_attempts == 0


async def test_an_admin_without_totp_is_refused(identity):
    await officer(identity, "root", ["admin"])
    assert_problem(await login(identity, "root"), 403, "totp_enrolment_required")
    assert await sessions(identity) == 0


async def test_an_admin_needs_a_code_and_a_code_works_once(identity):
    secret = await officer(identity, "admin", ["admin"], totp=True)
    cred = await credential(identity, "admin")
    assert secret not in cred.totp_secret
    assert unseal(identity.settings.key_encryption_key.get_secret_value(), "totp", cred.totp_secret).decode() == secret
    assert_problem(await login(identity, "admin"), 401, "totp_required")
    assert_problem(
        await login(identity, "admin", totp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"), 401, "login_invalid"
    )
    code = pyotp.TOTP(secret).now()
    ok = await login(identity, "admin", totp=code)
    assert ok.status_code == 200, ok.text
    assert ok.json()["account"]["roles"] == ["admin"]
    assert (await credential(identity, "admin")).totp_confirmed_at is not None
    # The same code again (a replay) is refused and counted.
    assert_problem(await login(identity, "admin", totp=code), 401, "login_invalid")
    assert (await credential(identity, "admin")).failed_attempts == 1  # the success in between reset it
    assert await sessions(identity) == 1


async def test_an_officer_enrols_totp_and_then_needs_it(identity):
    await officer(identity, "zhao.liu", ["reviewer"])
    token = (await login(identity, "zhao.liu")).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    start = await identity.client.post(f"{API}/password/totp/start", headers=headers)
    assert start.status_code == 200, start.text
    totp = pyotp.parse_uri(start.json()["otpauth_uri"])
    assert_problem(await identity.client.post(f"{API}/password/totp/confirm", json={"code": "12345a"}, headers=headers), 422)
    wrong = "000000" if totp.now() != "000000" else "111111"
    assert_problem(await identity.client.post(f"{API}/password/totp/confirm", json={"code": wrong}, headers=headers), 400, "totp_invalid")
    assert (await credential(identity, "zhao.liu")).totp_confirmed_at is None
    code = totp.now()
    assert (await identity.client.post(f"{API}/password/totp/confirm", json={"code": code}, headers=headers)).status_code == 204
    assert_problem(await login(identity, "zhao.liu"), 401, "totp_required")
    # The confirming code is spent too.
    assert_problem(await login(identity, "zhao.liu", totp=code), 401, "login_invalid")
    assert_problem(await identity.client.post(f"{API}/password/totp/start"), 401)


async def test_a_hash_is_redone_when_the_parameters_rise(identity):
    await officer(identity, "qian.qi", ["handler"])
    old = (await credential(identity, "qian.qi")).password_hash
    identity.app.state.settings = identity.settings.model_copy(update={"password_hash_time_cost": 4})
    assert (await login(identity, "qian.qi")).status_code == 200
    new = (await credential(identity, "qian.qi")).password_hash
    assert new != old and "t=4" in new
    assert (await login(identity, "qian.qi")).status_code == 200


async def test_the_first_admin_comes_from_the_command_line_and_enrols_totp_at_first_login(broker, databases, topic_prefix, tmp_path):
    url = await databases.new("identity")
    env = {**os.environ, "IDENTITY_DATABASE_URL": url, "IDENTITY_ADMIN_PASSWORD": PASSWORD}
    cmd = [
        sys.executable,
        "-m",
        "services.identity.cli",
        "create-admin",
        "--username",
        "first.admin",
        "--name",
        "管理员",
        "--agency",
        "county",
    ]
    done = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    uri = next(line for line in done.stdout.splitlines() if line.startswith("otpauth://totp/"))
    again = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "已被使用" in again.stderr
    settings = identity_settings(broker, url, topic_prefix, sms_outbox_path=str(tmp_path / "sms.jsonl"))
    app = create_app(settings)
    async with running_app(app) as client:
        identity = IdentityHarness(client, app, settings)
        assert_problem(await login(identity, "first.admin"), 401, "totp_required")
        ok = await login(identity, "first.admin", totp=pyotp.parse_uri(uri).now())
        assert ok.status_code == 200, ok.text
        assert ok.json()["account"]["roles"] == ["admin"] and ok.json()["account"]["agency_id"] == "county"
        assert (await credential(identity, "first.admin")).totp_confirmed_at is not None


async def test_a_code_spent_on_a_refused_agency_stays_spent(identity):
    secret = await officer(identity, "head.admin", ["admin"], totp=True)
    code = pyotp.TOTP(secret).now()
    assert_problem(await login(identity, "head.admin", totp=code, agency_id="elsewhere"), 403, "agency_not_granted")
    assert_problem(await login(identity, "head.admin", totp=code), 401, "login_invalid")
    assert await sessions(identity) == 0
