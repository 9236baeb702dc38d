"""deploy/compose.yaml: the official compose-spec schema, then what the schema cannot know.

The semantic checks load the services' own settings classes: every variable set on a service
container is a setting it reads, and with .env.example filled in each service's settings load
in production mode (so a typo, a bad boolean or a missing JWT key fails here, not at 3 a.m.).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from importlib import resources

import jsonschema
import pytest
import yaml

from services.web.settings import WebSettings
from shared.settings_doc import SERVICES, settings_classes
from tests.deploy.common import (
    DEPLOY,
    WEB_PREFIX,
    api_prefixes,
    compose_variables,
    default_port,
    expected_topics,
    interpolate,
    read_env_file,
    specs,
    unknown_settings,
)

COMPOSE = DEPLOY / "compose.yaml"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_env_file(DEPLOY / ".env.example")


def app_services(compose: dict) -> dict[str, dict]:
    """The containers that run this repository's image (the services' and the web site's)."""
    image = compose["x-app"]["image"]
    return {name: svc for name, svc in compose["services"].items() if svc.get("image") == image}


def service_containers(compose: dict) -> dict[str, dict]:
    """The five services' containers (`<service>-<role>`), without the web site."""
    return {name: svc for name, svc in app_services(compose).items() if name.rsplit("-", 1)[0] in SERVICES}


def test_every_container_from_the_image_is_a_service_or_the_web_site(compose):
    assert set(app_services(compose)) - set(service_containers(compose)) == {"web"}


def test_matches_the_official_compose_spec_schema(compose):
    schema = json.loads((resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json").read_text())
    validator = jsonschema.Draft202012Validator(schema) if "2020-12" in schema.get("$schema", "") else jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20])


