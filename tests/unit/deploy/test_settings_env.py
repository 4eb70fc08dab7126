"""Deployments pass roadlabel exactly the settings its code reads, and every required one.

"Read by the code" means listed in ``roadlabel.config.ENV_VARS`` or named as a string literal
in the product packages (for variables another module reads directly).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from roadlabel import config

REPO = Path(__file__).resolve().parents[3]
PRODUCT_PACKAGES = ("roadlabel", "scheduler", "workers", "qa")
#: Settings without which a deployed process would fall back to an embedded service.
REQUIRED = {
    "ROADLABEL_DATABASE_URL",
    "ROADLABEL_S3_ENDPOINT",
    "ROADLABEL_S3_ACCESS_KEY",
    "ROADLABEL_S3_SECRET_KEY",
    "ROADLABEL_LAKEFS_ENDPOINT",
    "ROADLABEL_LAKEFS_ACCESS_KEY",
    "ROADLABEL_LAKEFS_SECRET_KEY",
}
#: Keys that belong in the Secret rather than the ConfigMap.
SECRET_KEYS = {
    "ROADLABEL_DATABASE_URL",
    "ROADLABEL_S3_ACCESS_KEY",
    "ROADLABEL_S3_SECRET_KEY",
    "ROADLABEL_LAKEFS_ACCESS_KEY",
    "ROADLABEL_LAKEFS_SECRET_KEY",
}
#: Read by the scheduler's metrics endpoint; the lead adds it to ENV_VARS (brief of issue 9).
_NAME = re.compile(r"""["']((?:ROADLABEL|RAY)_[A-Z0-9_]+)["']""")
PodSpecs = Callable[[dict[str, Any]], Iterator[tuple[str, dict[str, Any]]]]


@pytest.fixture(scope="module")
def known() -> set[str]:
    """Every environment variable roadlabel's code reads."""
    names = set(config.ENV_VARS)
    for package in PRODUCT_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            names.update(_NAME.findall(path.read_text(errors="replace")))
    return names


def _roadlabel_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service for name, service in compose["services"].items()
        if str(service.get("image", "")).startswith("${ROADLABEL_")
    }


def test_known_names_come_from_config_and_code(known: set[str]) -> None:
    assert "RAY_ADDRESS" in known and "ROADLABEL_DATABASE_URL" in known
    assert "ROADLABEL_NO_SUCH_SETTING" not in known


def test_compose_passes_only_known_settings(compose: dict[str, Any], known: set[str]) -> None:
    services = _roadlabel_services(compose)
    assert {"init", "scheduler-a", "scheduler-b", "ray-head", "ray-worker", "ingest"} <= set(
        services)
    for name, service in services.items():
        unknown = set(service.get("environment", {})) - known
        assert not unknown, f"{name} passes settings no code reads: {sorted(unknown)}"


def test_compose_passes_every_required_setting_and_they_load(
    compose: dict[str, Any], interpolate: Callable[[str], str]
) -> None:
    for name, service in _roadlabel_services(compose).items():
        env = {k: interpolate(str(v)) for k, v in service["environment"].items()}
        assert REQUIRED <= set(env), f"{name} lacks {sorted(REQUIRED - set(env))}"
        settings = config.load(env)
        assert settings.database_url and settings.s3.endpoint == "minio:9000", name
        assert settings.lakefs is not None, name
    ingest = compose["services"]["ingest"]["environment"]
    assert config.load({"RAY_ADDRESS": ingest["RAY_ADDRESS"]}).ray_address == "ray://ray-head:10001"


def _k8s_env(doc: dict[str, Any], container: dict[str, Any], docs: list[dict[str, Any]]) -> set[str]:
    """The variable names a container receives through env and envFrom."""
    names = {e["name"] for e in container.get("env", [])}
    sources = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    for source in container.get("envFrom", []):
        kind, ref = ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else (
            "Secret", source["secretRef"])
        found = sources.get((kind, ref["name"]))
        if found is None:  # prod's Secret is created out of band from secret.env.example
            assert (kind, ref["name"]) == ("Secret", "roadlabel-secrets"), doc["kind"]
            names |= _secret_example_keys()
        else:
            names |= set(found.get("data", {})) | set(found.get("stringData", {}))
    return names


def _secret_example_keys() -> set[str]:
    path = REPO / "deploy" / "k8s" / "overlays" / "prod" / "secret.env.example"
    lines = (line.strip() for line in path.read_text().splitlines())
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def _roadlabel_containers(
    docs: list[dict[str, Any]], pod_specs: PodSpecs
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for doc in docs:
        for where, pod in pod_specs(doc):
            for container in pod["containers"]:
                if "/roadlabel:" in container["image"] or container["image"].startswith(
                        "roadlabel:"):
                    name = doc["metadata"].get("name", "")
                    yield f"{doc['kind']}/{name}/{where}/{container['name']}", doc, container


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_k8s_containers_get_every_required_setting_and_only_known_ones(
    overlay: str, rendered: dict[str, list[dict[str, Any]]], known: set[str], pod_specs: PodSpecs
) -> None:
    docs = rendered[overlay]
    seen = []
    for where, doc, container in _roadlabel_containers(docs, pod_specs):
        env = _k8s_env(doc, container, docs)
        assert REQUIRED <= env, f"{overlay} {where} lacks {sorted(REQUIRED - env)}"
        assert not env - known, f"{overlay} {where} passes unread {sorted(env - known)}"
        seen.append(where)
    assert len(seen) >= 6  # bootstrap, scheduler, cronjob, ray head + two worker groups


def test_secrets_live_in_the_secret_not_the_configmap(
    rendered: dict[str, list[dict[str, Any]]]
) -> None:
    for overlay, docs in rendered.items():
        (settings,) = [d for d in docs if d["metadata"]["name"] == "roadlabel-settings"]
        assert not SECRET_KEYS & set(settings["data"]), overlay
    dev_secret = [d for d in rendered["dev"] if d["metadata"]["name"] == "roadlabel-secrets"]
    assert set(dev_secret[0]["data"]) == SECRET_KEYS
    assert not [d for d in rendered["prod"] if d["kind"] == "Secret"]  # never overwrite prod's
    assert _secret_example_keys() == SECRET_KEYS
