"""The session cookie: sealed (unreadable, unforgeable), bounded in age; redirects stay on the site."""

from __future__ import annotations

import base64
import json
import time

import pytest
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from services.web.deps import safe_next
from services.web.session import Session, SessionCodec
from services.web.settings import DEV_SESSION_SECRET, WebSettings


def _request_with(cookie: str | None, name: str = "session") -> Request:
    headers = [(b"cookie", f"{name}={cookie}".encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})


def _saved(codec: SessionCodec, session: Session) -> str:
    response = Response()
    codec.save(session, response)
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    return cookie.split(";", 1)[0].split("=", 1)[1]


def test_the_cookie_round_trips_and_reveals_nothing_of_the_tokens() -> None:
    codec = SessionCodec(WebSettings())
    session = Session()
    session.sign_in(
        {"access_token": "eyJ.access.token", "refresh_token": "refresh-secret", "expires_in": 900}, name="张三", phone_masked="138****8000"
    )
    raw = _saved(codec, session)
    blob = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    assert b"refresh-secret" not in blob and "张三".encode() not in blob
    loaded = codec.load(_request_with(raw))
    assert (loaded.refresh_token, loaded.name, loaded.csrf) == ("refresh-secret", "张三", session.csrf)
    assert loaded.signed_in and not loaded.fresh


def test_a_tampered_or_foreign_cookie_starts_a_new_anonymous_session() -> None:
    codec = SessionCodec(WebSettings())
    session = Session()
    session.sign_in({"access_token": "a", "refresh_token": "r"}, name=None, phone_masked=None)
    raw = _saved(codec, session)
    flipped = raw[:20] + ("A" if raw[20] != "A" else "B") + raw[21:]
    other = SessionCodec(WebSettings(session_secret="another-secret-of-at-least-32-characters!!"))
    for cookie in (
        flipped,
        _saved(other, session),
        "not-base64!",
        base64.urlsafe_b64encode(json.dumps({"refresh_token": "r"}).encode()).decode(),
    ):
        loaded = codec.load(_request_with(cookie))
        assert not loaded.signed_in and loaded.fresh and loaded.changed


def test_a_session_older_than_its_maximum_age_is_not_accepted() -> None:
    codec = SessionCodec(WebSettings(session_max_age_seconds=60))
    session = Session(created_at=time.time() - 61)
    session.store_tokens({"access_token": "a", "refresh_token": "r"})
    assert not codec.load(_request_with(_saved(codec, session))).signed_in


def test_production_sends_the_cookie_over_https_only_under_a_host_prefix_and_refuses_the_dev_secret() -> None:
    with pytest.raises(ValidationError):
        WebSettings(environment="production")
    with pytest.raises(ValidationError):
        WebSettings(session_secret="short")
    codec = SessionCodec(WebSettings(environment="production", session_secret="s" * 40))
    response = Response()
    codec.save(Session(), response)
    assert response.headers["set-cookie"].startswith("__Host-session=") and "Secure" in response.headers["set-cookie"]
    assert WebSettings().session_secret.get_secret_value() == DEV_SESSION_SECRET
    assert DEV_SESSION_SECRET not in repr(WebSettings())


@pytest.mark.parametrize(
    "value, expected",
    [
        ("/my/123?tab=timeline", "/my/123?tab=timeline"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("my", "/"),
    ],
)
def test_next_is_only_ever_a_path_on_this_site(value, expected) -> None:
    assert safe_next(value) == expected
