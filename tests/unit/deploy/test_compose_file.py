"""deploy/compose: the stack file is valid Compose and its pieces are wired to each other."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

Interpolate = Callable[[str], str]
DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
COMPOSE_DIR = DEPLOY / "compose"


@pytest.fixture(scope="module")
def compose_validator() -> jsonschema.protocols.Validator:
    """The Compose specification schema, as vendored by check-jsonschema."""
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads(vendor.joinpath("compose-spec.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _errors(validator: jsonschema.protocols.Validator, doc: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def _target(mount: str, interpolate: Interpolate) -> tuple[Path, str]:
    source, target = interpolate(mount).split(":")[:2]
    return (COMPOSE_DIR / source).resolve(), target


def test_compose_file_matches_the_compose_specification(
    compose: dict[str, Any], compose_validator: jsonschema.protocols.Validator
) -> None:
    assert _errors(compose_validator, compose) == []


def test_the_schema_check_catches_mistakes(
    compose: dict[str, Any], compose_validator: jsonschema.protocols.Validator
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["envoy"]["restart"] = 5
    broken["services"]["envoy"]["imagee"] = "typo"
    assert len(_errors(compose_validator, broken)) >= 2


def test_stack_has_every_component(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in (
        "postgres", "minio", "lakefs", "init", "ray-head", "ray-worker", "ray-worker-gpu",
        "scheduler-a", "scheduler-b", "envoy", "prometheus", "grafana",
    ):
        assert name in services, name
    for name in ("scheduler-a", "scheduler-b"):
        assert services[name]["command"] == ["serve"]


def test_gpu_worker_is_a_profile_that_reserves_nvidia_gpus(compose: dict[str, Any]) -> None:
    gpu = compose["services"]["ray-worker-gpu"]
    assert gpu["profiles"] == ["gpu"]
    assert gpu["build"]["dockerfile"] == "deploy/docker/Dockerfile.gpu"
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert devices[0]["driver"] == "nvidia" and "gpu" in devices[0]["capabilities"]
    assert any("--address=ray-head:6379" in arg for arg in gpu["command"])


def test_lakefs_keeps_metadata_in_postgres_and_data_in_minio(
    compose: dict[str, Any], interpolate: Interpolate
) -> None:
    env = {k: interpolate(str(v)) for k, v in compose["services"]["lakefs"]["environment"].items()}
    assert env["LAKEFS_DATABASE_TYPE"] == "postgres"
    assert "@postgres:5432/lakefs" in env["LAKEFS_DATABASE_POSTGRES_CONNECTION_STRING"]
    assert env["LAKEFS_BLOCKSTORE_TYPE"] == "s3"
    assert env["LAKEFS_BLOCKSTORE_S3_ENDPOINT"] == "http://minio:9000"
    init_sql = COMPOSE_DIR / "postgres-init.sql"
    assert "CREATE DATABASE lakefs" in init_sql.read_text()


def test_init_runs_after_the_services_and_before_the_schedulers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    init = services["init"]
    assert {k: v["condition"] for k, v in init["depends_on"].items()} == {
        "postgres": "service_healthy", "minio": "service_healthy", "lakefs": "service_healthy",
    }
    script = " ".join(init["command"])
    assert "bootstrap.py" in script and "roadlabel db migrate" in script
    for name in ("scheduler-a", "scheduler-b"):
        assert services[name]["depends_on"]["init"]["condition"] == "service_completed_successfully"


def test_every_mounted_file_exists(compose: dict[str, Any], interpolate: Interpolate) -> None:
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source, _ = _target(mount, interpolate)
            if mount.startswith((".", "${")) and "videos" not in mount:
                assert source.exists(), f"{name}: {source}"


def test_envoy_balances_grpc_round_robin_over_both_replicas(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((COMPOSE_DIR / "envoy.yaml").read_text())
    (cluster,) = config["static_resources"]["clusters"]
    assert cluster["lb_policy"] == "ROUND_ROBIN"
    protocol = cluster["typed_extension_protocol_options"][
        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
    assert "http2_protocol_options" in protocol["explicit_http_config"]
    assert "grpc_health_check" in cluster["health_checks"][0]
    endpoints = {
        (e["endpoint"]["address"]["socket_address"]["address"],
         e["endpoint"]["address"]["socket_address"]["port_value"])
        for e in cluster["load_assignment"]["endpoints"][0]["lb_endpoints"]
    }
    assert endpoints == {("scheduler-a", 50051), ("scheduler-b", 50051)}
    listener = config["static_resources"]["listeners"][0]
    routes = listener["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]
    assert routes["virtual_hosts"][0]["routes"][0]["route"]["cluster"] == cluster["name"]
    port = listener["address"]["socket_address"]["port_value"]
    assert f"127.0.0.1:{port}:{port}" in compose["services"]["envoy"]["ports"]


def test_prometheus_scrapes_both_scheduler_replicas(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((COMPOSE_DIR / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = set(jobs["scheduler"]["static_configs"][0]["targets"])
    expected = set()
    for name in ("scheduler-a", "scheduler-b"):
        port = compose["services"][name]["environment"]["ROADLABEL_METRICS_PORT"]
        expected.add(f"{name}:{port}")
    assert targets == expected


def test_grafana_provisions_prometheus_and_the_dashboards(
    compose: dict[str, Any], interpolate: Interpolate
) -> None:
    volumes = compose["services"]["grafana"]["volumes"]
    mounts = {target: source for source, target in (_target(m, interpolate) for m in volumes)}
    provisioning = mounts["/etc/grafana/provisioning"]
    assert provisioning == DEPLOY / "grafana" / "provisioning"
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yaml").read_text())
    (source,) = datasources["datasources"]
    assert source["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((provisioning / "dashboards" / "roadlabel.yaml").read_text())
    dashboard_dir = mounts[provider["providers"][0]["options"]["path"]]
    dashboards = sorted(dashboard_dir.glob("*.json"))
    assert dashboards
    for path in dashboards:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["panels"]
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert all(t["expr"] for t in panel["targets"]), panel["title"]
