"""SMS-code login as a person does it: the captcha's text alternative, the code from the development outbox."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from services.identity.adapters.orm import Account, SmsCode
from services.identity.tests.conftest import API
from shared.db import utcnow
from shared.testing import assert_problem

DIGITS = "零一二三四五六七八九"


def solve(text_challenge: str) -> str:
    """Read the accessible text challenge ("请计算：三加五等于几？") the way a person would answer it."""
    a, b = re.search(r"([零一二三四五六七八九])加([零一二三四五六七八九])", text_challenge).groups()
    return str(DIGITS.index(a) + DIGITS.index(b))


async def captcha(identity) -> dict:
    resp = await identity.client.post(f"{API}/captcha")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["image"].startswith("data:image/png;base64,") and len(body["image"]) > 1000
    return body


async def send(identity, phone: str) -> None:
    c = await captcha(identity)
    resp = await identity.client.post(
        f"{API}/sms/send", json={"phone": phone, "captcha_id": c["captcha_id"], "captcha_answer": solve(c["text_challenge"])}
    )
    assert resp.status_code == 202, resp.text


def last_code(identity, phone: str) -> str:
    lines = Path(identity.settings.sms_outbox_path).read_text(encoding="utf-8").splitlines()
    message = [json.loads(line) for line in lines if json.loads(line)["phone"] == phone][-1]
    assert message["code"] in message["text"]
    return message["code"]


async def accounts(identity) -> int:
    async with identity.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(Account))).scalar_one()


async def test_a_person_signs_in_with_the_code_from_the_outbox(identity, caplog):
    caplog.set_level(logging.DEBUG)
    await send(identity, "13912345678")
    code = last_code(identity, "13912345678")
    resp = await identity.client.post(f"{API}/sms/login", json={"phone": "13912345678", "code": code})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["account"]["roles"] == ["applicant"] and body["account"]["id"] != "13912345678"
    me = await identity.client.get(f"{API}/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["id"] == body["account"]["id"]
    # Single use.
    assert_problem(await identity.client.post(f"{API}/sms/login", json={"phone": "13912345678", "code": code}), 400, "sms_code_invalid")
    # The code is in no log line.
    assert code not in caplog.text
    # A second login by the same phone is the same person.
    await identity.client.post(f"{API}/logout", json={"refresh_token": body["refresh_token"]})
    async with identity.runtime.uow() as uow:  # past the per-minute limit
        await uow.session.execute(update(SmsCode).values(created_at=utcnow() - timedelta(minutes=2)))
        await uow.commit()
    identity.app.state.limiter.__init__("memory://")
    await send(identity, "13912345678")
    again = await identity.client.post(f"{API}/sms/login", json={"phone": "13912345678", "code": last_code(identity, "13912345678")})
    assert again.json()["account"]["id"] == body["account"]["id"]


async def test_the_phone_of_an_existing_account_signs_in_to_that_account(identity):
    existing = await identity.citizen(phone="13700000001")
    await send(identity, "13700000001")
    resp = await identity.client.post(f"{API}/sms/login", json={"phone": "13700000001", "code": last_code(identity, "13700000001")})
    assert resp.json()["account"]["id"] == existing.id


async def test_captcha_wrong_or_reused_sends_nothing(identity):
    c = await captcha(identity)
    wrong = str((int(solve(c["text_challenge"])) + 1) % 19)
    assert_problem(
        await identity.client.post(
            f"{API}/sms/send", json={"phone": "13600000001", "captcha_id": c["captcha_id"], "captcha_answer": wrong}
        ),
        400,
        "captcha_wrong",
    )
    # The challenge is spent even by a wrong answer.
    assert_problem(
        await identity.client.post(
            f"{API}/sms/send", json={"phone": "13600000001", "captcha_id": c["captcha_id"], "captcha_answer": solve(c["text_challenge"])}
        ),
        400,
        "captcha_invalid",
    )
    assert_problem(
        await identity.client.post(f"{API}/sms/send", json={"phone": "12345", "captcha_id": c["captcha_id"], "captcha_answer": "1"}), 422
    )
    assert not Path(identity.settings.sms_outbox_path).exists()


async def test_a_second_send_within_a_minute_is_refused_with_retry_after(identity):
    await send(identity, "13500000001")
    c = await captcha(identity)
    resp = await identity.client.post(
        f"{API}/sms/send", json={"phone": "13500000001", "captcha_id": c["captcha_id"], "captcha_answer": solve(c["text_challenge"])}
    )
    body = assert_problem(resp, 429, "sms_rate_limited")
    assert 1 <= int(resp.headers["Retry-After"]) <= 60 and "后再试" in body["detail"]


async def test_wrong_codes_are_counted_and_kill_the_code(identity):
    await send(identity, "13400000001")
    code = last_code(identity, "13400000001")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(identity.settings.sms_code_max_attempts - 1):
        assert_problem(
            await identity.client.post(f"{API}/sms/login", json={"phone": "13400000001", "code": wrong}), 400, "sms_code_invalid"
        )
    assert_problem(await identity.client.post(f"{API}/sms/login", json={"phone": "13400000001", "code": wrong}), 400, "sms_code_exhausted")
    # Dead even for the right code, and no account was made.
    assert_problem(await identity.client.post(f"{API}/sms/login", json={"phone": "13400000001", "code": code}), 400, "sms_code_exhausted")
    assert await accounts(identity) == 0


async def test_an_expired_code_is_refused(identity):
    await send(identity, "13300000001")
    async with identity.runtime.uow() as uow:
        await uow.session.execute(update(SmsCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        await uow.commit()
    resp = await identity.client.post(f"{API}/sms/login", json={"phone": "13300000001", "code": last_code(identity, "13300000001")})
    assert_problem(resp, 400, "sms_code_expired")
    assert await accounts(identity) == 0


async def test_codes_are_stored_hashed_and_the_reply_does_not_tell_known_from_unknown_phones(identity):
    await identity.citizen(phone="13200000001")
    replies = []
    for phone in ("13200000001", "13200000002"):
        c = await captcha(identity)
        resp = await identity.client.post(
            f"{API}/sms/send", json={"phone": phone, "captcha_id": c["captcha_id"], "captcha_answer": solve(c["text_challenge"])}
        )
        replies.append((resp.status_code, resp.json()))
    assert replies[0] == replies[1]
    async with identity.runtime.sessions() as s:
        stored = [row.code_hash for row in (await s.execute(select(SmsCode))).scalars()]
    assert last_code(identity, "13200000001") not in stored and all(len(h) == 64 for h in stored)
