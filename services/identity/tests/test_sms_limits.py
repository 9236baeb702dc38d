"""The SMS-code budgets beyond the per-minute one: 5 an hour and 10 a day per phone, per address, and a
global daily budget; each refusal a 429 problem with Retry-After and a Chinese message, nothing sent or stored.

The rate limiter counts in memory against `time.time()`; a clock of the test's own moves it through the
hour and the day (the codes' own timestamps are not involved).
"""

from __future__ import annotations

import json
from pathlib import Path

import limits.aio.storage.memory as limits_memory
import pytest
from sqlalchemy import func, select

from services.identity.adapters.orm import SmsCode
from services.identity.tests.conftest import API
from services.identity.tests.test_sms_login import captcha, solve
from shared.testing import assert_problem


class Clock:
    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import time

    fake = Clock(time.time())
    monkeypatch.setattr(limits_memory, "time", fake)
    return fake


async def attempt(identity, phone: str):
    c = await captcha(identity)
    return await identity.client.post(
        f"{API}/sms/send", json={"phone": phone, "captcha_id": c["captcha_id"], "captcha_answer": solve(c["text_challenge"])}
    )


def sent_to(identity, phone: str | None = None) -> int:
    path = Path(identity.settings.sms_outbox_path)
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if phone is None or json.loads(line)["phone"] == phone)


async def codes(identity) -> int:
    async with identity.runtime.sessions() as s:
        return (await s.execute(select(func.count()).select_from(SmsCode))).scalar_one()


async def refused(identity, phone: str, *, max_wait: int, min_wait: int = 1) -> None:
    """Refused with a 429 problem, a Retry-After within the bounds, and nothing sent or stored."""
    before = (sent_to(identity), await codes(identity))
    resp = await attempt(identity, phone)
    body = assert_problem(resp, 429, "sms_rate_limited")
    assert min_wait <= int(resp.headers["Retry-After"]) <= max_wait, resp.headers["Retry-After"]
    assert "后再试" in body["detail"]
    assert (sent_to(identity), await codes(identity)) == before


async def test_five_an_hour_and_ten_a_day_per_phone(identity, clock):
    phone = "13900000101"
    start = clock.now
    for n in range(5):
        clock.now = start + 61 * n
        assert (await attempt(identity, phone)).status_code == 202
    clock.now = start + 61 * 5
    await refused(identity, phone, min_wait=3600 - 61 * 5 - 2, max_wait=3600)  # the minute has passed, the hour has not
    for n in range(5):
        clock.now = start + 3601 + 61 * n
        assert (await attempt(identity, phone)).status_code == 202
    assert sent_to(identity, phone) == 10
    clock.now = start + 3601 + 3600 + 1  # a new hour, the same day
    await refused(identity, phone, min_wait=86400 - 7300, max_wait=86400)
    assert (await attempt(identity, "13900000102")).status_code == 202  # another phone is counted apart
    clock.now = start + 86400 + 1
    assert (await attempt(identity, phone)).status_code == 202  # the next day


async def test_one_address_is_limited_across_phones(identity, clock):
    identity.app.state.settings = identity.settings.model_copy(update={"sms_per_ip_per_hour": 3})
    for n in range(3):
        assert (await attempt(identity, f"1390000020{n}")).status_code == 202
    await refused(identity, "13900000209", min_wait=3000, max_wait=3600)


async def test_the_global_daily_budget(identity, clock):
    identity.app.state.settings = identity.settings.model_copy(update={"sms_daily_budget": 2})
    start = clock.now
    for n in range(2):
        assert (await attempt(identity, f"1390000030{n}")).status_code == 202
    clock.now = start + 7200
    await refused(identity, "13900000309", min_wait=86400 - 7300, max_wait=86400)
