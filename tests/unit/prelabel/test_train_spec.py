"""The training network's spec: box grid by stride, lane head unchanged (no torch needed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from workers.prelabel.train import (
    TRAIN_SEED0,
    _load_cache,
    build_parser,
    main,
    make_spec,
    spec_from_args,
)


def test_box_stride_sets_the_box_grid_and_keeps_the_lane_layout() -> None:
    coarse, fine = make_spec(144, 256, 8), make_spec(144, 256, 8, box_stride=4)
    assert (coarse.grid_height, coarse.grid_width) == (18, 32)
    assert (fine.grid_height, fine.grid_width) == (36, 64)
    assert fine.stride == (4.0, 4.0)
    assert (fine.n_lanes, fine.lane_rows) == (coarse.n_lanes, coarse.lane_rows)


@pytest.mark.parametrize(("args", "message"), [((144, 256, 8, 2), "box stride 2"),
                                                ((140, 256, 8, 8), "multiple of 8"),
                                                ((144, 256, 5, 8), "even number")])
def test_bad_network_shapes_are_refused_with_the_reason(args: tuple[int, ...],
                                                         message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_spec(*args)


def test_render_only_writes_a_cache_that_loads_for_the_same_stride(tmp_path: Path) -> None:
    cache = tmp_path / "scenes.npz"
    args = ["--render-only", "--box-stride", "4", "--input", "48x80", "--lanes", "4",
            "--sequences", "1", "--frames", "2", "--step", "1", "--seed0", str(TRAIN_SEED0),
            "--cache", str(cache)]
    assert main(args) == 0
    data = _load_cache(cache, make_spec(48, 80, 4, box_stride=4))
    assert data["image"].shape == (2, 3, 48, 80)
    assert data["heatmap"].shape[2:] == (12, 20)
    with pytest.raises(SystemExit, match="--box-stride"):
        _load_cache(cache, make_spec(48, 80, 4, box_stride=8))


def test_render_only_without_cache_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--render-only"])
    assert exit_info.value.code == 2
    assert "--cache" in capsys.readouterr().err


def test_the_defaults_train_the_committed_models_architecture() -> None:
    from workers.prelabel.contract import baseline_config
    from workers.prelabel.predictor import Predictor

    committed = Predictor(baseline_config(providers=("CPUExecutionProvider",))).spec
    args = build_parser().parse_args([])
    default = spec_from_args(args)
    assert replace(default, model_version=committed.model_version) == committed
    assert args.out.parts[0] == "build"  # a run never overwrites the committed model
