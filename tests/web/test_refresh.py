"""Pages that arrive together with one cookie refresh the session once, not once each (reuse would revoke it)."""

from __future__ import annotations

import asyncio
import re

import httpx

from services.web.backends import ApiProblem, Backends
from services.web.deps import Refresher
from services.web.settings import WebSettings

DIGITS = "零一二三四五六七八九"


def sign_in(site, phone: str) -> dict:
    """As a person does through the identity API: the captcha's text challenge, a code, the login."""
    base = site.api("identity")
    with httpx.Client(timeout=10) as client:
        challenge = client.post(f"{base}/captcha").json()
        a, b = re.search(r"([零一二三四五六七八九])加([零一二三四五六七八九])", challenge["text_challenge"]).groups()
        sent = client.post(
            f"{base}/sms/send",
            json={"phone": phone, "captcha_id": challenge["captcha_id"], "captcha_answer": str(DIGITS.index(a) + DIGITS.index(b))},
        )
        assert sent.status_code == 202, sent.text
        login = client.post(f"{base}/sms/login", json={"phone": phone, "code": site.sms_code(phone)})
        assert login.status_code == 200, login.text
        return login.json()


async def test_concurrent_refreshes_with_one_cookie_share_one_rotation_and_keep_the_session(site) -> None:
    tokens = sign_in(site, "13900139001")
    api = Backends(WebSettings(identity_url=f"http://127.0.0.1:{site.ports['identity']}"))
    try:
        refresher = Refresher(api)
        results = await asyncio.gather(*[refresher.refresh(tokens["refresh_token"], "203.0.113.9") for _ in range(5)])
        assert len({r["refresh_token"] for r in results}) == 1
        assert results[0]["refresh_token"] != tokens["refresh_token"]
        # The session survived: the rotated token refreshes again.
        again = await api.post_json("identity", "/token/refresh", {"refresh_token": results[0]["refresh_token"]})
        assert again["access_token"]

        # Without the shared rotation, the second use of a spent token revokes the whole session.
        other = sign_in(site, "13900139002")
        first = await api.post_json("identity", "/token/refresh", {"refresh_token": other["refresh_token"]})
        try:
            await api.post_json("identity", "/token/refresh", {"refresh_token": other["refresh_token"]})
            raise AssertionError("a spent refresh token was accepted")
        except ApiProblem as refused:
            assert refused.status == 401
        try:
            await api.post_json("identity", "/token/refresh", {"refresh_token": first["refresh_token"]})
            raise AssertionError("the family should be revoked after reuse")
        except ApiProblem as refused:
            assert refused.status == 401
    finally:
        await api.aclose()
