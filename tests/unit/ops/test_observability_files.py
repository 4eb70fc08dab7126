"""The Grafana dashboard and Prometheus alert rules parse and name only exported metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from scheduler.metrics import METRIC_NAMES

ROOT = Path(__file__).resolve().parents[3]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "roadlabel.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"

FUNCTIONS = {"sum", "max", "min", "avg", "count", "rate", "irate", "increase", "delta",
             "histogram_quantile", "clamp_min", "clamp_max", "vector", "abs", "time",
             "max_over_time", "min_over_time", "avg_over_time", "absent", "topk", "bottomk"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset"}
SUFFIXES = ("_bucket", "_sum", "_count", "_total")


def series_names(expr: str) -> set[str]:
    """Every metric name a PromQL expression selects (functions and keywords excluded)."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", r"\1", expr)
    expr = re.sub(r"(?<![\w.])\d+(\.\d+)?([eE][-+]?\d+)?", "0", expr)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", expr):
        token, rest = m.group(), expr[m.end():].lstrip()
        if token in KEYWORDS or token in FUNCTIONS:
            continue  # an aggregation may be followed by "by (...)" before its "("
        assert not rest.startswith("("), f"unknown PromQL function {token!r}"
        names.add(token)
    return names


def exported(name: str) -> bool:
    """Whether the scheduler exports this series (histogram/counter suffixes allowed)."""
    if name in METRIC_NAMES:
        return True
    return any(name.endswith(s) and name[: -len(s)] in METRIC_NAMES for s in SUFFIXES)


def test_the_checker_finds_names_and_rejects_unknown_ones() -> None:
    assert series_names('sum by (stage) (rate(foo_total{a="b c"}[5m])) > 1e-9 and on () '
                        'max(bar) == 0') == {"foo_total", "bar"}
    assert exported("roadlabel_rpc_latency_seconds_bucket")
    assert exported("roadlabel_queue_depth")
    assert not exported("roadlabel_queue_depth_seconds")
    with pytest.raises(AssertionError):
        series_names("made_up_fn(roadlabel_queue_depth)")


def _dashboard_exprs() -> list[str]:
    dash = json.loads(DASHBOARD.read_text())
    return [t["expr"] for p in dash["panels"] for t in p["targets"]]


def test_dashboard_parses_and_uses_only_exported_metrics() -> None:
    dash = json.loads(DASHBOARD.read_text())
    assert dash["uid"] and dash["title"] and dash["panels"]
    assert len({p["id"] for p in dash["panels"]}) == len(dash["panels"])
    names: set[str] = set()
    for expr in _dashboard_exprs():
        names |= series_names(expr)
    for var in dash["templating"]["list"]:
        inner = re.fullmatch(r"label_values\((\w+), *\w+\)", var["query"]["query"])
        assert inner, var["query"]
        names.add(inner.group(1))
    assert names and all(exported(n) for n in names), sorted(n for n in names if not exported(n))
    # The panels ops asked for: throughput, ETA/risk, cost against target, queues, expiries.
    for wanted in ("roadlabel_batch_accepted_frames_per_hour", "roadlabel_batch_eta_seconds",
                   "roadlabel_batch_at_risk", "roadlabel_batch_projected_cost_per_frame",
                   "roadlabel_batch_target_cost_per_frame", "roadlabel_queue_depth",
                   "roadlabel_lease_expiries_total"):
        assert wanted in names, wanted


def test_alert_rules_parse_and_use_only_exported_metrics() -> None:
    doc = yaml.safe_load(ALERTS.read_text())
    rules = [r for g in doc["groups"] for r in g["rules"]]
    assert len({r["alert"] for r in rules}) == len(rules)
    used: dict[str, set[str]] = {}
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+[smh]", rule["for"])
        names = series_names(rule["expr"])
        assert names and all(exported(n) for n in names), (rule["alert"], names)
        used[rule["alert"]] = names
    everything = set().union(*used.values())
    # SLA at risk, cost per frame above target, lease-expiry rate, queue depth per stage.
    assert "roadlabel_batch_at_risk" in everything
    assert {"roadlabel_batch_projected_cost_per_frame",
            "roadlabel_batch_target_cost_per_frame"} <= everything
    assert "roadlabel_lease_expiries_total" in everything
    assert "roadlabel_queue_depth" in everything
