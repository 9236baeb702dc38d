"""`make run`: the broker and all four services become ready, and Ctrl-C stops everything cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx

from shared.testing import REPO_ROOT, free_port

SERVICES = ("catalog", "requests", "notify", "audit")


def test_make_run_brings_all_four_services_to_ready_within_30_seconds_and_stops_on_ctrl_c(tmp_path):
    ports = {name: free_port() for name in SERVICES}
    env = {**os.environ, "DEVRUN_BROKER_PORT": str(free_port()), "DEVRUN_VAR": str(tmp_path / "var")}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "shared.devrun"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
