"""`python -m services.<name> [serve|worker|migrate|downgrade|current|outbox|dlq]` for every service.

A service may add commands of its own (`commands={"verify": coroutine}`): each is an async
function taking the service's spec and returning the exit code; its docstring is its help.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from typing import Any

import uvicorn
from fastapi import FastAPI

from shared import migrate
from shared.logging import configure_logging
from shared.operations import operator_name, purge_expired, read_dead_letters, replay_dead_letters, replay_outbox, with_inbox_states
from shared.service import ServiceRuntime, ServiceSpec, create_service_app

log = logging.getLogger(__name__)


async def _run_worker(spec: ServiceSpec) -> None:
    """Relay and consumers without the HTTP API, until SIGTERM or SIGINT."""
    configure_logging(spec.name, spec.settings.log_level, spec.settings.log_json)
    runtime = ServiceRuntime(spec)
    if spec.settings.migrate_on_start:
        await runtime.migrate()
    for warm in spec.warm_up:
        await asyncio.to_thread(warm)
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


def _since(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def _outbox(spec: ServiceSpec, args: argparse.Namespace) -> int:
    """`outbox replay --since T` (publish again what was published since T) and `outbox purge` (retention now)."""
    runtime = ServiceRuntime(spec)
    try:
        if args.action == "replay":
            since = _since(args.since)
            marked = await replay_outbox(runtime.uow, since, reason=args.reason, operator=operator_name(), service=spec.name)
            print(
                json.dumps(
                    {"since": since.isoformat(), "marked_unsent": marked, "note": "运行中的中继（serve 或 worker 进程）将重新发送这些事件"},
                    ensure_ascii=False,
                )
            )
        else:
            print(json.dumps(await purge_expired(runtime.sessions, spec.plumbing, spec.settings), ensure_ascii=False))
        return 0
    finally:
        await runtime.engine.dispose()


async def _dlq(spec: ServiceSpec, args: argparse.Namespace) -> int:
    """`dlq list` shows each consumer's parked events; `dlq replay --event-id ID | --all` sends them back."""
    runtime = ServiceRuntime(spec)
    try:
        groups = [f"{spec.name}.{sub.name}" for sub in spec.subscriptions if args.consumer in (None, sub.name)]
        if not groups:
            print(f"本服务没有名为 {args.consumer} 的消费者", file=sys.stderr)
            return 2
        letters = []
        for group in groups:
            letters += await read_dead_letters(spec.settings, group)
        letters = await with_inbox_states(runtime.sessions, spec.plumbing, letters)
        if args.action == "replay":
            if not args.all and not args.event_id:
                print("请指定 --event-id（可多次）或 --all", file=sys.stderr)
                return 2
            wanted = [letter for letter in letters if args.all or letter.event_id in set(args.event_id)]
            letters = await replay_dead_letters(runtime.uow, spec.settings, wanted, operator=operator_name())
        for letter in letters:
            print(json.dumps(letter.public(), ensure_ascii=False))
        return 0
    finally:
        await runtime.engine.dispose()


Command = Callable[[ServiceSpec], Coroutine[Any, Any, int | None]]
BUILTIN_COMMANDS = frozenset({"serve", "worker", "migrate", "downgrade", "current", "outbox", "dlq"})


def main(
    build_spec: Callable[[], ServiceSpec],
    create_app: Callable[[], FastAPI] | None = None,
    argv: list[str] | None = None,
    commands: Mapping[str, Command] | None = None,
) -> int:
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
    outbox = sub.add_parser("outbox", help="发件箱：重新发送已发送的事件（replay --since 时间），或立即清理过期记录（purge）")
    outbox_actions = outbox.add_subparsers(dest="action", required=True)
    replay = outbox_actions.add_parser("replay", help="把某时间之后已发送的事件标为未发送，由中继重新发送（消费者幂等，重复无害）")
    replay.add_argument("--since", required=True, help="ISO 8601 时间，如 2026-12-01T08:00:00+08:00（无时区按 UTC）")
    replay.add_argument("--reason", default="运维人员手工重放", help="重放原因（记入审计日志）")
    outbox_actions.add_parser("purge", help="按保留期删除过期的发件箱与收件箱记录")
    dlq = sub.add_parser("dlq", help="死信：列出（list）或重放（replay）消费者搁置的事件")
    dlq_actions = dlq.add_subparsers(dest="action", required=True)
    for action, text in (
        ("list", "列出各消费者死信主题上的事件及其状态（parked 搁置中、replayed 已重放待处理、handled 已处理）"),
        ("replay", "清除其收件箱记录并把原消息发回原主题（记入审计日志）"),
    ):
        p = dlq_actions.add_parser(action, help=text)
        p.add_argument("--consumer", help="只看某个消费者（如 event-log）")
        if action == "replay":
            p.add_argument("--event-id", action="append", default=[], help="要重放的事件编号（可多次）")
            p.add_argument("--all", action="store_true", help="重放全部搁置中的事件")
    for name, command in commands.items():
        doc_lines = (command.__doc__ or "").strip().splitlines()
        sub.add_parser(name, help=doc_lines[0] if doc_lines else None)
    args = parser.parse_args(argv)
    spec = build_spec()
    s = spec.settings
    match args.command or "serve":
        case "serve":
            app = create_app() if create_app else create_service_app(spec)
            _exit_zero_after_graceful_shutdown(spec.name)
            # On SIGTERM uvicorn stops accepting, lets in-flight requests finish (or cancels them
            # after the timeout), then runs the lifespan shutdown: consumers stop, the relay flushes.
            uvicorn.run(
                app,
                host=s.host,
                port=s.port,
                log_config=None,
                access_log=False,
                # uvicorn annotates an int but passes it to asyncio.timeout, which takes float seconds.
                timeout_graceful_shutdown=s.shutdown_http_timeout,  # type: ignore[arg-type]
                proxy_headers=True,
                forwarded_allow_ips=s.forwarded_allow_ips,
            )
        case "worker":
            asyncio.run(_run_worker(spec))
        case "migrate":
            migrate.upgrade(spec.migrations, s.database_url, spec.version_table, args.revision)
        case "downgrade":
            migrate.downgrade(spec.migrations, s.database_url, spec.version_table, args.revision)
        case "current":
            print(migrate.current(spec.migrations, s.database_url, spec.version_table) or "(empty)")
        case "outbox":
            return asyncio.run(_outbox(spec, args))
        case "dlq":
            return asyncio.run(_dlq(spec, args))
        case name if name in commands:
            return int(asyncio.run(commands[name](spec)) or 0)
    return 0
