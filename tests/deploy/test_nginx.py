"""The gateway's nginx.conf: `nginx -t`, then a real nginx in front of a stub upstream.

The config is rendered for this machine: upstream hostnames (compose service names) become
127.0.0.1 with the stub's port, and paths under /tmp move into the test's directory. In CI a
missing nginx is a failure (.ci/run installs it); elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from services.web.settings import WebSettings
from shared.settings_doc import SERVICES, settings_classes
from tests.deploy.common import (
    DEPLOY,
    SIGNIN_PREFIXES,
    WEB,
    api_prefixes,
    default_port,
    gateway_signin_limit,
    nginx_locations,
    specs,
)

CONF = DEPLOY / "nginx" / "nginx.conf"
ORIGINS = DEPLOY / "nginx" / "cors-origins.conf"
UPSTREAM = re.compile(r"set \$upstream ([a-z-]+):(\d+);")


def nginx_binary() -> str:
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.path.exists(p)), None)
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI 必须安装 nginx（.ci/run 用 apt-get 安装），网关配置未经 nginx -t 校验")
    pytest.skip("本机未安装 nginx（apt-get install nginx 后可运行此测试）")


def allowed_origins() -> list[str]:
    return re.findall(r'^"(https?://[^"~]+)"\s+\$http_origin;', ORIGINS.read_text(), flags=re.M)


def render(tmp: Path, port: int, upstream_port: int) -> Path:
    conf = CONF.read_text(encoding="utf-8")
    conf = UPSTREAM.sub(lambda m: f"set $upstream 127.0.0.1:{upstream_port};", conf)
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{port};").replace("/tmp/", f"{tmp}/")
    (tmp / "nginx.conf").write_text(conf, encoding="utf-8")
    shutil.copy(ORIGINS, tmp / "cors-origins.conf")
    return tmp / "nginx.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def upstream_of(body: str) -> tuple[str, int] | None:
    match = UPSTREAM.search(body)
    return (match.group(1), int(match.group(2))) if match else None


def test_every_route_is_a_real_service_prefix_on_its_own_port():
    all_locations = nginx_locations(CONF.read_text())
    locations = {path: body for path, body in all_locations.items() if path.startswith("/api/") and upstream_of(body)}
    prefixes = api_prefixes()
    assert set(locations) == {p + "/" for p in prefixes.values()}, "网关路由应与各服务的 API 前缀一一对应"
    # Any other /api/ path is answered by the gateway (404), never by the site.
    assert not upstream_of(all_locations["/api/"]) and "return 404;" in all_locations["/api/"]
    # Routes at the root (identity's /.well-known/): each gateway location outside /api/ that proxies,
    # but the site's catch-all `/` (checked on its own below).
    roots = {
        path: upstream_of(body)
        for path, body in all_locations.items()
        if not path.startswith("/api/") and path != "/" and upstream_of(body)
    }
    for name, prefix in prefixes.items():
        assert upstream_of(locations[prefix + "/"]) == (f"{name}-api", default_port(name))
        app = __import__(f"services.{name}.app", fromlist=["create_app"]).create_app(specs()[name].settings)
        routes = [path for path in app.openapi()["paths"] if path not in ("/healthz", "/readyz")]
        assert routes
        for route in (r for r in routes if not r.startswith(prefix + "/")):
            served = [loc for loc, upstream in roots.items() if route.startswith(loc)]
            assert served and roots[served[0]] == (f"{name}-api", default_port(name)), f"{name} 的 {route} 不在 {prefix}/ 下，网关也未转发"
    assert set(roots) == {"/.well-known/"} and roots["/.well-known/"] == ("identity-api", default_port("identity"))


def test_the_root_goes_to_the_web_site_on_its_port():
    """`/` (every path no API or /.well-known/ claims) is the site: the web service on WEB_PORT."""
    locations = nginx_locations(CONF.read_text())
    assert upstream_of(locations["/"]) == (WEB, default_port(WEB))
    assert WebSettings().port == default_port(WEB) == 8000
    # Every page the site serves is under `/` and none under a path the APIs or the gateway claim.
    from services.web.app import create_app
    from services.web.pages import ROUTERS

    app = create_app(WebSettings())
    paths = [r.path for router in ROUTERS for r in router.routes] + [r.path for r in app.routes if hasattr(r, "path")]
    assert "/" in paths and "/static" in paths and "/signin" in paths
    assert app.openapi_url is None  # so /openapi.json at the site is its own 404 page
    claimed = [loc for loc in locations if loc != "/"]
    assert not [p for p in paths if p.startswith(tuple(claimed))], paths


def test_site_body_limit_fits_its_upload_limit():
    match = re.search(r"client_max_body_size (\d+)m;", nginx_locations(CONF.read_text())["/"])
    limit = WebSettings().max_upload_bytes
    assert match and int(match.group(1)) * 1024 * 1024 > limit, f"网站：网关上限应大于 WEB_MAX_UPLOAD_BYTES={limit}"


def test_signin_limit_covers_exactly_the_public_sign_in_paths():
    conf = CONF.read_text()
    keyed = re.search(r"map \$uri \$signin_client \{(.*?)\}", conf, flags=re.S).group(1)
    pattern = re.search(r'"~(\^[^"]+)"\s+\$binary_remote_addr;', keyed).group(1)
    for path in SIGNIN_PREFIXES:
        assert re.match(pattern, path + "code"), path
    for path in ("/api/v1/identity/me", "/api/v1/identity/token/refresh", "/.well-known/jwks.json", "/api/v1/requests/sms/x"):
        assert not re.match(pattern, path), path
    assert "limit_req zone=signin" in nginx_locations(conf)["/api/v1/identity/"]


def test_body_limits_fit_the_services_attachment_limits():
    locations = nginx_locations(CONF.read_text())
    for name, cls in settings_classes().items():
        limit = getattr(cls(), "attachment_max_bytes", None)
        if limit is None:
            continue
        match = re.search(r"client_max_body_size (\d+)m;", locations[f"/api/v1/{name}/"])
        assert match and int(match.group(1)) * 1024 * 1024 > limit, f"{name}: 网关上限应大于 ATTACHMENT_MAX_BYTES={limit}"


def test_nginx_accepts_the_config(tmp_path):
    binary = nginx_binary()
    conf = render(tmp_path, free_port(), free_port())
    result = subprocess.run(
        [binary, "-t", "-e", "stderr", "-p", f"{tmp_path}/", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


class _Echo(BaseHTTPRequestHandler):
    """Answers every request with what it received, as JSON."""

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        payload = json.dumps(
            {
                "path": self.path,
                "method": self.command,
                "request_id": self.headers.get("X-Request-ID"),
                "forwarded_for": self.headers.get("X-Forwarded-For"),
                "bytes": len(body),
            }
        ).encode()
        limited = self.path.endswith("/upstream-429")  # a service refusing on its own budget
        self.send_response(429 if limited else 200)
        if limited:
            self.send_header("Retry-After", "60")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Access-Control-Allow-Origin", "*")  # must never reach the browser through the gateway
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _reply

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def nginx_dir():
    """A directory nginx's unprivileged workers can reach (pytest's tmp_path parents are private)."""
    path = Path(tempfile.mkdtemp(prefix="gateway-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def gateway(nginx_dir):
    tmp_path = nginx_dir
    binary = nginx_binary()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    conf = render(tmp_path, port, upstream.server_address[1])
    proc = subprocess.Popen(
        [binary, "-e", "stderr", "-p", f"{tmp_path}/", "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/gateway-healthz", timeout=1)
            break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"nginx 未能启动：{proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        upstream.shutdown()


def test_routes_each_prefix_upstream_with_the_path_unchanged(gateway):
    for name in SERVICES:
        r = httpx.get(f"{gateway}/api/v1/{name}/agencies?page=2")
        assert r.status_code == 200
        assert r.json()["path"] == f"/api/v1/{name}/agencies?page=2"
    for path in ("/.well-known/jwks.json", "/.well-known/openid-configuration"):
        r = httpx.get(gateway + path)
        assert r.status_code == 200 and r.json()["path"] == path


def test_the_client_address_upstream_cannot_be_forged(gateway):
    """identity counts per-IP budgets on the first X-Forwarded-For entry: only the gateway may write it."""
    for path in ("/api/v1/identity/me", "/signin"):  # the site passes it on to identity
        r = httpx.get(gateway + path, headers={"X-Forwarded-For": "203.0.113.9"})
        assert r.json()["forwarded_for"] == "127.0.0.1", path


def test_site_pages_reach_the_web_site_with_the_proxy_headers(gateway):
    for path in ("/", "/search?q=%E5%85%AC%E5%BC%80&page=2", "/documents/abc", "/static/site.css", "/my/r-1"):
        r = httpx.get(gateway + path, headers={"X-Request-ID": "req-site-0123456789"})
        assert r.status_code == 200, path
        assert r.json()["path"] == path and r.json()["request_id"] == "req-site-0123456789", path
        assert r.headers["x-request-id"] == "req-site-0123456789"
    generated = httpx.get(f"{gateway}/guide")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.json()["request_id"])
    # A form with an attachment up to WEB_MAX_UPLOAD_BYTES passes; more is the gateway's 413.
    form = httpx.post(f"{gateway}/apply", content=b"x" * WebSettings().max_upload_bytes)
    assert form.status_code == 200 and form.json()["bytes"] == WebSettings().max_upload_bytes
    too_large = httpx.post(f"{gateway}/apply", content=b"x" * (13 * 1024 * 1024))
    assert too_large.status_code == 413 and too_large.json()["code"] == "payload_too_large"


def refused_after_emptying(gateway: str, burst: int) -> bool:
    """Post to the SMS code path until the gateway refuses; whatever leaked back since is spent."""
    return any(httpx.post(f"{gateway}/api/v1/identity/sms/code", json={}).status_code == 429 for _ in range(burst + 3))


def test_sign_in_endpoints_are_rate_limited_per_client_as_problem_json(gateway):
    rate, burst = gateway_signin_limit(CONF.read_text())
    origin = allowed_origins()[0]

    def post() -> httpx.Response:
        return httpx.post(f"{gateway}/api/v1/identity/sms/code", json={}, headers={"Origin": origin})

    assert [post().status_code for _ in range(burst)] == [200] * burst  # the burst passes (the first request too)
    # Refused right after; a token that came back meanwhile (every 2 s: a loaded machine is slow) passes first.
    refused = next((r for r in (post() for _ in range(burst)) if r.status_code == 429), None)
    assert refused is not None and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "too_many_requests" and refused.headers["retry-after"] == "2"
    assert refused.headers["access-control-allow-origin"] == origin  # the browser may read the refusal
    # One zone for every sign-in path; everything else, and preflights, are not counted. The zone gives
    # a token back every 2 s, so on a loaded machine it is emptied again right before each other path.
    for path in ("/api/v1/identity/wechat/login", "/api/v1/identity/password/login", "/api/v1/identity/oauth/token"):
        assert refused_after_emptying(gateway, burst), "the sms/code bucket would not empty"
        assert httpx.post(gateway + path, json={}).status_code == 429, path
    assert httpx.options(f"{gateway}/api/v1/identity/sms/code", headers={"Origin": origin}).status_code == 204
    for path in ("/api/v1/identity/token/refresh", "/api/v1/requests/requests"):
        ok = httpx.post(gateway + path, json={})
        assert ok.status_code == 200 and "retry-after" not in ok.headers, path
    assert httpx.get(f"{gateway}/.well-known/jwks.json").status_code == 200


def test_a_service_429_keeps_its_own_retry_after(gateway):
    r = httpx.post(f"{gateway}/api/v1/identity/token/upstream-429", json={})
    assert r.status_code == 429 and r.headers.get_list("retry-after") == ["60"]


def test_unknown_paths_and_probes_are_not_exposed(gateway):
    # (/openapi.json and other unknown root paths now belong to the site, which answers its own 404 page.)
    for path in ("/healthz", "/readyz", "/metrics", "/api/v1/billing/x", "/api/v2/catalog/x", "/api/"):
        r = httpx.get(gateway + path)
        assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json", path
        assert r.json()["code"] == "not_found"


def test_request_id_is_passed_through_or_generated(gateway):
    r = httpx.get(f"{gateway}/api/v1/requests/calendar/2026", headers={"X-Request-ID": "req-0123456789"})
    assert r.json()["request_id"] == "req-0123456789" and r.headers["x-request-id"] == "req-0123456789"
    generated = httpx.get(f"{gateway}/api/v1/requests/calendar/2026")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.json()["request_id"])
    assert generated.headers["x-request-id"] == generated.json()["request_id"]
    forged = httpx.get(f"{gateway}/api/v1/requests/calendar/2026", headers={"X-Request-ID": 'bad id"}'})
    assert forged.json()["request_id"] != 'bad id"}'


def test_cors_only_for_configured_county_sites(gateway):
    origin = allowed_origins()[0]
    ok = httpx.get(f"{gateway}/api/v1/catalog/agencies", headers={"Origin": origin})
    assert ok.headers["access-control-allow-origin"] == origin
    assert "X-Request-ID" in ok.headers["access-control-expose-headers"]
    assert ok.headers.get_list("access-control-allow-origin") == [origin]  # the upstream's `*` is hidden
    other = httpx.get(f"{gateway}/api/v1/catalog/agencies", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers
    preflight = httpx.options(
        f"{gateway}/api/v1/requests/requests",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,idempotency-key",
        },
    )
    assert preflight.status_code == 204
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Idempotency-Key" in preflight.headers["access-control-allow-headers"]


def test_body_limit_is_per_service_and_answered_as_problem_json(gateway):
    two_mib = b"x" * (2 * 1024 * 1024)
    small = httpx.post(f"{gateway}/api/v1/notify/inbox", content=two_mib)
    assert small.status_code == 413 and small.json()["code"] == "payload_too_large"
    large = httpx.post(f"{gateway}/api/v1/requests/requests", content=two_mib)
    assert large.status_code == 200 and large.json()["bytes"] == len(two_mib)
