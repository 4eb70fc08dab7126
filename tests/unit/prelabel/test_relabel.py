"""Lane targets re-encoded from scenes: same as the rendered set, more slots keep more lanes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workers.prelabel import relabel
from workers.prelabel.train import (
    LANE_FIELDS,
    TRAIN_SEED0,
    build_dataset,
    make_spec,
    widen_lane_slots,
)

# Scene 50001 has four lane markings left of the ego car and one to its right.
FOUR_LEFT_SEED = 50001


def test_lane_targets_are_those_of_the_rendered_dataset() -> None:
    spec = make_spec(96, 160)
    rendered = build_dataset(spec, 2, 8, 4, seed0=TRAIN_SEED0)
    targets = relabel.lane_targets(spec, TRAIN_SEED0, 2, 8, 4)
    for key in relabel.LANE_KEYS:
        np.testing.assert_allclose(targets[key], rendered[key])


def test_eight_slots_keep_the_fourth_marking_on_one_side() -> None:
    six = relabel.lane_targets(make_spec(96, 160, 6), FOUR_LEFT_SEED, 1, 1, 1)["lane_exist"][0]
    eight = relabel.lane_targets(make_spec(96, 160, 8), FOUR_LEFT_SEED, 1, 1, 1)["lane_exist"][0]
    assert six.tolist() == [1, 1, 1, 1, 0, 0]
    assert eight.tolist() == [1, 1, 1, 1, 1, 0, 0, 0]


def test_widened_slots_keep_their_side_and_rank() -> None:
    old = np.repeat(np.arange(6.0), LANE_FIELDS)[:, None] * np.ones((1, 3))
    new = widen_lane_slots(old, 6, 8).reshape(8, LANE_FIELDS, 3)[:, 0, 0]
    assert new.tolist() == [0, 0, 1, 2, 3, 4, 5, 5]


def test_a_wrong_seed_range_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    spec = make_spec(96, 160)
    cache, out = tmp_path / "ds.npz", tmp_path / "ds8.npz"
    np.savez(cache, **build_dataset(spec, 2, 4, 2, seed0=TRAIN_SEED0))  # type: ignore[arg-type]
    argv = [str(cache), "--sequences", "2", "--frames", "4", "--step", "2", "--lanes", "8",
            "--out", str(out)]
    with pytest.raises(SystemExit, match="not those of seeds"):
        relabel.main([*argv, "--seed0", str(TRAIN_SEED0 + 7)])
    assert not out.exists()
    assert relabel.main([*argv, "--seed0", str(TRAIN_SEED0)]) == 0
    assert np.load(out)["lane_exist"].shape == (4, 8)



def test_an_odd_lane_count_is_refused_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        relabel.main(["ds.npz", "--seed0", "0", "--sequences", "1", "--frames", "1",
                      "--step", "1", "--lanes", "7", "--out", "x.npz"])
    assert exit_.value.code == 2
    assert "give an even number of lane slots" in capsys.readouterr().err