def test_schema_check_catches_a_wrong_key(compose):
    schema = json.loads((resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json").read_text())
    broken = {**compose, "services": {**compose["services"], "gateway": {**compose["services"]["gateway"], "helthcheck": {}}}}
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(broken))


def test_every_service_has_migrate_api_and_worker_from_one_image(compose):
    apps = app_services(compose)
    for name in SERVICES:
        for role, command in (("migrate", "migrate"), ("api", "serve"), ("worker", "worker")):
            svc = apps.get(f"{name}-{role}")
            assert svc, f"缺少 {name}-{role}"
            assert svc["command"] == ["python", "-m", f"services.{name}", command]
        assert apps[f"{name}-migrate"]["restart"] == "no"
        for role in ("api", "worker"):
            deps = apps[f"{name}-{role}"]["depends_on"]
            assert deps[f"{name}-migrate"] == {"condition": "service_completed_successfully"}
            assert deps["kafka-topics"] == {"condition": "service_completed_successfully"}
            assert deps["postgres"]["condition"] == "service_healthy"


def test_api_runs_without_workers_and_checks_readiness_on_its_port(compose):
    apps = app_services(compose)
    for name in SERVICES:
        api, worker = apps[f"{name}-api"], apps[f"{name}-worker"]
        assert api["environment"][f"{name.upper()}_RUN_WORKERS"] == "false"
        assert worker["environment"].get(f"{name.upper()}_RUN_WORKERS", "true") != "false"
        probe = " ".join(api["healthcheck"]["test"])
        assert f"127.0.0.1:{default_port(name)}/readyz" in probe, probe
        for svc in (api, worker):
            assert svc["read_only"] is True and "/tmp" in svc["tmpfs"]


def test_depends_on_names_existing_services(compose):
    names = set(compose["services"])
    for name, svc in compose["services"].items():
        assert set(svc.get("depends_on", {})) <= names, name


def test_service_environment_names_are_real_settings(compose):
    for name, svc in app_services(compose).items():
        assert not unknown_settings(svc["environment"]), f"{name}: {unknown_settings(svc['environment'])}"


def filled_in(env_example: dict[str, str]) -> dict[str, str]:
    """.env.example as an operator leaves it: every CHANGE-ME replaced by a generated secret."""
    return {k: secrets.token_urlsafe(36) if v == "CHANGE-ME" else v for k, v in env_example.items()}


def load_settings(svc: dict, service: str, env_file: dict[str, str], monkeypatch):
    """The service's settings class (WebSettings for "web"), loaded from the container's environment interpolated from `env_file`."""
    env = {k: interpolate(str(v), env_file) for k, v in svc["environment"].items()}
    for key in [k for k in os.environ if k.startswith(f"{service.upper()}_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        return WebSettings() if service == "web" else settings_classes()[service]()
    finally:
        for key in env:
            monkeypatch.delenv(key)


def test_settings_load_in_production_from_the_example_env(compose, env_example, monkeypatch):
    """Each container's environment, interpolated from .env.example once filled in, is a valid production configuration."""
    env_file = filled_in(env_example)
    for name, svc in service_containers(compose).items():
        service = name.rsplit("-", 1)[0]
        settings = load_settings(svc, service, env_file, monkeypatch)
        assert settings.environment == "production"
        assert settings.database_url.startswith("postgresql://") and settings.database_url.endswith(f"@postgres:5432/{service}")
        assert settings.database_url.split("//")[1].startswith(f"{service}:")  # its own login
        assert settings.kafka_ensure_topics is False and settings.migrate_on_start is False
        if service == "identity":  # it verifies with its own key ring, issuer and audience
            assert settings.issuer == env_file["IDENTITY_PUBLIC_URL"] and settings.token_audience
            assert settings.sms_sender == "aliyun" and not settings.dev_tokens
            continue
        assert settings.jwt_algorithm == "RS256" and (settings.jwt_jwks_url or settings.jwt_public_key)
        assert settings.jwt_issuer and settings.jwt_audience  # empty strings would be required verbatim


def test_every_service_trusts_only_the_identity_key_set(compose, env_example, monkeypatch):
    """JWKS from identity-api on its port, issuer and audience exactly what identity puts in its tokens."""
    env_file = filled_in(env_example)
    apps = service_containers(compose)
    identity = load_settings(apps["identity-api"], "identity", env_file, monkeypatch)
    assert identity.issuer.startswith("https://")
    for name, svc in apps.items():
        service = name.rsplit("-", 1)[0]
        if service == "identity":
            continue
        settings = load_settings(svc, service, env_file, monkeypatch)
        assert settings.jwt_jwks_url == f"http://identity-api:{default_port('identity')}/.well-known/jwks.json", name
        assert settings.jwt_public_key is None and settings.jwt_algorithm == "RS256", name
        assert (settings.jwt_issuer, settings.jwt_audience) == (identity.issuer, identity.token_audience), name
    assert {s.removesuffix("-api") for s in compose["services"]["gateway"]["depends_on"]} >= {"identity"}


def test_identity_refuses_to_start_on_the_placeholder_key(compose, env_example, monkeypatch):
    """An operator who forgets IDENTITY_KEY_ENCRYPTION_KEY gets a refusal, not signing keys sealed under CHANGE-ME."""
    env_file = filled_in(env_example) | {"IDENTITY_KEY_ENCRYPTION_KEY": env_example["IDENTITY_KEY_ENCRYPTION_KEY"]}
    with pytest.raises(ValueError, match="IDENTITY_KEY_ENCRYPTION_KEY"):
        load_settings(app_services(compose)["identity-api"], "identity", env_file, monkeypatch)


def test_notify_gets_service_tokens_from_identity_with_the_secret_identity_holds(compose, env_example, monkeypatch):
    """One secret in .env for both ends; notify's token and PDF addresses are the services' internal ones."""
    env_file = filled_in(env_example)
    apps = service_containers(compose)
    identity = load_settings(apps["identity-api"], "identity", env_file, monkeypatch)
    assert {k: v.get_secret_value() for k, v in identity.service_clients.items()} == {"notify": env_file["NOTIFY_CLIENT_SECRET"]}
    prefixes = api_prefixes()
    for name in ("notify-api", "notify-worker"):
        notify = load_settings(apps[name], "notify", env_file, monkeypatch)
        assert notify.client_id in identity.service_clients, name
        assert notify.client_secret.get_secret_value() == identity.service_clients[notify.client_id].get_secret_value(), name
        assert notify.identity_token_url == f"http://identity-api:{default_port('identity')}{prefixes['identity']}/oauth/token"
        assert notify.requests_api_url == f"http://requests-api:{default_port('requests')}{prefixes['requests']}"
        assert notify.attaches_notices, name
    assert "/oauth/token" in {getattr(r, "path", "") for router in specs()["identity"].routers for r in router.routes}


def test_identity_refuses_to_start_on_the_placeholder_client_secret(compose, env_example, monkeypatch):
    env_file = filled_in(env_example) | {"NOTIFY_CLIENT_SECRET": env_example["NOTIFY_CLIENT_SECRET"]}
    with pytest.raises(ValueError, match="IDENTITY_SERVICE_CLIENTS"):
        load_settings(app_services(compose)["identity-api"], "identity", env_file, monkeypatch)


def test_rate_limits_share_the_password_protected_redis(compose, env_example):
    apps = app_services(compose)
    redis = compose["services"]["redis"]
    env_file = filled_in(env_example)
    password = env_file["REDIS_PASSWORD"]
    for name, var in (
        ("identity-api", "IDENTITY_RATE_LIMIT_STORAGE"),
        ("identity-worker", "IDENTITY_RATE_LIMIT_STORAGE"),
        ("requests-api", "REQUESTS_RATE_LIMIT_STORAGE"),
    ):
        assert interpolate(apps[name]["environment"][var], env_file) == f"redis://:{password}@redis:6379/0", name
    for name in ("identity-api", "requests-api"):
        assert apps[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
    command = [interpolate(c, env_file) for c in redis["command"]]
    assert command[:2] == ["redis-server", "/usr/local/etc/redis/redis.conf"] and command[2:] == ["--requirepass", password]
    assert "./redis/redis.conf:/usr/local/etc/redis/redis.conf:ro" in redis["volumes"]
    assert redis["read_only"] is True and redis["user"].split(":")[0] != "0"
    assert "PONG" in " ".join(redis["healthcheck"]["test"])  # redis-cli exits 0 on NOAUTH too


def test_every_variable_is_in_env_example_and_every_example_is_used(env_example):
    used = compose_variables(COMPOSE.read_text(encoding="utf-8"))
    assert used - set(env_example) == set(), f".env.example 缺少：{sorted(used - set(env_example))}"
    assert set(env_example) - used == set(), f".env.example 多余：{sorted(set(env_example) - used)}"


def test_required_secrets_have_no_default(env_example):
    text = COMPOSE.read_text(encoding="utf-8")
    secret_names = ("PASSWORD", "SECRET_KEY", "_SECRET", "ENCRYPTION_KEY", "ACCESS_KEY_ID")
    for secret in [k for k in env_example if k.endswith(secret_names) and not k.startswith("SMTP")]:
        assert re.search(rf"\$\{{{secret}:\?", text), f"{secret} 应为必填（${{{secret}:?…}}）"
        assert env_example[secret] == "CHANGE-ME"


def test_kafka_runs_kraft_without_auto_created_topics(compose):
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "KAFKA_ZOOKEEPER_CONNECT" not in env
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    topics = compose["services"]["kafka-topics"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert any("create-topics.sh" in v for v in topics["volumes"])


def test_topics_script_creates_every_topic_explicitly(tmp_path):
    """Run the real script against a stand-in kafka-topics.sh that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls"
    stub = bin_dir / "kafka-topics.sh"
    stub.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    stub.chmod(0o755)
    env = {
        "PATH": "/usr/bin:/bin",
        "KAFKA_BIN": str(bin_dir),
        "KAFKA_BOOTSTRAP": "k:9092",
        "KAFKA_TOPIC_PREFIX": "xian.",
        "KAFKA_PARTITIONS": "6",
        "KAFKA_REPLICATION": "3",
        "KAFKA_MIN_INSYNC_REPLICAS": "2",
    }
    subprocess.run(["bash", str(DEPLOY / "kafka" / "create-topics.sh")], env=env, check=True, capture_output=True, timeout=30)
    created = {}
    for call in log.read_text().splitlines():
        if "--create" in call:
            args = call.split()
            created[args[args.index("--topic") + 1]] = args
    missing = {f"xian.{t}" for t in expected_topics()} - set(created)
    assert not missing, f"create-topics.sh 未创建：{sorted(missing)}（按 shared/contracts/topics.py 与各服务的消费者补上）"
    for topic, args in created.items():
        assert args[args.index("--replication-factor") + 1] == "3"
        assert "--if-not-exists" in args and "min.insync.replicas=2" in args
        partitions = int(args[args.index("--partitions") + 1])
        assert partitions == (1 if topic.startswith("xian.dlq.") else 6), topic


def test_postgres_init_creates_one_login_and_database_per_service(compose):
    script = (DEPLOY / "postgres" / "init-databases.sh").read_text()
    assert re.search(r"for service in " + " ".join(SERVICES) + r"; do", script)
    assert 'CREATE ROLE :"role" LOGIN PASSWORD' in script and 'CREATE DATABASE :"role" OWNER :"role"' in script
    env = compose["services"]["postgres"]["environment"]
    assert {f"{s.upper()}_DB_PASSWORD" for s in SERVICES} <= set(env)
    assert any("init-databases.sh:/docker-entrypoint-initdb.d/" in v for v in compose["services"]["postgres"]["volumes"])


def test_minio_buckets_are_created_before_the_apis_that_store_attachments(compose):
    apps = app_services(compose)
    for name in ("catalog-api", "requests-api"):
        assert apps[name]["depends_on"]["minio-buckets"] == {"condition": "service_completed_successfully"}
    assert compose["services"]["minio-buckets"]["depends_on"]["minio"]["condition"] == "service_healthy"
    assert apps["catalog-api"]["environment"]["CATALOG_STORAGE_BACKEND"] == "s3"
    assert apps["requests-api"]["environment"]["REQUESTS_STORAGE_BACKEND"] == "s3"


def test_gateway_waits_for_healthy_apis_and_mounts_its_config(compose):
    gateway = compose["services"]["gateway"]
    assert {f"{s}-api" for s in SERVICES} <= set(gateway["depends_on"])
    assert all(d["condition"] == "service_healthy" for d in gateway["depends_on"].values())
    assert "./nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in gateway["volumes"]
    assert "./nginx/cors-origins.conf:/etc/nginx/cors-origins.conf:ro" in gateway["volumes"]


def test_grace_period_covers_the_shutdown_budget(compose):
    seconds = int(compose["x-app"]["stop_grace_period"].rstrip("s"))
    for cls in settings_classes().values():
        s = cls()
        budget = getattr(s, "shutdown_http_timeout", 20) + getattr(s, "shutdown_worker_timeout", 15)
        assert seconds >= budget, f"stop_grace_period {seconds}s < 关停预算 {budget}s"


# ---------------------------------------------------------------- the web site


def test_web_serves_from_the_image_read_only_after_the_apis(compose):
    web = app_services(compose)["web"]
    assert web["command"] == ["python", "-m", "services.web", "serve"]
    assert web["read_only"] is True and "/tmp" in web["tmpfs"]
    assert web["depends_on"] == {f"{name}-api": {"condition": "service_healthy"} for name in SERVICES}
    probe = " ".join(web["healthcheck"]["test"])
    assert f"127.0.0.1:{default_port('web')}/healthz" in probe, probe
    assert compose["services"]["gateway"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "ports" not in web  # reached through the gateway only


def test_web_settings_load_in_production_from_the_example_env(compose, env_example, monkeypatch):
    """The site's environment, from .env.example filled in: production, each API on its internal address."""
    env_file = filled_in(env_example)
    settings = load_settings(app_services(compose)["web"], "web", env_file, monkeypatch)
    assert settings.environment == "production" and settings.secure_cookies
    assert settings.host == "0.0.0.0" and settings.port == default_port("web")
    assert settings.session_secret.get_secret_value() == env_file["WEB_SESSION_SECRET"]
    assert settings.site_name == env_file["SITE_NAME"]
    for name in SERVICES:
        assert getattr(settings, f"{name}_url") == f"http://{name}-api:{default_port(name)}", name
    # The gateway's X-Forwarded-For is trusted from the same network as identity's and requests'.
    identity = app_services(compose)["identity-api"]["environment"]["IDENTITY_FORWARDED_ALLOW_IPS"]
    assert app_services(compose)["web"]["environment"][f"{WEB_PREFIX}FORWARDED_ALLOW_IPS"] == identity
    assert settings.forwarded_allow_ips == env_file["TRUSTED_PROXIES"]


def test_web_refuses_to_start_on_the_placeholder_session_secret(compose, env_example, monkeypatch):
    """WEB_SESSION_SECRET left at CHANGE-ME: a refusal, not session cookies sealed under a public value."""
    env_file = filled_in(env_example) | {"WEB_SESSION_SECRET": env_example["WEB_SESSION_SECRET"]}
    with pytest.raises(ValueError, match="WEB_SESSION_SECRET"):
        load_settings(app_services(compose)["web"], "web", env_file, monkeypatch)
