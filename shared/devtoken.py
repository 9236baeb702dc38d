"""Print a dev token: `python -m shared.devtoken --role handler --agency A --sub officer-1`."""

from __future__ import annotations

import argparse
import sys

from shared.auth import Role, issue_dev_token
from shared.settings import ServiceSettings


class _DevTokenSettings(ServiceSettings):
    model_config = ServiceSettings.model_config | {"env_prefix": "DEV_"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="签发本地开发用的 JWT（HS256，开发密钥）")
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
    if set(roles) - {"applicant", "admin"} and not args.agency:
        print("工作人员令牌需要 AGENCY=<机关ID>", file=sys.stderr)
        return 2
    token = issue_dev_token(_DevTokenSettings(), sub=args.sub or f"{roles[0]}-dev", roles=roles, agency_id=args.agency or None, ttl_seconds=args.ttl)
    print(token)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
