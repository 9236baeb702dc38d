"""Audit-only commands of `python -m services.audit`."""

from __future__ import annotations

import json
import sys

from sqlalchemy.exc import SQLAlchemyError

from services.audit.service.verify import verify_log
from shared.db import create_engine, session_factory
from shared.service import ServiceSpec


async def verify(spec: ServiceSpec) -> int:
    """校验审计日志哈希链，报告第一处断链（断链时退出码为 1，无法读取数据库时为 2）"""
    engine = create_engine(spec.settings.database_url)
    try:
        async with session_factory(engine)() as session:
            result = await verify_log(session)
    except SQLAlchemyError as exc:
        print(f"无法读取审计日志：{type(exc).__name__}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 0 if result.ok else 1


COMMANDS = {"verify": verify}
