"""`make token`: the documented way to get a dev token for local runs."""

from __future__ import annotations

import os
import subprocess
import time

import jwt
import pytest

from shared.auth import Role, principal_from_claims
from shared.settings import DEV_JWT_SECRET
from shared.testing import REPO_ROOT, free_port


def make_token(*args: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: no DEV_* overrides (the dev-token settings' prefix) leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEV_") and k not in ("MAKEFLAGS", "MFLAGS")}
    env["IDENTITY_URL"] = f"http://127.0.0.1:{free_port()}"  # no identity service there: the HS256 fallback
    return subprocess.run(
        ["make", "--no-print-directory", "token", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def decode(token: str) -> dict:
    return jwt.decode(token, DEV_JWT_SECRET, algorithms=["HS256"], options={"require": ["exp", "sub", "iat"]})


def test_make_token_prints_a_handler_token_for_the_given_agency_and_subject():
    result = make_token("ROLE=handler", "AGENCY=a1", "SUB=u1")
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    claims = decode(last)
    assert claims["sub"] == "u1"
    assert claims["roles"] == ["handler"]
    assert claims["agency_id"] == "a1"
    now = time.time()
    assert claims["iat"] <= now + 5
    assert now + 3600 < claims["exp"] <= now + 8 * 3600 + 5
    # and the platform accepts it as a handler of a1
    principal = principal_from_claims(claims)
    assert principal.roles == {Role.handler}
    assert principal.agency_id == "a1"


def test_make_token_without_sub_uses_a_role_based_default():
    result = make_token("ROLE=applicant")
    assert result.returncode == 0, result.stderr
    claims = decode(result.stdout.strip().splitlines()[-1])
    assert claims["sub"] == "applicant-dev"
    assert claims["roles"] == ["applicant"]
    assert "agency_id" not in claims


def test_make_token_for_an_admin_needs_no_agency():
    result = make_token("ROLE=admin", "SUB=root")
    assert result.returncode == 0, result.stderr
    claims = decode(result.stdout.strip().splitlines()[-1])
    assert (claims["sub"], claims["roles"]) == ("root", ["admin"])


@pytest.mark.parametrize("role", ["handler", "reviewer", "supervisor"])
def test_make_token_for_an_officer_without_agency_fails(role):
    result = make_token(f"ROLE={role}")
    assert result.returncode != 0
    assert "AGENCY" in result.stderr
    assert not any(line.count(".") == 2 and line.startswith("ey") for line in result.stdout.splitlines())


def test_make_token_with_an_unknown_role_fails():
    result = make_token("ROLE=emperor", "AGENCY=a1")
    assert result.returncode != 0
    assert "emperor" in result.stderr
    assert not any(line.startswith("ey") for line in result.stdout.splitlines())
