"""The capacity model sizes stages, wall time and cost as computed by hand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from roadlabel import capacity
from roadlabel.errors import ConfigError, UserError

REPO = Path(__file__).resolve().parents[3]


def _rates(**overrides: Any) -> dict[str, Any]:
    """Round figures so that the expected plans can be worked out by hand."""
    doc: dict[str, Any] = {
        "rates": {
            "decode_fps_per_vcpu": {"value": 100, "source": "test"},
            "encode_fps_per_vcpu": {"value": 50, "source": "test"},
            "prelabel_fps_per_gpu": {"value": 100, "source": "test"},
            "utilisation": {"value": 0.5, "source": "test"},
        },
        "instances": {
            "cpu": {"type": "cpu-10", "vcpus": 10, "usd_per_hour": 2.0},
            "gpu": {"type": "gpu-1", "gpus": 1, "usd_per_hour": 3.0, "max_nodes": 4},
        },
    }
    doc["rates"].update(overrides)
    return doc


def test_one_hour_plan_matches_hand_computation() -> None:
    # 1 h at 30 fps = 108,000 decoded frames (1,080 vCPU-s); 36,000 sampled at 10 Hz
    # (720 vCPU-s to encode, 360 GPU-s to pre-label). Deadline 2 h at 50% utilisation:
    # a CPU node gives 10 vCPU-h, a GPU node 1 GPU-h, so one of each suffices.
    rates = capacity.rates_from_mapping(_rates())
    result = capacity.plan(capacity.make_workload(1, 10, 30, 2), rates)
    ingest, prelabel = result.stages
    assert (ingest.nodes, prelabel.nodes) == (1, 1)
    assert ingest.unit_hours == pytest.approx(0.5)  # 1,800 vCPU-s
    assert ingest.hours == pytest.approx(0.1)  # 0.5 / (10 vCPU x 0.5)
    assert ingest.cost_usd == pytest.approx(0.2)
    assert prelabel.unit_hours == pytest.approx(0.1)
    assert prelabel.hours == pytest.approx(0.2)  # 0.1 / (1 GPU x 0.5)
    assert prelabel.cost_usd == pytest.approx(0.6)
    assert result.wall_hours == pytest.approx(0.2)
    assert result.cost_usd == pytest.approx(0.8)
    assert result.usd_per_frame == pytest.approx(0.8 / 36_000)
    assert result.meets_deadline


def test_node_counts_round_up_and_the_node_cap_makes_the_plan_miss() -> None:
    # 100 h in 1 h: 50 vCPU-h over 5 vCPU-h per node = exactly 10 CPU nodes finishing in 1 h;
    # 10 GPU-h need 20 GPU nodes but the cap is 4, so pre-label takes 10 / (4 x 0.5) = 5 h.
    rates = capacity.rates_from_mapping(_rates())
    result = capacity.plan(capacity.make_workload(100, 10, 30, 1), rates)
    ingest, prelabel = result.stages
    assert (ingest.nodes, ingest.hours, ingest.cost_usd) == pytest.approx((10, 1.0, 20.0))
    assert (prelabel.nodes, prelabel.hours, prelabel.cost_usd) == pytest.approx((4, 5.0, 60.0))
    assert result.wall_hours == pytest.approx(5.0)
    assert not result.meets_deadline


def test_a_partial_node_needs_a_whole_one() -> None:
    # 2.2 h: 1.1 vCPU-h over 1 h deadline at 5 vCPU-h per node is 0.22 of a node -> 1 node;
    # 0.22 GPU-h over 0.5 GPU-h per node -> 1 node, busy 0.44 h.
    rates = capacity.rates_from_mapping(_rates())
    result = capacity.plan(capacity.make_workload(2.2, 10, 30, 1), rates)
    assert [s.nodes for s in result.stages] == [1, 1]
    assert result.stages[1].hours == pytest.approx(0.44)


@pytest.mark.parametrize(
    ("text", "hours"),
    [("24h", 24), ("90m", 1.5), ("2d", 48), ("3600s", 1), ("12", 12), (" 1.5h ", 1.5)],
)
def test_durations_parse_to_hours(text: str, hours: float) -> None:
    assert capacity.parse_duration_hours(text) == pytest.approx(hours)


@pytest.mark.parametrize("text", ["0h", "-1h", "1x", "h", ""])
def test_bad_durations_are_user_errors(text: str) -> None:
    with pytest.raises(UserError, match="not understood"):
        capacity.parse_duration_hours(text)


def test_sampling_faster_than_the_camera_is_refused() -> None:
    with pytest.raises(UserError, match="exceeds the source frame rate"):
        capacity.make_workload(1, 60, 30, 24)


def test_a_missing_or_bad_rate_is_named() -> None:
    doc = _rates()
    del doc["rates"]["encode_fps_per_vcpu"]
    with pytest.raises(ConfigError, match="encode_fps_per_vcpu"):
        capacity.rates_from_mapping(doc)
    with pytest.raises(ConfigError, match="utilisation"):
        capacity.rates_from_mapping(_rates(utilisation={"value": 1.5}))
    with pytest.raises(ConfigError, match="prelabel_fps_per_gpu"):
        capacity.rates_from_mapping(_rates(prelabel_fps_per_gpu={"value": 0}))


def test_shipped_rates_load_and_say_where_each_figure_came_from() -> None:
    path = REPO / "deploy" / capacity.RATES_FILE
    assert capacity.default_rates_path() == path
    rates = capacity.load_rates(path)
    assert rates.cpu.units > 0 and rates.gpu.units > 0
    doc = json.loads(path.read_text())
    for name, figure in doc["rates"].items():
        assert figure["source"], name
        # A figure that was not measured must be flagged as an assumption.
        assert figure["measured"] or figure["assumption"], name
    for name, instance in doc["instances"].items():
        assert "price" in instance["source"].lower(), name


def test_shipped_rates_carry_1000_hours_within_a_day() -> None:
    """The design's target: 1,000 h at 10 Hz turned around in 24 h under 0.50 USD per frame."""
    rates = capacity.load_rates(REPO / "deploy" / capacity.RATES_FILE)
    result = capacity.plan(capacity.make_workload(1000, 10, 30, 24), rates)
    assert result.workload.sampled_frames == 36_000_000
    assert result.meets_deadline
    assert result.usd_per_frame < 0.5
