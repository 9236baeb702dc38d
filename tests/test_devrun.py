"""`make run`: the broker and all five services become ready, only identity-signed tokens open them, Ctrl-C stops everything."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import jwt

from shared.auth import issue_dev_token
from shared.settings import ServiceSettings
from shared.testing import REPO_ROOT, free_port

SERVICES = ("catalog", "requests", "notify", "audit", "identity")


def make_token(identity_port: int, *args: str) -> dict[str, str]:
    """`make token …` against the running system: a token signed by its identity service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEV_") and k not in ("MAKEFLAGS", "MFLAGS")}
    env["IDENTITY_URL"] = f"http://127.0.0.1:{identity_port}"
    result = subprocess.run(
        ["make", "--no-print-directory", "token", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip().splitlines()[-1]
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    return {"Authorization": f"Bearer {token}"}


def _sign_in_by_sms(client: httpx.Client, identity_port: int, var) -> dict[str, str]:
    """As the README shows: answer the captcha's text, request a code, read it from var/sms-outbox.jsonl, log in."""
    base = f"http://127.0.0.1:{identity_port}/api/v1/identity"
    challenge = client.post(f"{base}/captcha").json()
    a, b = re.search(r"([零一二三四五六七八九])加([零一二三四五六七八九])", challenge["text_challenge"]).groups()
    answer = str("零一二三四五六七八九".index(a) + "零一二三四五六七八九".index(b))
    sent = client.post(f"{base}/sms/send", json={"phone": "13800138000", "captcha_id": challenge["captcha_id"], "captcha_answer": answer})
    assert sent.status_code == 202, sent.text
    code = json.loads((var / "sms-outbox.jsonl").read_text(encoding="utf-8").splitlines()[-1])["code"]
    login = client.post(f"{base}/sms/login", json={"phone": "13800138000", "code": code})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _whole_system_flow(ports: dict[str, int], var) -> None:
    """Through the running processes: catalog → (Kafka) → requests → (Kafka) → audit."""
    settings = ServiceSettings()
    # The published development secret opens nothing in the running system.
    dev = {"Authorization": f"Bearer {issue_dev_token(settings, sub='admin-1', roles=['admin'])}"}
    admin = make_token(ports["identity"], "ROLE=admin", "SUB=admin-1")
    with httpx.Client(timeout=10) as client:
        applicant = _sign_in_by_sms(client, ports["identity"], var)
        refused = client.post(
            f"http://127.0.0.1:{ports['catalog']}/api/v1/catalog/agencies", headers=dev, json={"name": "某某县民政局", "kind": "department"}
        )
        assert refused.status_code == 401, refused.text
        created = client.post(
            f"http://127.0.0.1:{ports['catalog']}/api/v1/catalog/agencies",
            headers=admin,
            json={"name": "某某县民政局", "kind": "department"},
        )
        assert created.status_code == 201, created.text
        agency_id = created.json()["id"]
        deadline = time.monotonic() + 30
        while not any(a["id"] == agency_id for a in client.get(f"http://127.0.0.1:{ports['requests']}/api/v1/requests/agencies").json()):
            assert time.monotonic() < deadline, "agency never reached the requests service"
            time.sleep(0.3)
        submitted = client.post(
            f"http://127.0.0.1:{ports['requests']}/api/v1/requests/requests",
            headers=applicant,
            json={
                "agency_id": agency_id,
                "description": "请公开本县2025年城乡低保资金发放情况",
                "applicant": {
                    "type": "natural_person",
                    "name": "张三",
                    "id_type": "resident_id",
                    "id_number": "11010519491231002X",
                    "mobile": "13800138000",
                },
            },
        )
        assert submitted.status_code == 201, submitted.text
        request_id = submitted.json()["id"]
        mine = client.get(f"http://127.0.0.1:{ports['requests']}/api/v1/requests/requests/mine", headers=applicant).json()
        assert request_id in str(mine), mine
        supervisor = make_token(ports["identity"], "ROLE=supervisor", f"AGENCY={agency_id}", "SUB=sup-1")
        while True:
            entries = client.get(
                f"http://127.0.0.1:{ports['audit']}/api/v1/audit/entries", headers=supervisor, params={"aggregate_id": request_id}
            ).json()
            if {e["event_type"] for e in entries} >= {"RequestSubmitted", "RequestReceived"}:
                break
            assert time.monotonic() < deadline + 30, f"audit never recorded the request: {entries}"
            time.sleep(0.3)


def test_make_run_brings_all_five_services_to_ready_within_30_seconds_and_stops_on_ctrl_c(tmp_path):
    ports = {name: free_port() for name in SERVICES}
    env = {**os.environ, "DEVRUN_BROKER_PORT": str(free_port()), "DEVRUN_VAR": str(tmp_path / "var")}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["WEB_PORT"] = str(free_port())
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.devrun"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        ready: set[str] = set()
        with httpx.Client(timeout=1) as client:
            while len(ready) < len(SERVICES) and time.monotonic() - started < 30:
                assert proc.poll() is None, proc.stdout.read()
                for name, port in ports.items():
                    try:
                        if client.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                            ready.add(name)
                    except httpx.HTTPError:
                        pass
                time.sleep(0.2)
        assert ready == set(SERVICES), f"ready after 30 s: {sorted(ready)}"
        for name in SERVICES:
            assert (tmp_path / "var" / f"{name}.db").exists()  # one SQLite file per service
        _whole_system_flow(ports, tmp_path / "var")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert proc.returncode == 0, output
    assert "已停止" in output
    with httpx.Client(timeout=1) as client:
        for port in ports.values():
            try:
                client.get(f"http://127.0.0.1:{port}/healthz")
                raise AssertionError(f"port {port} still serving after Ctrl-C")
            except httpx.ConnectError:
                pass
