"""What the deployment files are checked against: the services' own settings, prefixes and topics."""

from __future__ import annotations

import importlib
import re
from functools import cache
from pathlib import Path

import yaml

from services.web.settings import WebSettings
from shared.contracts.topics import ALL_DOMAIN_TOPICS, BROKER_MARKER
from shared.events import dead_letter_topic
from shared.settings_doc import SERVICES, env_names, settings_classes

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"

# ---------------------------------------------------------------------------------------------
# ALLOW-LIST of environment variables the deployment may set before the code reads them (a
# setting another change is adding). Add a name only with a comment saying which change adds it,
# and remove it once it has landed.
PENDING_SETTINGS: frozenset[str] = frozenset()
# ---------------------------------------------------------------------------------------------

SERVICE_PREFIXES = tuple(f"{name.upper()}_" for name in SERVICES)

# The web site: no database, broker or tokens of its own, so its settings are not a ServiceSettings
# subclass (nor in the README's generated table) but a class of their own, read with prefix WEB_.
WEB = "web"
WEB_PREFIX = str(WebSettings.model_config["env_prefix"])


@cache
def known_settings() -> frozenset[str]:
    """Every environment variable some service's settings class reads (the ServiceSettings subclasses)."""
    return frozenset().union(*(env_names(cls) for cls in settings_classes().values()))


@cache
def web_settings() -> frozenset[str]:
    """Every environment variable WebSettings reads."""
    return frozenset(env_names(WebSettings))


def unknown_settings(names) -> list[str]:
    """Names that look like settings (a service's prefix or WEB_) but that no settings class reads."""
    known = known_settings() | web_settings() | PENDING_SETTINGS
    return sorted(n for n in names if n.startswith((*SERVICE_PREFIXES, WEB_PREFIX)) and n not in known)


@cache
def specs() -> dict:
    return {name: importlib.import_module(f"services.{name}.app").build_spec() for name in SERVICES}


def default_port(name: str) -> int:
    return WebSettings().port if name == WEB else settings_classes()[name]().port


def expected_topics() -> set[str]:
    """Every domain topic, every topic a service produces or reads, and one dead-letter topic per consumer group."""
    produced = {topic for spec in specs().values() for topic in spec.produces}
    produced |= {topic for spec in specs().values() for sub in spec.subscriptions for topic in sub.topics}
    dlq = {dead_letter_topic("", f"{spec.name}.{sub.name}") for spec in specs().values() for sub in spec.subscriptions}
    return set(ALL_DOMAIN_TOPICS) | produced | dlq | {BROKER_MARKER}


def api_prefixes() -> dict[str, str]:
    """Service name → the prefix its routers are mounted under (checked against the built app in the tests)."""
    return {name: spec.api_prefix for name, spec in specs().items()}


def load_yaml_docs(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (comments and blanks skipped; surrounding double quotes removed)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().removeprefix('"').removesuffix('"')
    return values


_VAR = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def compose_variables(text: str) -> set[str]:
    return {m["name"] for m in _VAR.finditer(text.replace("$$", ""))}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}` (`$$` is a literal `$`)."""

    def sub(m: re.Match) -> str:
        name, op, arg = m["name"], m["op"], m["arg"]
        current = env.get(name)
        if op and op.endswith("-"):
            return current if current else (arg or "")
        if op and op.endswith("?") and not current:
            raise KeyError(f"{name}: {arg}")
        return current or ""

    return _VAR.sub(sub, value).replace("$$", "$")


def nginx_locations(conf: str) -> dict[str, str]:
    """`location /prefix/ { ... }` blocks of the gateway: prefix → body (one level of nesting)."""
    found = {}
    for m in re.finditer(r"location\s+(/[^\s{]*)\s*\{", conf):
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(conf[i], 0)
            i += 1
        found[m.group(1)] = conf[m.end() : i - 1]
    return found


# The public sign-in endpoints the gateway and the Ingress rate-limit per client address.
# The public sign-in paths (SMS codes, WeChat login, officers' password login) and the service
# tokens' endpoint (internal callers reach identity directly, never through the gateway).
SIGNIN_PREFIXES = ("/api/v1/identity/sms/", "/api/v1/identity/wechat/", "/api/v1/identity/password/", "/api/v1/identity/oauth/")


def gateway_signin_limit(conf: str) -> tuple[int, int]:
    """(requests per minute, burst) of the gateway's `signin` zone."""
    rate = re.search(r"limit_req_zone \S+ zone=signin:\S+ rate=(\d+)r/m;", conf)
    burst = re.search(r"limit_req zone=signin burst=(\d+) nodelay;", conf)
    assert rate and burst, "nginx.conf 应有 signin 限流区（limit_req_zone … zone=signin … rate=N r/m）"
    return int(rate.group(1)), int(burst.group(1))
