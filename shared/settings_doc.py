"""The README's settings table, generated from the settings classes.

`python -m shared.settings_doc` prints the markdown table; `--write` replaces the table between
the markers in README.md; `--check` exits 1 when README.md disagrees with the classes.
A field's meaning is its `description=`, else the comment beside or above it in the source.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

from shared.settings import ServiceSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("catalog", "requests", "notify", "audit", "identity")
START = "<!-- settings-table:start (python -m shared.settings_doc --write) -->"
END = "<!-- settings-table:end -->"
COMMON = "*_"  # stands for each of the services' prefixes in the table
_MAX_DEFAULT = 60


@dataclass(frozen=True)
class Row:
    name: str  # `*_HOST` for a setting every service has, `REQUESTS_RULE_SET` for one service's own
    service: str  # "全部" or the service name
    default: str
    meaning: str


def settings_classes() -> dict[str, type[ServiceSettings]]:
    """Each service's settings class, by service name (imported from services/<name>/settings.py)."""
    found: dict[str, type[ServiceSettings]] = {}
    for name in SERVICES:
        module = importlib.import_module(f"services.{name}.settings")
        classes = [
            c for c in vars(module).values() if inspect.isclass(c) and issubclass(c, ServiceSettings) and c.__module__ == module.__name__
        ]
        if len(classes) != 1:
            raise RuntimeError(f"services/{name}/settings.py 应恰好定义一个 ServiceSettings 子类，实际 {len(classes)} 个")
        found[name] = classes[0]
    return found


def env_prefix(cls: type[ServiceSettings]) -> str:
    return str(cls.model_config.get("env_prefix", ""))


def env_names(cls: type[ServiceSettings]) -> set[str]:
    """Every environment variable the class reads (prefix + field name, upper case)."""
    return {(env_prefix(cls) + field).upper() for field in cls.model_fields}


def render_default(cls: type[ServiceSettings], field: str) -> str:
    """The default as an operator would write it in the environment."""
    info = cls.model_fields[field]
    value: Any = info.default if info.default is not PydanticUndefined else None
    if info.default_factory is not None:
        value = info.default_factory()  # type: ignore[call-arg]
    if isinstance(value, SecretStr):
        # A secret's default is public code (empty, or a dev-only value production refuses): show it, not "**********".
        value = value.get_secret_value()
    if value is None:
        return "—"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value if value else "（空）"
    elif isinstance(value, (list, dict)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) > _MAX_DEFAULT:
            text = f"{text[:_MAX_DEFAULT]}…（共 {len(value)} 项）"
    else:
        text = str(value)
    return text.replace("|", "\\|")


def _comment_meaning(cls: type, field: str) -> str:
    """The comment on the field's line, else the comment lines just above it, in the class that declares it."""
    for klass in cls.__mro__:
        if field not in getattr(klass, "__annotations__", {}):
            continue
        try:
            lines = inspect.getsource(klass).splitlines()
        except (OSError, TypeError):
            return ""
        for i, line in enumerate(lines):
            if re.match(rf"\s+{re.escape(field)}\s*:", line):
                if "#" in line:
                    return line.split("#", 1)[1].strip()
                above: list[str] = []
                for prev in reversed(lines[:i]):
                    if not prev.strip().startswith("#"):
                        break
                    above.insert(0, prev.strip().lstrip("#").strip())
                return " ".join(above)
        return ""
    return ""


def meaning(cls: type[ServiceSettings], field: str) -> str:
    text = cls.model_fields[field].description or _comment_meaning(cls, field)
    return " ".join(text.split()).replace("|", "\\|")


def rows() -> list[Row]:
    """One row per setting every service shares (with per-service defaults where they differ), then each service's own."""
    classes = settings_classes()
    result: list[Row] = []
    for field in ServiceSettings.model_fields:
        defaults = {name: render_default(cls, field) for name, cls in classes.items()}
        if len(set(defaults.values())) == 1:
            default = next(iter(defaults.values()))
        else:
            default = "; ".join(f"{name}: {value}" for name, value in defaults.items())
        result.append(Row(f"{COMMON}{field.upper()}", "全部", default, meaning(ServiceSettings, field)))
    for name, cls in classes.items():
        for field in cls.model_fields:
            if field not in ServiceSettings.model_fields:
                result.append(Row((env_prefix(cls) + field).upper(), name, render_default(cls, field), meaning(cls, field)))
    return result


def table(items: list[Row] | None = None) -> str:
    lines = ["| 环境变量 env var | 服务 service | 默认值 default | 含义 meaning |", "|---|---|---|---|"]
    for row in items if items is not None else rows():
        lines.append(f"| `{row.name}` | {row.service} | `{row.default}` | {row.meaning} |")
    return "\n".join(lines)


def parse_table(markdown: str) -> list[Row]:
    """The rows of the generated table inside README.md's markers (an empty list without markers)."""
    if START not in markdown or END not in markdown:
        return []
    body = markdown.split(START, 1)[1].split(END, 1)[0]
    parsed = []
    for line in body.strip().splitlines()[2:]:
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if len(cells) == 4:
            parsed.append(Row(cells[0].strip("`"), cells[1], cells[2][1:-1] if cells[2].startswith("`") else cells[2], cells[3]))
    return parsed


def replace_table(markdown: str, new_table: str) -> str:
    if START not in markdown or END not in markdown:
        raise ValueError(f"README.md 缺少标记 {START} … {END}")
    head, rest = markdown.split(START, 1)
    return f"{head}{START}\n{new_table}\n{END}{rest.split(END, 1)[1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="由配置类生成 README 的配置项表格")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="改写 README.md 中标记之间的表格")
    mode.add_argument("--check", action="store_true", help="README.md 与配置类不一致时以 1 退出")
    parser.add_argument("--readme", type=Path, default=REPO_ROOT / "README.md")
    args = parser.parse_args(argv)
    generated = table()
    if args.write:
        args.readme.write_text(replace_table(args.readme.read_text(encoding="utf-8"), generated), encoding="utf-8")
    elif args.check:
        documented = {(r.name, r.default) for r in parse_table(args.readme.read_text(encoding="utf-8"))}
        actual = {(r.name, r.default) for r in rows()}
        if documented != actual:
            for name, default in sorted(actual - documented):
                print(f"README 缺少或默认值不符：{name} = {default}", file=sys.stderr)
            for name, default in sorted(documented - actual):
                print(f"README 多出或默认值过时：{name} = {default}", file=sys.stderr)
            return 1
    else:
        print(generated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
