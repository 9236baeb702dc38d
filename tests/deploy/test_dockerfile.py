"""The Dockerfile, read with a Dockerfile parser (no Docker engine here): stages, user, contents.

The one build step that can be run without Docker is: the wheel the builder installs from the
build context (filtered by .dockerignore) must carry every service's migrations.
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser

from shared.settings_doc import SERVICES
from tests.deploy.common import REPO, WEB_PREFIX, default_port, unknown_settings

COMPILERS = ("build-essential", "gcc", "g++", "clang", "make ", "libc6-dev", "python3-dev")


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    parser = DockerfileParser(path=str(REPO / "Dockerfile"))
    return parser


def stages(parser: DockerfileParser) -> list[list[dict]]:
    """Instructions grouped by FROM."""
    grouped: list[list[dict]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            grouped.append([])
        if grouped:
            grouped[-1].append(instruction)
    return grouped


RUNTIME_PACKAGES = {"libpango-1.0-0", "libpangoft2-1.0-0", "fontconfig", "fonts-noto-cjk"}


def test_is_multi_stage_with_a_slim_python_runtime(dockerfile):
    groups = stages(dockerfile)
    assert len(groups) >= 2, "构建阶段与运行阶段应分开"
    final_from = groups[-1][0]["value"]
    assert final_from.split()[0].startswith("python:") and "slim" in final_from, final_from
    assert "${PYTHON_VERSION}" in final_from or ":3." in final_from


def test_final_stage_has_no_compilers_and_copies_only_the_venv(dockerfile):
    final = stages(dockerfile)[-1]
    runs = " ".join(i["value"] for i in final if i["instruction"] == "RUN")
    assert not [c for c in COMPILERS if c in runs], f"运行镜像不得安装编译器：{runs}"
    # Only what the notices' PDFs need at run time (WeasyPrint: pango and the CJK fonts).
    installed = {w for w in re.findall(r"apt-get install ([^&]*)", runs) for w in w.split() if not w.startswith("-")}
    assert installed <= RUNTIME_PACKAGES, installed - RUNTIME_PACKAGES
    copies = [i["value"] for i in final if i["instruction"] == "COPY"]
    assert copies and all(c.startswith("--from=builder ") for c in copies), copies
    assert any("/opt/venv" in c for c in copies)


def test_builder_installs_the_locked_versions_and_the_project_not_editable(dockerfile):
    builder = stages(dockerfile)[0]
    runs = [i["value"] for i in builder if i["instruction"] == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    # Exactly uv.lock (the same lockfile as make install and CI), no resolution at build time.
    assert syncs and all("--frozen" in r for r in syncs), runs
    assert any("--no-editable" in r for r in syncs), runs
    assert not any("pip install -r" in r or "pip install ." in r for r in runs), runs
    copies = [i["value"] for i in builder if i["instruction"] == "COPY"]
    assert any("uv.lock" in c for c in copies), copies


def test_image_python_is_the_one_make_install_and_ci_use(dockerfile):
    import re

    version = re.search(r"ARG PYTHON_VERSION=(3\.\d+)", (REPO / "Dockerfile").read_text()).group(1)
    assert version == f"{sys.version_info.major}.{sys.version_info.minor}", version


def test_runs_as_a_numeric_non_root_user(dockerfile):
    users = [i["value"] for i in stages(dockerfile)[-1] if i["instruction"] == "USER"]
    assert users, "运行阶段必须声明 USER"
    user = users[-1].split(":")[0]
    assert user.isdigit() and int(user) != 0, f"USER 应为非 root 的数字 uid（Kubernetes runAsNonRoot 可校验）：{users[-1]}"


def test_probes_are_documented_in_labels(dockerfile):
    labels = dockerfile.labels
    assert labels.get("io.gov-disclosure.probe.liveness") == "GET /healthz"
    assert labels.get("io.gov-disclosure.probe.readiness") == "GET /readyz"
    assert labels.get("io.gov-disclosure.metrics") == "GET /metrics"


def test_environment_names_are_real_settings(dockerfile):
    env = dockerfile.envs
    assert not unknown_settings(env), unknown_settings(env)
    for name in SERVICES:  # listening on loopback inside a container would serve nobody
        assert env.get(f"{name.upper()}_HOST") == "0.0.0.0"
    assert env.get(f"{WEB_PREFIX}HOST") == "0.0.0.0"  # the site too (its own default is 127.0.0.1)


def test_exposes_every_services_port_and_the_sites(dockerfile):
    exposed = {int(p) for i in stages(dockerfile)[-1] if i["instruction"] == "EXPOSE" for p in i["value"].split()}
    assert exposed == {default_port(name) for name in (*SERVICES, "web")}, exposed


def test_default_command_runs_a_service(dockerfile):
    cmd = dockerfile.structure[-1]
    assert cmd["instruction"] == "CMD" and '"services.' in cmd["value"]


def _dockerignored(rel: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        parts = rel.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(fnmatch.fnmatchcase(p, pattern) or fnmatch.fnmatchcase(p, pattern.replace("**/", "*/")) for p in prefixes):
            ignored = not negate
    return ignored


def _context_files(patterns: list[str]) -> list[str]:
    """The files `docker build .` would send: everything under the repository, less .dockerignore."""
    found = []
    for path in REPO.rglob("*"):
        rel = path.relative_to(REPO).as_posix()
        if rel.startswith((".git/", ".venv/")) or not path.is_file():
            continue
        if not _dockerignored(rel, patterns):
            found.append(rel)
    return found


def test_build_context_is_only_the_code():
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    context = _context_files(patterns)
    assert "pyproject.toml" in context and "uv.lock" in context
    assert any(f.startswith("shared/") for f in context) and any(f.startswith("services/") for f in context)
    assert not [f for f in context if f.startswith(("tests/", "deploy/", ".ci/", "bench/")) or "/tests/" in f]
    assert _dockerignored(".venv/bin/python", patterns) and _dockerignored("var/catalog.db", patterns)


def test_the_wheel_the_image_installs_carries_every_migration(tmp_path: Path):
    """`pip install .` in the builder, from exactly the build context: migrations must come along."""
    patterns = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    src = tmp_path / "context"
    for rel in _context_files(patterns):
        if (REPO / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, src / rel)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SERVICES:
        tree = REPO / "services" / name / "migrations"
        expected = {str(p.relative_to(REPO)) for p in tree.rglob("*") if p.is_file() and p.suffix in {".py", ".mako"}}
        assert expected and expected <= names, f"{name} 的迁移未打进 wheel：{sorted(expected - names)}"
