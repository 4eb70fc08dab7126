"""Capacity model: how many CPU and GPU nodes a batch of driving video needs, how long, what cost.

The batch flows through two stages that run concurrently as a streaming Ray pipeline:

* ingest on CPU nodes: every source frame is decoded (H.264 needs all frames to reach the
  sampled ones), then each sampled frame is resized and encoded as JPEG;
* pre-label on GPU nodes: every sampled frame goes through the ONNX models.

Each stage is sized on its own so that it finishes within the deadline at the planned
utilisation (headroom for retries, stragglers and I/O). Wall time is the slowest stage's.
Cost counts the node-hours each stage keeps busy, because the Ray autoscaler releases a group's
nodes once its work is done; it is compute only (no storage, network or control plane).
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roadlabel.errors import ConfigError, UserError

#: File name of the rates file, found in the source tree or under ``<prefix>/share/roadlabel``.
RATES_FILE = "capacity_rates.json"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_HOURS_PER_UNIT = {"s": 1 / 3600, "m": 1 / 60, "h": 1.0, "": 1.0, "d": 24.0}


@dataclass(frozen=True)
class Workload:
    """A batch of video to turn around."""

    hours: float
    sample_hz: float
    source_fps: float
    deadline_h: float

    @property
    def source_frames(self) -> float:
        """Frames the decoders must decode."""
        return self.hours * 3600 * self.source_fps

    @property
    def sampled_frames(self) -> float:
        """Frames kept, encoded, pre-labelled and annotated."""
        return self.hours * 3600 * self.sample_hz


@dataclass(frozen=True)
class Instance:
    """A node type: rate units (vCPUs or GPUs) per node, hourly price, and a node-count cap."""

    name: str
    units: int
    usd_per_hour: float
    max_nodes: int | None = None


@dataclass(frozen=True)
class Rates:
    """Per-unit throughputs and node prices."""

    decode_fps_per_vcpu: float
    encode_fps_per_vcpu: float
    prelabel_fps_per_gpu: float
    utilisation: float
    cpu: Instance
    gpu: Instance


@dataclass(frozen=True)
class StagePlan:
    """One stage's share of the plan."""

    name: str
    instance: Instance
    unit: str
    unit_hours: float
    nodes: int
    hours: float
    cost_usd: float


@dataclass(frozen=True)
class Plan:
    """Nodes, time and cost for a workload."""

    workload: Workload
    stages: tuple[StagePlan, ...]

    @property
    def wall_hours(self) -> float:
        """Expected wall time: the stages overlap, so the slowest one sets it."""
        return max(stage.hours for stage in self.stages)

    @property
    def cost_usd(self) -> float:
        """Compute cost of the whole batch."""
        return sum(stage.cost_usd for stage in self.stages)

    @property
    def usd_per_frame(self) -> float:
        """Compute cost per sampled frame."""
        return self.cost_usd / self.workload.sampled_frames

    @property
    def meets_deadline(self) -> bool:
        """Whether the expected wall time fits in the deadline."""
        return self.wall_hours <= self.workload.deadline_h


def parse_duration_hours(text: str) -> float:
    """Hours in a duration like ``24h``, ``90m``, ``2d``, ``3600s`` or ``12`` (hours)."""
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise UserError(f"duration {text!r} is not understood", "write it like 24h, 90m or 2d")
    return float(match.group(1)) * _HOURS_PER_UNIT[match.group(2)]


def make_workload(hours: float, sample_hz: float, source_fps: float, deadline_h: float) -> Workload:
    """A checked workload; raise UserError naming the first impossible value."""
    limits = (("--hours", hours, 1e6), ("--hz", sample_hz, 1e4), ("--source-fps", source_fps, 1e4))
    for name, value, most in limits:
        if not 0 < value <= most:
            raise UserError(f"{name} {value} is not in (0, {most:g}]",
                            f"give {name} a number above 0 and at most {most:g}")
    if sample_hz > source_fps:
        raise UserError(
            f"--hz {sample_hz} exceeds the source frame rate {source_fps}",
            "sample at most --source-fps frames per second",
        )
    return Workload(hours, sample_hz, source_fps, deadline_h)


def plan(workload: Workload, rates: Rates) -> Plan:
    """Size each stage to meet the deadline and derive wall time and cost."""
    decode_s = workload.source_frames / rates.decode_fps_per_vcpu
    encode_s = workload.sampled_frames / rates.encode_fps_per_vcpu
    prelabel_s = workload.sampled_frames / rates.prelabel_fps_per_gpu
    return Plan(
        workload,
        (
            _stage("ingest", rates.cpu, "vCPU", decode_s + encode_s, workload, rates),
            _stage("prelabel", rates.gpu, "GPU", prelabel_s, workload, rates),
        ),
    )


