"""deploy/k8s: overlays render, validate against Kubernetes schemas, and size what they should.

Built-in kinds are checked with the schemas kubernetes-validate ships (strict: unknown fields
fail). No schema for KubeRay's CRDs is available offline, so RayCluster and RayJob are checked
by a minimal schema of the ray.io/v1 fields used here, and each of their pod templates against
the Kubernetes PodTemplateSpec schema (which is what the CRDs embed).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from referencing import Registry, Resource

from roadlabel.cli.main import build_parser
from tests.unit.deploy.conftest import load_yaml_docs

K8S_VERSION = "1.30"  # the oldest Kubernetes these manifests target (grpc probes, CronJob TZ)
DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
PodSpecs = Callable[[dict[str, Any]], Iterator[tuple[str, dict[str, Any]]]]
Docs = dict[str, list[dict[str, Any]]]

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_REPLICAS = {"type": "integer", "minimum": 0}
_WORKER_GROUP = {
    "type": "object",
    "required": ["groupName", "minReplicas", "maxReplicas", "rayStartParams", "template"],
    "additionalProperties": False,
    "properties": {
        "groupName": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "replicas": _REPLICAS,
        "minReplicas": _REPLICAS,
        "maxReplicas": _REPLICAS,
        "rayStartParams": _STRING_MAP,
        "template": {"type": "object"},
    },
}
_RAY_CLUSTER_SPEC = {
    "type": "object",
    "required": ["rayVersion", "headGroupSpec", "workerGroupSpecs"],
    "additionalProperties": False,
    "properties": {
        "rayVersion": {"type": "string"},
        "enableInTreeAutoscaling": {"type": "boolean"},
        "autoscalerOptions": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "upscalingMode": {"enum": ["Default", "Aggressive", "Conservative"]},
                "idleTimeoutSeconds": {"type": "integer", "minimum": 0},
                "resources": {"type": "object"},
            },
        },
        "headGroupSpec": {
            "type": "object",
            "required": ["rayStartParams", "template"],
            "additionalProperties": False,
            "properties": {"rayStartParams": _STRING_MAP, "template": {"type": "object"}},
        },
        "workerGroupSpecs": {"type": "array", "minItems": 1, "items": _WORKER_GROUP},
    },
}
_METADATA = {"type": "object", "properties": {"name": {"type": "string"}}}
#: ray.io/v1 fields used by these manifests; types as in KubeRay's CRDs.
KUBERAY_SCHEMAS: dict[str, dict[str, Any]] = {
    "RayCluster": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "ray.io/v1"},
            "metadata": _METADATA,
            "spec": _RAY_CLUSTER_SPEC,
        },
    },
    "RayJob": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "ray.io/v1"},
            "metadata": _METADATA,
            "spec": {
                "type": "object",
                "required": ["entrypoint"],
                "additionalProperties": False,
                "properties": {
                    "entrypoint": {"type": "string", "minLength": 1},
                    "clusterSelector": _STRING_MAP,
                    "rayClusterSpec": _RAY_CLUSTER_SPEC,
                    "submissionMode": {"enum": ["K8sJobMode", "HTTPMode", "InteractiveMode"]},
                    "shutdownAfterJobFinishes": {"type": "boolean"},
                },
            },
        },
    },
}


@pytest.fixture(scope="module")
def pod_template_validator() -> jsonschema.protocols.Validator:
    """Kubernetes' strict PodTemplateSpec schema, as shipped by kubernetes-validate."""
    folder = files("kubernetes_validate").joinpath(
        f"kubernetes-json-schema/v{K8S_VERSION}.0-local-strict")
    definitions = json.loads(folder.joinpath("_definitions.json").read_text())
    registry: Registry = Resource.from_contents(definitions) @ Registry()
    schema = {"$ref": f"{definitions['$id']}#/$defs/io.k8s.api.core.v1.PodTemplateSpec"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _validate(doc: dict[str, Any], templates: jsonschema.protocols.Validator) -> None:
    if doc["kind"] in KUBERAY_SCHEMAS:
        jsonschema.validate(doc, KUBERAY_SCHEMAS[doc["kind"]])
        spec = doc["spec"].get("rayClusterSpec", doc["spec"])
        groups = [spec.get("headGroupSpec"), *spec.get("workerGroupSpecs", [])]
        for group in filter(None, groups):
            templates.validate(group["template"])
    else:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def _one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    (doc,) = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    return doc


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_every_manifest_validates(
    overlay: str, rendered: Docs, pod_template_validator: jsonschema.protocols.Validator
) -> None:
    for doc in rendered[overlay]:
        _validate(doc, pod_template_validator)


def test_on_demand_jobs_validate(pod_template_validator: jsonschema.protocols.Validator) -> None:
    paths = sorted((DEPLOY / "k8s" / "jobs").glob("*.yaml"))
    assert len(paths) >= 2
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            _validate(doc, pod_template_validator)


def test_validation_catches_mistakes(
    rendered: Docs, pod_template_validator: jsonschema.protocols.Validator
) -> None:
    scheduler = copy.deepcopy(_one(rendered["dev"], "Deployment", "roadlabel-scheduler"))
    scheduler["spec"]["template"]["spec"]["containers"][0]["portz"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        _validate(scheduler, pod_template_validator)
    ray = copy.deepcopy(_one(rendered["dev"], "RayCluster"))
    ray["spec"]["workerGroupSpecs"][0]["rayStartParams"]["num-cpus"] = 4  # must be a string
    with pytest.raises(jsonschema.ValidationError):
        _validate(ray, pod_template_validator)
    ray = copy.deepcopy(_one(rendered["dev"], "RayCluster"))
    ray["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["envFrom"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        _validate(ray, pod_template_validator)


def test_ray_cluster_autoscales_cpu_decode_and_gpu_prelabel(rendered: Docs) -> None:
    spec = _one(rendered["prod"], "RayCluster")["spec"]
    assert spec["enableInTreeAutoscaling"] is True
    assert spec["rayVersion"] == version("ray")  # the version the images install
    assert spec["headGroupSpec"]["rayStartParams"]["num-cpus"] == "0"
    groups = {g["groupName"]: g for g in spec["workerGroupSpecs"]}
    assert set(groups) == {"cpu-decode", "gpu-prelabel"}
    for group in groups.values():
        assert 0 <= group["minReplicas"] < group["maxReplicas"]

    def limits(name: str) -> dict[str, str]:
        return dict(groups[name]["template"]["spec"]["containers"][0]["resources"]["limits"])

    assert "nvidia.com/gpu" not in limits("cpu-decode")
    assert limits("gpu-prelabel")["nvidia.com/gpu"] == "1"
    gpu_image = groups["gpu-prelabel"]["template"]["spec"]["containers"][0]["image"]
    assert gpu_image.endswith(":gpu")


def test_prod_node_pools_match_the_capacity_model(rendered: Docs) -> None:
    rates = json.loads((DEPLOY / "capacity_rates.json").read_text())["instances"]
    groups = {g["groupName"]: g for g in _one(rendered["prod"], "RayCluster")["spec"][
        "workerGroupSpecs"]}
    for group, instance in (("cpu-decode", rates["cpu"]), ("gpu-prelabel", rates["gpu"])):
        pod = groups[group]["template"]["spec"]
        assert pod["nodeSelector"]["node.kubernetes.io/instance-type"] == instance["type"]
        assert groups[group]["maxReplicas"] == instance["max_nodes"]
    cpu_request = groups["cpu-decode"]["template"]["spec"]["containers"][0]["resources"]
    assert int(cpu_request["requests"]["cpu"]) <= rates["cpu"]["vcpus"]


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_scheduler_has_service_autoscaler_and_disruption_budget(
    overlay: str, rendered: Docs
) -> None:
    docs = rendered[overlay]
    deployment = _one(docs, "Deployment", "roadlabel-scheduler")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve"]
    settings = _one(docs, "ConfigMap", "roadlabel-settings")["data"]
    grpc_port = int(settings["ROADLABEL_SCHEDULER_PORT"])
    assert container["readinessProbe"]["grpc"]["port"] == grpc_port
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": grpc_port, "metrics": int(settings["ROADLABEL_METRICS_PORT"])}
    for service in (d for d in docs if d["kind"] == "Service" and "scheduler" in d["metadata"][
            "name"]):
        assert service["spec"]["selector"].items() <= labels.items()
    hpa = _one(docs, "HorizontalPodAutoscaler", "roadlabel-scheduler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    pdb = _one(docs, "PodDisruptionBudget", "roadlabel-scheduler")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert 1 <= pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


def test_nightly_merge_is_a_cronjob(rendered: Docs) -> None:
    cron = _one(rendered["prod"], "CronJob", "roadlabel-merge-nightly")
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["merge-nightly", "--publish"]


def test_ingest_rayjob_runs_roadlabel_ingest_on_the_cluster(
    rendered: Docs, ingest_rayjob: dict[str, Any]
) -> None:
    cluster = _one(rendered["prod"], "RayCluster")["metadata"]["name"]
    assert ingest_rayjob["spec"]["clusterSelector"] == {"ray.io/cluster": cluster}
    assert ingest_rayjob["spec"]["entrypoint"].startswith("roadlabel ingest ")
    parsed = build_parser().parse_args(ingest_rayjob["spec"]["entrypoint"].split()[1:])
    assert parsed.batch and parsed.scheduler  # sequences become tasks
    assert parsed.token is None and parsed.token_file is None  # ROADLABEL_TOKEN, not the spec


def test_prelabel_rayjob_puts_one_actor_on_each_gpu_worker(rendered: Docs) -> None:
    (job,) = load_yaml_docs(DEPLOY / "k8s" / "jobs" / "prelabel-rayjob.yaml")
    ray = _one(rendered["prod"], "RayCluster")
    assert job["spec"]["clusterSelector"] == {"ray.io/cluster": ray["metadata"]["name"]}
    args = job["spec"]["entrypoint"].split()
    assert args[:2] == ["roadlabel", "prelabel"]
    scheduler = _one(rendered["prod"], "Service", "roadlabel-scheduler")
    port = scheduler["spec"]["ports"][0]["port"]
    assert args[args.index("--scheduler") + 1] == f"roadlabel-scheduler:{port}"
    gpu_group = [g for g in ray["spec"]["workerGroupSpecs"] if g["groupName"] == "gpu-prelabel"]
    limits = gpu_group[0]["template"]["spec"]["containers"][0]["resources"]["limits"]
    actors = int(args[args.index("--actors") + 1])
    assert float(args[args.index("--gpus-per-actor") + 1]) == float(limits["nvidia.com/gpu"])
    assert actors <= gpu_group[0]["maxReplicas"]
    parsed = build_parser().parse_args(args[1:])  # every flag is one the command knows
    assert parsed.batch and parsed.token is None  # the token comes from ROADLABEL_TOKEN


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_ray_pods_and_ingest_share_the_video_volume(
    overlay: str, rendered: Docs, pod_specs: PodSpecs, ingest_rayjob: dict[str, Any]
) -> None:
    docs = rendered[overlay]
    claim = _one(docs, "PersistentVolumeClaim")["metadata"]["name"]
    for where, pod in pod_specs(_one(docs, "RayCluster")):
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        assert volumes[mounts["/data/videos"]]["persistentVolumeClaim"]["claimName"] == claim, where
    assert " /data/videos/" in ingest_rayjob["spec"]["entrypoint"]


def test_every_container_runs_as_the_image_user(rendered: Docs, pod_specs: PodSpecs) -> None:
    for doc in rendered["prod"]:
        for where, pod in pod_specs(doc):
            assert pod["securityContext"]["runAsNonRoot"] is True, where
            assert pod["securityContext"]["runAsUser"] == 10001, where
