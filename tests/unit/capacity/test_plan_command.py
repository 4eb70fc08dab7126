"""``roadlabel plan`` prints the model's plan and exits by whether it meets the deadline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from roadlabel.cli.main import main

RATES = {
    "rates": {
        "decode_fps_per_vcpu": 100,
        "encode_fps_per_vcpu": 50,
        "prelabel_fps_per_gpu": 100,
        "utilisation": 0.5,
    },
    "instances": {
        "cpu": {"type": "cpu-10", "vcpus": 10, "usd_per_hour": 2.0},
        "gpu": {"type": "gpu-1", "gpus": 1, "usd_per_hour": 3.0, "max_nodes": 4},
    },
}


@pytest.fixture
def rates_file(tmp_path: Path) -> Path:
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(RATES))
    return path


def test_json_plan_for_one_hour(rates_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--hours", "1", "--hz", "10", "--deadline", "120m"]
    status = main([*argv, "--rates", str(rates_file), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [s["nodes"] for s in out["stages"]] == [1, 1]
    assert out["wall_hours"] == pytest.approx(0.2)
    assert out["cost_usd"] == pytest.approx(0.8)
    assert out["usd_per_frame"] == pytest.approx(0.8 / 36_000)


def test_table_shows_stages_and_a_missed_deadline(
    rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["plan", "--hours", "100", "--deadline", "1h", "--rates", str(rates_file)])
    out = capsys.readouterr().out
    assert status == 1
    assert "prelabel  gpu-1" in out and "MISSES" in out
    assert "expected wall time: 5.0 h" in out


def test_bad_input_is_one_line_and_exit_2(
    rates_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--hours", "1", "--deadline", "soon", "--rates", str(rates_file)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: duration 'soon'") and err.count("\n") == 1


def test_unreadable_rates_file_is_a_user_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--hours", "1", "--rates", str(tmp_path / "missing.json")]) == 2
    assert "cannot read rates file" in capsys.readouterr().err
