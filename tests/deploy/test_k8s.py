"""deploy/k8s: every manifest against the Kubernetes schemas, then the wiring the schemas cannot see."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from services.web.settings import WebSettings
from shared.settings_doc import SERVICES, settings_classes
from tests.deploy.common import (
    DEPLOY,
    K8S,
    SIGNIN_PREFIXES,
    WEB,
    api_prefixes,
    default_port,
    gateway_signin_limit,
    load_yaml_docs,
    nginx_locations,
    read_env_file,
    unknown_settings,
)

# A Kubernetes version kubernetes-validate ships schemas for (pinned in pyproject.toml).
KUBERNETES_VERSION = "1.33.0"
MANIFESTS = sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")
PRESTOP_SECONDS = 5


@pytest.fixture(scope="module")
def objects() -> list[dict]:
    return [doc for path in MANIFESTS for doc in load_yaml_docs(path)]


def find(objects, kind: str, name: str) -> dict:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"应有且仅有一个 {kind}/{name}"
    return matches[0]


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_validates_against_the_kubernetes_schemas(path: Path):
    docs = load_yaml_docs(path)
    assert docs
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.name} {doc.get('kind')}/{doc.get('metadata', {}).get('name')}: {exc.message} at {list(exc.path)}")


def test_schema_validation_catches_a_misspelt_field():
    deployment = next(d for d in load_yaml_docs(K8S / "catalog.yaml") if d["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_lists_every_manifest_and_secret_template():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in MANIFESTS)
    assert kustomization["namespace"] == "gov-disclosure"
    generated = {g["name"]: g["envs"] for g in kustomization["secretGenerator"]}
    assert set(generated) == {f"{s}-secrets" for s in SERVICES} | {"redis-secrets", "web-secrets"}
    for envs in generated.values():
        for env in envs:
            assert (K8S / f"{env}.example").is_file(), f"缺少 {env}.example"
    assert [i["name"] for i in kustomization["images"]] == ["gov-disclosure"]
    assert "*.env" in (K8S / "secrets" / ".gitignore").read_text().split()


def test_every_environment_name_is_a_real_setting(objects):
    names: set[str] = set()
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].endswith("-config"):
            names |= set(obj["data"])
        for container in _containers(obj):
            if container["image"] == "gov-disclosure":
                names |= {e["name"] for e in container.get("env", [])}
    for example in (K8S / "secrets").glob("*.env.example"):
        names |= set(read_env_file(example))
    assert names and not unknown_settings(names), unknown_settings(names)


def secret_template(name: str) -> dict[str, str]:
    """secrets/<name>.env.example as an operator fills it in: every CHANGE-ME a generated secret."""
    return {k: v.replace("CHANGE-ME", FILLED) for k, v in read_env_file(K8S / "secrets" / f"{name}.env.example").items()}


FILLED = secrets.token_urlsafe(36)


def load_settings(objects, name: str, monkeypatch, secret: dict[str, str] | None = None):
    """A service's settings from its ConfigMap and its (filled-in) Secret template."""
    env = dict(find(objects, "ConfigMap", f"{name}-config")["data"]) | (secret if secret is not None else secret_template(name))
    for key in [k for k in os.environ if k.startswith(f"{name.upper()}_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    try:
        return WebSettings() if name == WEB else settings_classes()[name]()
    finally:
        for key in env:
            monkeypatch.delenv(key)


def test_settings_load_in_production_from_configmap_and_secret_template(objects, monkeypatch):
    for name in SERVICES:
        settings = load_settings(objects, name, monkeypatch)
        assert settings.environment == "production"
        assert settings.kafka_ensure_topics is False and settings.migrate_on_start is False
        assert settings.database_url.startswith("postgresql://") and settings.database_url.rsplit("/", 1)[1] == name
        if name == "identity":  # verifies with its own key ring, issuer and audience
            assert settings.sms_sender == "aliyun" and not settings.dev_tokens
            continue
        assert settings.jwt_algorithm == "RS256" and settings.jwt_issuer and settings.jwt_audience


def test_every_service_trusts_only_the_identity_key_set(objects, monkeypatch):
    identity = load_settings(objects, "identity", monkeypatch)
    service = find(objects, "Service", "identity-api")
    port = service["spec"]["ports"][0]["port"]
    jwks = f"http://identity-api{'' if port == 80 else f':{port}'}/.well-known/jwks.json"
    for name in (n for n in SERVICES if n != "identity"):
        settings = load_settings(objects, name, monkeypatch)
        assert settings.jwt_jwks_url == jwks and settings.jwt_public_key is None, name
        assert (settings.jwt_issuer, settings.jwt_audience) == (identity.issuer, identity.token_audience), name
    # The issuer is the public host the Ingress serves the key set and discovery document on.
    ingress = find(objects, "Ingress", "identity")
    assert identity.issuer == f"https://{ingress['spec']['rules'][0]['host']}"
    assert "/.well-known/" in {p["path"] for p in ingress["spec"]["rules"][0]["http"]["paths"]}


def test_identity_key_encryption_key_comes_from_the_secret(objects, monkeypatch):
    assert "IDENTITY_KEY_ENCRYPTION_KEY" not in find(objects, "ConfigMap", "identity-config")["data"]
    assert "IDENTITY_KEY_ENCRYPTION_KEY" in read_env_file(K8S / "secrets" / "identity.env.example")
    left_in = secret_template("identity") | {"IDENTITY_KEY_ENCRYPTION_KEY": "CHANGE-ME"}
    with pytest.raises(ValueError, match="IDENTITY_KEY_ENCRYPTION_KEY"):
        load_settings(objects, "identity", monkeypatch, secret=left_in)


def test_notify_gets_service_tokens_from_identity_inside_the_cluster(objects, monkeypatch):
    """Notify's client secret and identity's "notify" entry come from the Secrets (the same value); the addresses are the Services'."""
    identity = load_settings(objects, "identity", monkeypatch)
    assert {k: v.get_secret_value() for k, v in identity.service_clients.items()} == {"notify": FILLED}
    assert "IDENTITY_SERVICE_CLIENTS" not in find(objects, "ConfigMap", "identity-config")["data"]
    assert "NOTIFY_CLIENT_SECRET" not in find(objects, "ConfigMap", "notify-config")["data"]
    notify = load_settings(objects, "notify", monkeypatch)
    assert notify.client_secret.get_secret_value() == identity.service_clients[notify.client_id].get_secret_value() == FILLED
    assert notify.attaches_notices

    def internal(name: str) -> str:
        port = find(objects, "Service", f"{name}-api")["spec"]["ports"][0]["port"]
        return f"http://{name}-api{'' if port == 80 else f':{port}'}"

    prefixes = api_prefixes()
    assert notify.identity_token_url == f"{internal('identity')}{prefixes['identity']}/oauth/token"
    assert notify.requests_api_url == f"{internal('requests')}{prefixes['requests']}"
    left_in = secret_template("identity") | {"IDENTITY_SERVICE_CLIENTS": '{"notify": "CHANGE-ME"}'}
    with pytest.raises(ValueError, match="IDENTITY_SERVICE_CLIENTS"):
        load_settings(objects, "identity", monkeypatch, secret=left_in)


def test_redis_runs_the_compose_configuration_behind_the_secret_password(objects):
    config = find(objects, "ConfigMap", "redis-config")["data"]["redis.conf"]
    assert config == (DEPLOY / "redis" / "redis.conf").read_text(), "k8s 的 redis.conf 应与 deploy/redis/redis.conf 相同"
    redis = find(objects, "Deployment", "redis")
    (container,) = _pod(redis)["containers"]
    assert container["args"] == ["redis-server", "/etc/redis/redis.conf", "--requirepass", "$(REDIS_PASSWORD)"]
    env = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]}
    assert env["REDIS_PASSWORD"] == {"name": "redis-secrets", "key": "REDIS_PASSWORD"}
    assert "REDIS_PASSWORD" in read_env_file(K8S / "secrets" / "redis.env.example")
    assert redis["spec"]["replicas"] == 1 and redis["spec"]["strategy"]["type"] == "Recreate"
    service = find(objects, "Service", "redis")
    assert service["spec"]["selector"] == redis["spec"]["selector"]["matchLabels"]
    port = service["spec"]["ports"][0]["port"]
    for name, var in (("identity", "IDENTITY_RATE_LIMIT_STORAGE"), ("requests", "REQUESTS_RATE_LIMIT_STORAGE")):
        url = read_env_file(K8S / "secrets" / f"{name}.env.example")[var]  # the password: a secret, never a ConfigMap
        assert url == f"redis://:CHANGE-ME@redis:{port}/0", name
    allowed = find(objects, "NetworkPolicy", "redis")["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]
    assert set(allowed["values"]) == {"identity", "requests"}


def _containers(obj: dict) -> list[dict]:
    spec = obj.get("spec", {})
    template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get("template")
    return (template or {}).get("spec", {}).get("containers", [])


def _pod(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def test_api_and_worker_deployments_run_the_right_commands_with_probes(objects):
    for name in SERVICES:
        api, worker = find(objects, "Deployment", f"{name}-api"), find(objects, "Deployment", f"{name}-worker")
        (api_c,), (worker_c,) = _pod(api)["containers"], _pod(worker)["containers"]
        assert api_c["command"] == ["python", "-m", f"services.{name}", "serve"]
        assert worker_c["command"] == ["python", "-m", f"services.{name}", "worker"]
        assert {"name": f"{name.upper()}_RUN_WORKERS", "value": "false"} in api_c["env"]
        assert api_c["ports"] == [{"name": "http", "containerPort": default_port(name)}]
        assert api_c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert api_c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        for container in (api_c, worker_c):
            refs = {next(iter(e.values()))["name"] for e in container["envFrom"]}
            assert refs == {f"{name}-config", f"{name}-secrets"}
            assert container["resources"]["requests"] and container["resources"]["limits"]


def test_grace_period_covers_prestop_and_the_shutdown_budget(objects):
    for name, cls in settings_classes().items():
        s = cls()
        budget = PRESTOP_SECONDS + getattr(s, "shutdown_http_timeout", 20) + getattr(s, "shutdown_worker_timeout", 15)
        for role in ("api", "worker"):
            grace = _pod(find(objects, "Deployment", f"{name}-{role}"))["terminationGracePeriodSeconds"]
            assert grace >= budget, f"{name}-{role}: terminationGracePeriodSeconds {grace} < {budget}"
        prestop = _pod(find(objects, "Deployment", f"{name}-api"))["containers"][0]["lifecycle"]["preStop"]["exec"]["command"]
        assert prestop == ["sleep", str(PRESTOP_SECONDS)]


def test_pods_run_non_root_on_a_read_only_root(objects):
    uid = int(re.search(r"^USER (\d+)", (DEPLOY.parent / "Dockerfile").read_text(), flags=re.M).group(1))
    for obj in objects:
        if obj["kind"] not in ("Deployment", "Job"):
            continue
        pod = _pod(obj)
        assert pod["securityContext"]["runAsNonRoot"] is True, obj["metadata"]["name"]
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for container in pod["containers"]:
            ctx = container["securityContext"]
            assert ctx["readOnlyRootFilesystem"] is True and ctx["allowPrivilegeEscalation"] is False
            assert ctx["capabilities"]["drop"] == ["ALL"]
            assert any(m["mountPath"] == "/tmp" for m in container["volumeMounts"])
            if container["image"] == "gov-disclosure":
                assert pod["securityContext"]["runAsUser"] == uid


def test_services_hpas_pdbs_and_migrations_wire_to_the_deployments(objects):
    for name in SERVICES:
        api = find(objects, "Deployment", f"{name}-api")
        service = find(objects, "Service", f"{name}-api")
        assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]
        assert service["spec"]["ports"][0]["targetPort"] == "http"
        for role in ("api", "worker"):
            deployment = find(objects, "Deployment", f"{name}-{role}")
            hpa = find(objects, "HorizontalPodAutoscaler", f"{name}-{role}")
            assert hpa["apiVersion"] == "autoscaling/v2"
            assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"{name}-{role}"}
            assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
            pdb = find(objects, "PodDisruptionBudget", f"{name}-{role}")
            assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
            labels = deployment["spec"]["template"]["metadata"]["labels"]
            assert all(labels[k] == v for k, v in deployment["spec"]["selector"]["matchLabels"].items())
        job = find(objects, "Job", f"{name}-migrate")
        (container,) = _pod(job)["containers"]
        assert container["command"] == ["python", "-m", f"services.{name}", "migrate"]
        assert _pod(job)["restartPolicy"] == "Never"


