"""Browser tests of the web site: the whole system as `make run` starts it, driven by headless Chromium.

Chromium is Debian's package (/usr/bin/chromium; `.ci/run` installs it), driven by Playwright for
Python with `executable_path`; Playwright's own browser download is never used. Under CI a missing
browser fails the run; elsewhere the browser tests are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.testing import REPO_ROOT, free_port

SERVICES = ("catalog", "requests", "notify", "audit", "identity", "web")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# As the machine's notes say: without these, Chromium reaches for Google's hosts at every start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 360, "height": 740}


@dataclass
class Site:
    """The running system: its ports, its var/ folder, and tokens signed by its identity service."""

    ports: dict[str, int]
    var: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['web']}"

    def api(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}/api/v1/{service}"

    def token(self, role: str, *, agency_id: str | None = None, sub: str | None = None, name: str | None = None) -> dict[str, str]:
        body: dict[str, Any] = {"sub": sub or f"{role}-web", "roles": [role], "agency_id": agency_id, "name": name}
        resp = httpx.post(f"{self.api('identity')}/dev/tokens", json=body, timeout=10)
        assert resp.status_code == 200, resp.text
        return {"Authorization": f"Bearer {resp.json()['access_token']}"}

    def sms_code(self, phone: str) -> str:
        """The last code sent to `phone` (the development SMS outbox under var/)."""
        import json

        lines = (self.var / "sms-outbox.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if json.loads(line).get("phone") == phone][-1]["code"]


@contextmanager
def running_site(tmp_path_factory: Any, extra_env: dict[str, str] | None = None) -> Iterator[Site]:
    """`make run` on free ports, its var/ under the test's temporary folder; `extra_env` reaches every service (IDENTITY_…, WEB_…)."""
    var = tmp_path_factory.mktemp("web") / "var"
    ports = {name: free_port() for name in SERVICES}
    env = {**os.environ, **(extra_env or {}), "DEVRUN_BROKER_PORT": str(free_port()), "DEVRUN_VAR": str(var)}
    env.update({f"{name.upper()}_PORT": str(port) for name, port in ports.items()})
    log = open(tmp_path_factory.mktemp("web-log") / "devrun.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "shared.devrun"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + float(os.environ.get("WEB_TEST_STARTUP_SECONDS", "90"))  # more on a loaded machine
        pending = set(SERVICES)
        with httpx.Client(timeout=2) as client:
            while pending:
                assert proc.poll() is None, "make run stopped: " + Path(log.name).read_text(errors="replace")[-3000:]
                assert time.monotonic() < deadline, f"not ready: {sorted(pending)}"
                for name in list(pending):
                    try:
                        if client.get(f"http://127.0.0.1:{ports[name]}/readyz").status_code == 200:
                            pending.discard(name)
                    except httpx.HTTPError:
                        pass
                time.sleep(0.3)
        yield Site(ports, var)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    with running_site(tmp_path_factory) as running:
        yield running


# Module scope, not session: while Playwright's sync API is open it leaves its own event loop set as
# the thread's running loop, and every async test or fixture set up after it (pytest-asyncio's
# Runner.run) fails with "cannot be called from a running event loop". Closing the browser at the
# end of each module hands the thread back; a module with browser tests holds no async tests.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        message = f"浏览器测试需要 Debian 的 chromium（{CHROMIUM} 不存在）：apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _context(browser: Any, site: Site, **options: Any) -> Any:
    context = browser.new_context(base_url=site.url, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    # Nothing a page asks for may leave this machine.
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("http://127.0.0.1", "data:")) else route.abort())
    return context


@pytest.fixture
def page(browser, site) -> Iterator[Any]:
    """A desktop-sized page with JavaScript (htmx) on."""
    context = _context(browser, site, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_page(browser, site) -> Iterator[Any]:
    """A 360 px wide page, as in a WeChat web view."""
    context = _context(browser, site, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.fixture
def nojs_page(browser, site) -> Iterator[Any]:
    """JavaScript disabled: every form and link must still work."""
    context = _context(browser, site, viewport=PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()
