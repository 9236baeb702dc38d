"""deploy/redis/redis.conf run by a real redis-server: it loads, demands the password, persists nothing."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from tests.deploy.common import DEPLOY


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_config_runs_password_protected_without_persistence(tmp_path):
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        pytest.skip("本机未安装 redis-server")
    port = _free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            str(DEPLOY / "redis" / "redis.conf"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(tmp_path),
            "--requirepass",
            "s3cret",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def cli(*args: str, auth: str | None = "s3cret") -> str:
            env = {"PATH": "/usr/bin:/bin"} | ({"REDISCLI_AUTH": auth} if auth else {})
            return subprocess.run(["redis-cli", "-p", str(port), *args], env=env, capture_output=True, text=True, timeout=10).stdout.strip()

        deadline = time.monotonic() + 10
        while cli("ping") != "PONG":
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.1)
        assert "NOAUTH" in cli("ping", auth=None)
        assert cli("config", "get", "save").splitlines() == ["save"]  # the value is empty: no snapshots
        assert cli("config", "get", "appendonly").splitlines()[1] == "no"
        assert cli("config", "get", "maxmemory-policy").splitlines()[1] == "volatile-ttl"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
