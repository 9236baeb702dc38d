"""Print a dev token: `python -m shared.devtoken --role handler --agency A --sub officer-1`.

Against `make run` the token comes from the running identity service (`IDENTITY_URL`,
http://127.0.0.1:8005 by default), signed by its key, because nothing else opens that system.
With no identity service running it falls back to an HS256 token under the development secret,
which only services configured for it (unit tests, a service started on its own) accept.
"""

from __future__ import annotations

import argparse
import os
import sys

import httpx

from shared.auth import OFFICER_ROLES, Role, issue_dev_token
from shared.settings import ServiceSettings


class _DevTokenSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "DEV_"}


def _from_identity(url: str, sub: str, roles: list[str], agency: str | None, ttl: int) -> str | None:
    """A token signed by the running identity service, or None when it is not running."""
    body = {"sub": sub, "roles": roles, "agency_id": agency, "ttl_seconds": ttl}
    try:
        resp = httpx.post(f"{url.rstrip('/')}/api/v1/identity/dev/tokens", json=body, timeout=5)
    except httpx.HTTPError:
        return None
    if resp.status_code != 200:
        detail = resp.json().get("detail") if resp.headers.get("content-type", "").startswith("application/") else resp.text
        raise SystemExit(f"身份服务拒绝签发开发令牌（{resp.status_code}）：{detail}；请确认以 make run 启动（IDENTITY_DEV_TOKENS=true）")
    token: str = resp.json()["access_token"]
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="签发本地开发用的令牌：make run 时由身份服务签发，否则为 HS256 开发令牌")
    parser.add_argument("--role", required=True, help="，".join(r.value for r in Role))
    parser.add_argument("--agency", default="", help="机关 ID（工作人员必填）")
    parser.add_argument("--sub", default="", help="用户标识；缺省为 <role>-dev")
    parser.add_argument("--ttl", type=int, default=8 * 3600, help="有效期（秒）")
    args = parser.parse_args(argv)
    roles = [r.strip() for r in args.role.split(",") if r.strip()]
    try:
        [Role(r) for r in roles]
    except ValueError:
        print(f"未知角色：{args.role}；可选：{', '.join(r.value for r in Role)}", file=sys.stderr)
        return 2
    if set(roles) & (OFFICER_ROLES - {Role.admin}) and not args.agency:
        print("工作人员令牌需要 AGENCY=<机关ID>", file=sys.stderr)
        return 2
    sub = args.sub or f"{roles[0]}-dev"
    signed = _from_identity(os.environ.get("IDENTITY_URL", "http://127.0.0.1:8005"), sub, roles, args.agency or None, args.ttl)
    if signed is None:
        print("身份服务未运行：签发 HS256 开发令牌（make run 启动的系统不接受它）", file=sys.stderr)
        signed = issue_dev_token(_DevTokenSettings(), sub=sub, roles=roles, agency_id=args.agency or None, ttl_seconds=args.ttl)
    print(signed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
