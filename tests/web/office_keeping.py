"""What the supervision and administration browser tests share: a small agency tree, an admin with TOTP, waiting for projections."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp

from shared.validators import credit_code_check_char
from tests.web.office import Officer, enter_officer

_serial = itertools.count(1)


def tag() -> str:
    """A short unique word for names, so modules sharing the running system never collide."""
    return f"{int(time.time() * 10) % 1000000:06d}{next(_serial)}"


def credit_code() -> str:
    """A unique, valid 统一社会信用代码 (catalog needs one to number an agency's documents)."""
    first = "11" + "".join(random.choice("0123456789") for _ in range(15))
    return first + credit_code_check_char(first)


def create_agency(site: Any, name: str, kind: str = "department", parent_id: str | None = None) -> str:
    """An agency in catalog (the other services learn of it through its event)."""
    body = {"name": name, "kind": kind, "parent_id": parent_id, "credit_code": credit_code()}
    with httpx.Client(timeout=10) as client:
        resp = client.post(f"{site.api('catalog')}/agencies", json=body, headers=site.token("admin"))
        assert resp.status_code == 201, resp.text
    return resp.json()["id"]


def eventually(check: Callable[[], Any], what: str | Callable[[], str], seconds: float = 45) -> Any:
    """Poll until `check` returns something truthy (the services follow each other through the broker)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"never happened: {what if isinstance(what, str) else what()}"
        time.sleep(0.3)


def seed_admin(site: Any, agency_id: str, name: str = "系统管理员") -> tuple[Officer, str]:
    """An admin officer with a local password; identity hands back the TOTP seed an admin enrols (returned with the officer)."""
    officer, uri = enter_officer(site, name, agency_id, ["admin"], username=f"admin{tag()}", wait_seconds=45)
    assert uri, "identity gave the new admin no TOTP seed to enrol"
    return officer, parse_qs(urlsplit(uri).query)["secret"][0]


def admin_sign_in(page: Any, officer: Officer, secret: str, next_path: str = "/office/") -> None:
    """An admin signs in as the page asks: user name, password and the 6 digits of the TOTP app."""
    page.goto(f"/office/signin?next={next_path}")
    page.get_by_label("用户名").fill(officer.username)
    page.locator("#password").fill(officer.password)
    page.get_by_label("动态口令").fill(pyotp.TOTP(secret).now())
    page.get_by_label("动态口令").press("Enter")
    page.wait_for_url(lambda url: "/office/signin" not in url)