def _stage(
    name: str, instance: Instance, unit: str, unit_s: float, workload: Workload, rates: Rates
) -> StagePlan:
    unit_hours = unit_s / 3600
    # Effective unit-hours one node delivers within the deadline.
    per_node = instance.units * rates.utilisation * workload.deadline_h
    nodes = max(1, math.ceil(unit_hours / per_node - 1e-9))
    if instance.max_nodes is not None:
        nodes = min(nodes, instance.max_nodes)  # the cap wins; the plan then misses the deadline
    hours = unit_hours / (nodes * instance.units * rates.utilisation)
    cost = nodes * hours * instance.usd_per_hour
    return StagePlan(name, instance, unit, unit_hours, nodes, hours, cost)


def default_rates_path() -> Path:
    """The rates file of the source tree, else the one installed under ``<prefix>/share``."""
    candidates = (
        Path(__file__).resolve().parents[1] / "deploy" / RATES_FILE,
        Path(sys.prefix) / "share" / "roadlabel" / RATES_FILE,
    )
    for path in candidates:
        if path.is_file():
            return path
    raise ConfigError(
        f"no {RATES_FILE} found in {', '.join(str(p.parent) for p in candidates)}",
        "pass --rates FILE (a copy of deploy/capacity_rates.json)",
    )


def load_rates(path: Path) -> Rates:
    """Read a rates file; raise ConfigError naming a missing or non-positive figure."""
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"cannot read rates file {path}: {exc}", "pass a JSON file") from None
    return rates_from_mapping(data, str(path))


def rates_from_mapping(data: Mapping[str, Any], origin: str = "rates") -> Rates:
    """Rates from the parsed JSON document (see deploy/capacity_rates.json)."""
    figures = data.get("rates", {})
    instances = data.get("instances", {})
    return Rates(
        decode_fps_per_vcpu=_figure(figures, "decode_fps_per_vcpu", origin),
        encode_fps_per_vcpu=_figure(figures, "encode_fps_per_vcpu", origin),
        prelabel_fps_per_gpu=_figure(figures, "prelabel_fps_per_gpu", origin),
        utilisation=_fraction(_figure(figures, "utilisation", origin), origin),
        cpu=_instance(instances, "cpu", "vcpus", origin),
        gpu=_instance(instances, "gpu", "gpus", origin),
    )


def _figure(section: Mapping[str, Any], key: str, origin: str) -> float:
    entry = section.get(key)
    value = entry.get("value") if isinstance(entry, Mapping) else entry
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(
            f"{origin}: {key} is missing or not a positive number",
            f'set "{key}": {{"value": <number>, "source": "..."}}',
        )
    return float(value)


def _fraction(value: float, origin: str) -> float:
    if value > 1:
        raise ConfigError(f"{origin}: utilisation {value} is above 1", "set a fraction in (0, 1]")
    return value


def _instance(section: Mapping[str, Any], key: str, units_key: str, origin: str) -> Instance:
    entry = section.get(key)
    if not isinstance(entry, Mapping) or not isinstance(entry.get("type"), str):
        raise ConfigError(f"{origin}: instances.{key} has no type", f"describe the {key} node type")
    where = f"{origin} instances.{key}"
    units = _figure(entry, units_key, where)
    price = _figure(entry, "usd_per_hour", where)
    cap = int(_figure(entry, "max_nodes", where)) if "max_nodes" in entry else None
    return Instance(entry["type"], int(units), price, cap)


def format_plan(result: Plan) -> str:
    """A human-readable table of the plan."""
    w = result.workload
    lines = [
        f"workload: {w.hours:g} h of video at {w.source_fps:g} fps, sampled at {w.sample_hz:g} Hz"
        f" -> {w.sampled_frames:,.0f} frames; deadline {w.deadline_h:g} h",
        f"{'stage':<10}{'node type':<16}{'nodes':>6}{'unit-hours':>14}{'hours':>9}{'cost USD':>12}",
    ]
    for s in result.stages:
        lines.append(
            f"{s.name:<10}{s.instance.name:<16}{s.nodes:>6}{s.unit_hours:>10,.1f} {s.unit:<4}"
            f"{s.hours:>8.1f}{s.cost_usd:>12,.2f}"
        )
    verdict = "meets" if result.meets_deadline else "MISSES"
    per_frame = result.usd_per_frame
    lines += [
        f"expected wall time: {result.wall_hours:.1f} h ({verdict} the {w.deadline_h:g} h target)",
        f"compute cost: {result.cost_usd:,.2f} USD = {per_frame:.3g} USD per frame"
        f" ({per_frame * 1000:.3g} USD per 1,000 frames)",
    ]
    return "\n".join(lines)


def plan_as_dict(result: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data."""
    return {
        "workload": vars(result.workload) | {"sampled_frames": result.workload.sampled_frames},
        "stages": [
            {
                "name": s.name,
                "node_type": s.instance.name,
                "nodes": s.nodes,
                "unit": s.unit,
                "unit_hours": s.unit_hours,
                "hours": s.hours,
                "cost_usd": s.cost_usd,
            }
            for s in result.stages
        ],
        "wall_hours": result.wall_hours,
        "cost_usd": result.cost_usd,
        "usd_per_frame": result.usd_per_frame,
        "meets_deadline": result.meets_deadline,
    }
