"""Operator commands of the identity service.

`python -m services.identity rotate-keys`, and `python -m services.identity.cli create-admin
--username U --name N --agency A` (password from IDENTITY_ADMIN_PASSWORD, else prompted).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from services.identity.service.keys import KeyRing
from services.identity.settings import IdentitySettings
from shared.errors import Problem
from shared.service import ServiceRuntime, ServiceSpec
from shared.settings import service_settings


async def rotate_keys(spec: ServiceSpec) -> int:
    """轮换签名密钥：新密钥立即签发，旧密钥在其令牌过期前仍可验证"""
    runtime = ServiceRuntime(spec)
    try:
        await runtime.migrate()
        ring = KeyRing(service_settings(spec.settings, IdentitySettings))
        async with runtime.uow() as uow:
            kid = await ring.rotate(uow)
            await uow.commit()
        print(f"新签名密钥：{kid}")
        return 0
    finally:
        await runtime.engine.dispose()


async def create_admin(spec: ServiceSpec, *, username: str, name: str, agency_id: str, password: str) -> int:
    """创建第一个系统管理员（本地账号），并给出动态口令登记地址"""
    from services.identity.adapters.signin import OidcRepository
    from services.identity.service.passwords import create_local_admin

    runtime = ServiceRuntime(spec)
    try:
        await runtime.migrate()
        async with runtime.uow() as uow:
            try:
                _, uri = await create_local_admin(
                    uow,
                    service_settings(spec.settings, IdentitySettings),
                    username=username,
                    password=password,
                    name=name,
                    agency_id=agency_id,
                )
            except Problem as exc:
                print(exc.detail, file=sys.stderr)
                return 1
            known = await OidcRepository(uow.session).known_agency(agency_id)
            await uow.commit()
        if not known:
            print(f"提示：机关 {agency_id} 尚未从目录服务同步到本服务，请核对机关 ID。", file=sys.stderr)
        print(f"已创建系统管理员 {username}。请用动态口令应用扫描或输入以下地址，首次登录时输入其显示的 6 位数字：")
        print(uri)
        return 0
    finally:
        await runtime.engine.dispose()


def _password() -> str:
    if password := os.environ.get("IDENTITY_ADMIN_PASSWORD"):
        return password
    first = getpass.getpass("密码：")
    if first != getpass.getpass("再次输入密码："):
        raise SystemExit("两次输入的密码不一致")
    return first


def main(argv: list[str] | None = None) -> int:
    from services.identity.app import build_spec

    parser = argparse.ArgumentParser(prog="python -m services.identity.cli", description="统一身份认证服务的运维命令")
    sub = parser.add_subparsers(dest="command", required=True)
    admin = sub.add_parser("create-admin", help="创建第一个系统管理员（本地账号 + 动态口令）")
    admin.add_argument("--username", required=True)
    admin.add_argument("--name", required=True, help="姓名")
    admin.add_argument("--agency", required=True, help="所属机关 ID")
    sub.add_parser("rotate-keys", help="轮换签名密钥")
    args = parser.parse_args(argv)
    spec = build_spec()
    if args.command == "rotate-keys":
        return asyncio.run(rotate_keys(spec))
    return asyncio.run(create_admin(spec, username=args.username, name=args.name, agency_id=args.agency, password=_password()))


COMMANDS = {"rotate-keys": rotate_keys}

if __name__ == "__main__":
    raise SystemExit(main())
