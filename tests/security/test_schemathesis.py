"""Schemathesis against every service's OpenAPI, signed in as each role: no input gives a 5xx.

The whole system runs as `make run` starts it (five services, the broker, SQLite files); tokens come
from its identity service. The run is bounded (a few examples per operation, one fixed seed so a
failure reproduces), and every failure is printed with the `curl` line that reproduces it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shared.testing import REPO_ROOT, free_port

SERVICES = ("catalog", "requests", "notify", "audit", "identity")
ROLES = ("anonymous", "applicant", "registrar", "handler", "reviewer", "head", "supervisor", "admin")
ST = Path(sys.executable).parent / "st"
SEED = "20261202"


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    var = tmp_path_factory.mktemp("schemathesis") / "var"
    ports = {name: free_port() for name in SERVICES}
    env = {**os.environ, "DEVRUN_BROKER_PORT": str(free_port()), "DEVRUN_VAR": str(var)}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["WEB_PORT"] = str(free_port())
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.devrun"], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 180  # readiness in 30 s is test_devrun's to judge; here a loaded CI machine must not skip the scan
        with httpx.Client(timeout=2) as client:
            pending = set(SERVICES)
            while pending:
                assert proc.poll() is None, "make run stopped"
                assert time.monotonic() < deadline, f"not ready: {sorted(pending)}"
                for name in list(pending):
                    try:
                        if client.get(f"http://127.0.0.1:{ports[name]}/readyz").status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                time.sleep(0.3)
            tokens = _tokens(client, ports)
        yield ports, tokens
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()


def _tokens(client: httpx.Client, ports: dict[str, int]) -> dict[str, str | None]:
    """A token per role, the officers' for a real agency (so scoped checks run, not only 'unknown agency')."""

    def token(role: str, agency_id: str | None) -> str:
        body = {"sub": f"{role}-st", "roles": [role], **({"agency_id": agency_id} if agency_id else {})}
        response = client.post(f"http://127.0.0.1:{ports['identity']}/api/v1/identity/dev/tokens", json=body)
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    admin = token("admin", None)
    created = client.post(
        f"http://127.0.0.1:{ports['catalog']}/api/v1/catalog/agencies",
        json={"name": "某某县民政局", "kind": "department"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert created.status_code == 201, created.text
    agency_id = created.json()["id"]
    tokens: dict[str, str | None] = {"anonymous": None, "admin": admin, "applicant": token("applicant", None)}
    for role in ROLES:
        if role not in tokens:
            tokens[role] = token(role, agency_id)
    return tokens


@pytest.mark.timeout(900)  # eight `st run`s, plus make run's start for the first: over the suite's 300 s on a loaded machine
@pytest.mark.parametrize("service", SERVICES)
def test_no_input_gives_a_server_error(system, service, tmp_path):
    ports, tokens = system
    failures = []
    for role in ROLES:
        args = [
            str(ST),
            "run",
            f"http://127.0.0.1:{ports[service]}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "8",
            "--workers",
            "1",
            "--seed",
            SEED,
            "--request-timeout",
            "20",
            "--max-failures",
            "10",
            # Signing-in endpoints rate-limit themselves (429 is the answer under test elsewhere), and
            # `make run` has no WeChat mini-program to talk to: its routes answer 503 wechat_not_configured
            # by design there (the WeChat error mapping is tested against a local WeChat in the identity tests).
            "--exclude-path-regex",
            r"/(captcha|sms/send|wechat/login|wechat/phone)$",
        ]
        if tokens[role]:
            args += ["-H", f"Authorization: Bearer {tokens[role]}"]
        result = subprocess.run(args, capture_output=True, text=True, timeout=600, cwd=tmp_path)  # its cache stays out of the repo
        if result.returncode != 0:
            output = result.stdout
            found = output[output.find("FAILURES") : output.find("WARNINGS")] if "FAILURES" in output else output[-4000:]
            failures.append(f"--- {service} as {role} (exit {result.returncode}) ---\n{found}")
    assert not failures, "\n".join(failures)
