"""`make demo`: agencies and officers for trying the workbench on a system started by `make run`.

It talks to the running services only through their APIs, as a county's first administrator
would: the county government and two departments in the catalog, then one officer per role in
the identity directory, each with a local password. It refuses to run against anything but the
development system (the identity service hands out development tokens only there, on loopback).
Running it again adds nothing that is already there. The system administrator signs in with a
TOTP code too (the law of the land for admins here): `python -m shared.devseed totp <secret>`
prints the current code for the secret printed below.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

import httpx
import pyotp

DEMO_PASSWORD = "demo-password-2026"  # development only: printed for the person trying the system


@dataclass(frozen=True)
class DemoOfficer:
    username: str
    name: str
    agency: str
    roles: tuple[str, ...]


# name, kind, parent, 统一社会信用代码 (the catalog's 索引号 is built on it; these pass GB 32100's check)
AGENCIES: tuple[tuple[str, str, str | None, str], ...] = (
    ("某某县人民政府", "county_government", None, "11330100002489321D"),
    ("某某县民政局", "department", "某某县人民政府", "11330102MB1234567B"),
    ("某某县财政局", "department", "某某县人民政府", "12330100470123456G"),
)
OFFICERS = (
    DemoOfficer("gly", "管理员", "某某县人民政府", ("admin",)),
    DemoOfficer("gkb", "政务公开办", "某某县人民政府", ("supervisor",)),
    DemoOfficer("mz-dj", "民政局登记员", "某某县民政局", ("registrar",)),
    DemoOfficer("mz-cb", "民政局承办人", "某某县民政局", ("handler",)),
    DemoOfficer("mz-cb2", "民政局承办人二", "某某县民政局", ("handler",)),
    DemoOfficer("mz-sc", "民政局审查人", "某某县民政局", ("reviewer",)),
    DemoOfficer("mz-fz", "民政局负责人", "某某县民政局", ("head",)),
    DemoOfficer("cz-cb", "财政局承办人", "某某县财政局", ("handler",)),
)


class Api:
    def __init__(self, base: dict[str, str]) -> None:
        self.base = base
        self.client = httpx.Client(timeout=15)
        self.admin = {"Authorization": f"Bearer {self._dev_admin_token()}"}

    def url(self, service: str, path: str) -> str:
        return f"{self.base[service].rstrip('/')}/api/v1/{service}{path}"

    def _dev_admin_token(self) -> str:
        body = {"sub": "devseed", "roles": ["admin"], "name": "演示数据", "ttl_seconds": 900}
        try:
            resp = self.client.post(self.url("identity", "/dev/tokens"), json=body)
        except httpx.HTTPError:
            raise SystemExit("身份服务未运行：请先在另一个终端运行 make run") from None
        if resp.status_code != 200:
            raise SystemExit("身份服务不签发开发令牌：演示数据只能写入 make run 启动的开发系统")
        return str(resp.json()["access_token"])

    def agencies(self) -> dict[str, str]:
        return {a["name"]: a["id"] for a in self.client.get(self.url("catalog", "/agencies")).json()}

    def ensure_agencies(self) -> dict[str, str]:
        known = self.agencies()
        for name, kind, parent, credit_code in AGENCIES:
            if name not in known:
                body = {"name": name, "kind": kind, "parent_id": known[parent] if parent else None, "credit_code": credit_code}
                resp = self.client.post(self.url("catalog", "/agencies"), json=body, headers=self.admin)
                if resp.status_code != 201:
                    raise SystemExit(f"未能建立机关 {name}：{resp.text}")
                known[name] = resp.json()["id"]
        return known

    def officers(self) -> dict[str, str]:
        resp = self.client.get(self.url("identity", "/officers"), params={"page_size": 100}, headers=self.admin)
        return {o["name"]: o["id"] for o in resp.json()["items"]}

    def ensure_officer(self, officer: DemoOfficer, agency_id: str, existing: dict[str, str]) -> str | None:
        """The officer and its password; returns the admin's TOTP URI when one is handed out."""
        officer_id = existing.get(officer.name)
        if officer_id is None:
            body = {"name": officer.name, "memberships": [{"agency_id": agency_id, "roles": list(officer.roles)}]}
            deadline = time.monotonic() + 30
            while True:  # the agency reaches identity through catalog's events
                resp = self.client.post(self.url("identity", "/officers"), json=body, headers=self.admin)
                if resp.status_code != 422 or time.monotonic() > deadline:
                    break
                time.sleep(0.3)
            if resp.status_code != 201:
                raise SystemExit(f"未能建立工作人员 {officer.name}：{resp.text}")
            officer_id = resp.json()["id"]
        else:
            return None  # already there: its password may have been changed since, leave it
        resp = self.client.put(
            self.url("identity", f"/officers/{officer_id}/local-password"),
            json={"username": officer.username, "password": DEMO_PASSWORD},
            headers=self.admin,
        )
        if resp.status_code != 200:
            raise SystemExit(f"未能为 {officer.name} 设置密码：{resp.text}")
        uri: str | None = resp.json().get("otpauth_uri")
        return uri


def seed(base: dict[str, str]) -> int:
    api = Api(base)
    agencies = api.ensure_agencies()
    existing = api.officers()
    print("演示机关：" + "、".join(name for name, *_ in AGENCIES if name in agencies))
    print(f"演示工作人员（密码均为 {DEMO_PASSWORD}，仅供开发环境试用）：")
    for officer in OFFICERS:
        uri = api.ensure_officer(officer, agencies[officer.agency], existing)
        state = "已存在" if officer.name in existing else "已建立"
        print(f"  {officer.username:<8} {officer.name}（{officer.agency}，{'、'.join(officer.roles)}）{state}")
        if uri:
            secret = pyotp.parse_uri(uri).secret
            print(f"    系统管理员须用动态口令登录：密钥 {secret}；当前口令：python -m shared.devseed totp {secret}")
    print(f"工作台：{base['web'].rstrip('/')}/office/")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="为 make run 启动的开发系统写入演示机关和工作人员")
    sub = parser.add_subparsers(dest="command")
    totp = sub.add_parser("totp", help="打印动态口令密钥的当前 6 位口令")
    totp.add_argument("secret")
    args = parser.parse_args(argv)
    if args.command == "totp":
        print(pyotp.TOTP(args.secret).now())
        return 0
    ports = {"catalog": 8001, "identity": 8005, "web": 8000}
    base = {
        name: os.environ.get(f"{name.upper()}_URL", f"http://127.0.0.1:{os.environ.get(f'{name.upper()}_PORT', port)}")
        for name, port in ports.items()
    }
    return seed(base)


if __name__ == "__main__":
    sys.exit(main())