def test_topics_job_runs_the_same_script_as_compose(objects):
    script = find(objects, "ConfigMap", "kafka-topics-script")["data"]["create-topics.sh"]
    assert script == (DEPLOY / "kafka" / "create-topics.sh").read_text(), "k8s 的建主题脚本应与 deploy/kafka/create-topics.sh 相同"
    job = find(objects, "Job", "kafka-topics")
    env = {e["name"]: e["value"] for e in _pod(job)["containers"][0]["env"]}
    assert int(env["KAFKA_REPLICATION"]) == 3 and int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == 2


def test_ingress_routes_match_the_gateway(objects):
    ingresses = [o for o in objects if o["kind"] == "Ingress"]
    nginx_conf = (DEPLOY / "nginx" / "nginx.conf").read_text()
    locations = nginx_locations(nginx_conf)
    origins = re.findall(r'^"(https?://[^"~]+)"\s+\$http_origin;', (DEPLOY / "nginx" / "cors-origins.conf").read_text(), flags=re.M)
    routes = {}
    limited = {}
    for ingress in ingresses:
        notes = ingress["metadata"]["annotations"]
        assert notes["nginx.ingress.kubernetes.io/enable-cors"] == "true"
        assert sorted(o.strip() for o in notes["nginx.ingress.kubernetes.io/cors-allow-origin"].split(",")) == sorted(origins)
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                routes[path["path"]] = backend["name"]
                assert backend["port"] == {"name": "http"}
                find(objects, "Service", backend["name"])
                location = max((loc for loc in locations if path["path"].startswith(loc)), key=len)
                body = re.search(r"client_max_body_size (\S+);", locations[location])
                gateway_limit = body.group(1) if body else re.search(r"client_max_body_size (\S+);", nginx_conf).group(1)
                assert notes["nginx.ingress.kubernetes.io/proxy-body-size"] == gateway_limit, path["path"]
                if "nginx.ingress.kubernetes.io/limit-rpm" in notes:
                    limited[path["path"]] = (
                        int(notes["nginx.ingress.kubernetes.io/limit-rpm"]),
                        int(notes["nginx.ingress.kubernetes.io/limit-burst-multiplier"]),
                    )
    expected = {f"{prefix}/": f"{name}-api" for name, prefix in api_prefixes().items()}
    expected |= {path: "identity-api" for path in ("/.well-known/", *SIGNIN_PREFIXES)}
    expected |= {"/": "web", "/healthz": "web", "/readyz": "web", "/metrics": "web"}  # the site, as at the gateway's `location /`
    assert routes == expected
    upstream = re.search(r"set \$upstream ([a-z-]+):(\d+);", locations["/"])
    assert upstream and (upstream.group(1), int(upstream.group(2))) == (WEB, default_port(WEB))
    # The same sign-in paths and the same rate and burst as the gateway's `signin` zone.
    rate, burst = gateway_signin_limit(nginx_conf)
    assert limited == {path: (rate, burst // rate) for path in SIGNIN_PREFIXES} and burst % rate == 0


# ---------------------------------------------------------------- the web site


def test_web_settings_load_in_production_from_configmap_and_secret_template(objects, monkeypatch):
    settings = load_settings(objects, WEB, monkeypatch)
    assert settings.environment == "production" and settings.secure_cookies
    assert settings.host == "0.0.0.0" and settings.port == default_port(WEB)
    assert settings.session_secret.get_secret_value() == FILLED
    assert settings.forwarded_allow_ips == find(objects, "ConfigMap", "identity-config")["data"]["IDENTITY_FORWARDED_ALLOW_IPS"]
    for name in SERVICES:  # each API's Service inside the cluster, never the public Ingress
        port = find(objects, "Service", f"{name}-api")["spec"]["ports"][0]["port"]
        assert getattr(settings, f"{name}_url") == f"http://{name}-api{'' if port == 80 else f':{port}'}", name


def test_web_session_secret_comes_from_the_secret(objects, monkeypatch):
    assert "WEB_SESSION_SECRET" not in find(objects, "ConfigMap", "web-config")["data"]
    assert set(read_env_file(K8S / "secrets" / "web.env.example")) == {"WEB_SESSION_SECRET"}
    with pytest.raises(ValueError, match="WEB_SESSION_SECRET"):
        load_settings(objects, WEB, monkeypatch, secret={"WEB_SESSION_SECRET": "CHANGE-ME"})


def test_web_deployment_probes_service_hpa_and_pdb(objects):
    web = find(objects, "Deployment", "web")
    (container,) = _pod(web)["containers"]
    assert container["command"] == ["python", "-m", "services.web", "serve"]
    assert container["ports"] == [{"name": "http", "containerPort": default_port(WEB)}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # One API down must not take the whole site out of the Service: readiness is the process's own.
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert {next(iter(e.values()))["name"] for e in container["envFrom"]} == {"web-config", "web-secrets"}
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["lifecycle"]["preStop"]["exec"]["command"] == ["sleep", str(PRESTOP_SECONDS)]
    # preStop + uvicorn's graceful shutdown (timeout_graceful_shutdown=10 in services/web/__main__.py).
    assert _pod(web)["terminationGracePeriodSeconds"] >= PRESTOP_SECONDS + 10
    assert web["spec"]["replicas"] >= 2  # sessions live in the cookie: any replica, same WEB_SESSION_SECRET
    service = find(objects, "Service", "web")
    assert service["spec"]["selector"] == web["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    hpa = find(objects, "HorizontalPodAutoscaler", "web")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
    assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    pdb = find(objects, "PodDisruptionBudget", "web")
    assert pdb["spec"]["selector"]["matchLabels"] == web["spec"]["selector"]["matchLabels"]


def test_ingress_routes_the_root_to_web_and_keeps_its_probes_internal(objects):
    web = find(objects, "Ingress", "web")
    (path,) = web["spec"]["rules"][0]["http"]["paths"]
    assert (path["path"], path["pathType"], path["backend"]["service"]["name"]) == ("/", "Prefix", "web")
    hosts = {rule["host"] for o in objects if o["kind"] == "Ingress" for rule in o["spec"]["rules"]}
    assert hosts == {web["spec"]["rules"][0]["host"]}  # one host, as behind the compose gateway
    internal = find(objects, "Ingress", "web-internal")
    paths = internal["spec"]["rules"][0]["http"]["paths"]
    assert {(p["path"], p["pathType"]) for p in paths} == {(p, "Exact") for p in ("/healthz", "/readyz", "/metrics")}
    assert internal["metadata"]["annotations"]["nginx.ingress.kubernetes.io/whitelist-source-range"] == "127.0.0.1/32"
