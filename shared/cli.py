"""`python -m services.<name> [serve|worker|migrate|downgrade|current]` for every service.

A service may add commands of its own (`commands={"verify": coroutine}`): each is an async
function taking the service's spec and returning the exit code; its docstring is its help.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping

import uvicorn
from fastapi import FastAPI

from shared import migrate
from shared.logging import configure_logging
from shared.service import ServiceRuntime, ServiceSpec, create_service_app

log = logging.getLogger(__name__)


async def _run_worker(spec: ServiceSpec) -> None:
    """Relay and consumers without the HTTP API, until SIGTERM or SIGINT."""
    configure_logging(spec.name, spec.settings.log_level, spec.settings.log_json)
    runtime = ServiceRuntime(spec)
    if spec.settings.migrate_on_start:
        await runtime.migrate()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runtime.start_workers()
    log.info("%s worker running", spec.name)
    await stop.wait()
    log.info("%s worker stopping", spec.name)
    await runtime.stop()  # consumers commit what they applied, then the relay flushes


def _exit_zero_after_graceful_shutdown(name: str) -> None:
    """uvicorn re-raises the signal it shut down on, under the handler it found: make that a no-op.

    By then every request is answered and the outbox flushed, so an orchestrator should see a
    clean exit (0), not a death by SIGTERM.
    """
    def stopped(signum: int, _frame: object) -> None:
        log.info("%s stopped on %s", name, signal.Signals(signum).name)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stopped)


Command = Callable[[ServiceSpec], Awaitable[int | None]]
BUILTIN_COMMANDS = frozenset({"serve", "worker", "migrate", "downgrade", "current"})


def main(build_spec: Callable[[], ServiceSpec], create_app: Callable[[], FastAPI] | None = None, argv: list[str] | None = None,
         commands: Mapping[str, Command] | None = None) -> int:
    """Run a service's command line; `create_app` is the service's own app factory (defaults to the bare spec).

    `commands` adds service-specific subcommands; a command's return value is the exit code.
    """
    commands = dict(commands or {})
    if clash := BUILTIN_COMMANDS & commands.keys():
        raise ValueError(f"service commands may not replace built-in ones: {sorted(clash)}")
    parser = argparse.ArgumentParser(description="运行服务、后台任务或数据库迁移")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="HTTP API（默认同时运行发件箱中继与消费者）")
    sub.add_parser("worker", help="仅运行发件箱中继与消费者")
    up = sub.add_parser("migrate", help="升级数据库结构")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="回退数据库结构")
    down.add_argument("revision", nargs="?", default="-1")
    sub.add_parser("current", help="显示当前数据库版本")
    for name, command in commands.items():
        sub.add_parser(name, help=((command.__doc__ or "").strip().splitlines() or [None])[0])
    args = parser.parse_args(argv)
    spec = build_spec()
    s = spec.settings
    match args.command or "serve":
        case "serve":
            app = create_app() if create_app else create_service_app(spec)
            _exit_zero_after_graceful_shutdown(spec.name)
            # On SIGTERM uvicorn stops accepting, lets in-flight requests finish (or cancels them
            # after the timeout), then runs the lifespan shutdown: consumers stop, the relay flushes.
            uvicorn.run(app, host=s.host, port=s.port, log_config=None, access_log=False,
                        timeout_graceful_shutdown=s.shutdown_http_timeout, proxy_headers=True, forwarded_allow_ips="*")
        case "worker":
            asyncio.run(_run_worker(spec))
        case "migrate":
            migrate.upgrade(spec.migrations, s.database_url, spec.version_table, args.revision)
        case "downgrade":
            migrate.downgrade(spec.migrations, s.database_url, spec.version_table, args.revision)
        case "current":
            print(migrate.current(spec.migrations, s.database_url, spec.version_table) or "(empty)")
        case name if name in commands:
            return int(asyncio.run(commands[name](spec)) or 0)
    return 0
