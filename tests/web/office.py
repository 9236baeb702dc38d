"""What the workbench's browser tests share: officers in the directory with local passwords, signing in on the page."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "工作台-测试密码-2026"
_serial = itertools.count(1)


@dataclass(frozen=True)
class Officer:
    id: str
    name: str
    username: str
    agency_id: str
    roles: tuple[str, ...]
    password: str = PASSWORD


def seed_officer(site: Any, name: str, agency_id: str, roles: list[str], *, username: str | None = None) -> Officer:
    """An officer entered in identity's directory by an admin and given a local password (as an admin would on the screen)."""
    return enter_officer(site, name, agency_id, roles, username=username)[0]


def enter_officer(
    site: Any, name: str, agency_id: str, roles: list[str], *, username: str | None = None, wait_seconds: float = 30
) -> tuple[Officer, str | None]:
    """The officer and, for an admin still to enrol, the otpauth URI identity hands back with the password.

    The agency reaches identity through catalog's events: until it has, the directory answers 422 agency_unknown.
    """
    username = username or f"officer{int(time.time()) % 100000}{next(_serial)}"
    admin = site.token("admin")
    body = {"name": name, "memberships": [{"agency_id": agency_id, "roles": roles}]}
    with httpx.Client(timeout=10) as client:
        deadline = time.monotonic() + wait_seconds
        while True:
            resp = client.post(f"{site.api('identity')}/officers", json=body, headers=admin)
            if resp.status_code != 422 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert resp.status_code == 201, resp.text
        officer_id = resp.json()["id"]
        pw = client.put(
            f"{site.api('identity')}/officers/{officer_id}/local-password", json={"username": username, "password": PASSWORD}, headers=admin
        )
        assert pw.status_code == 200, pw.text
    return Officer(officer_id, name, username, agency_id, tuple(roles)), pw.json()["otpauth_uri"]


def office_sign_in(page: Any, officer: Officer, next_path: str = "/office/") -> None:
    """On the workbench's sign-in page, with the keyboard as an officer would: user name, password, Enter."""
    page.goto(f"/office/signin?next={next_path}")
    page.get_by_label("用户名").fill(officer.username)
    page.locator("#password").fill(officer.password)
    page.locator("#password").press("Enter")
    page.wait_for_url(lambda url: "/office/signin" not in url)
