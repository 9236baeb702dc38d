"""`python -m services.web serve`: the public site and the workbench (no database of its own)."""

from __future__ import annotations

import sys

import uvicorn

from services.web.settings import get_settings
from shared.logging import configure_logging


def main(argv: list[str]) -> int:
    if argv[:1] not in ([], ["serve"]):
        print("用法：python -m services.web serve", file=sys.stderr)
        return 2
    s = get_settings()
    configure_logging("web", s.log_level, s.log_json)
    uvicorn.run(
        "services.web.app:app_factory",
        factory=True,
        host=s.host,
        port=s.port,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=s.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
