"""The training network's spec: box grid by stride, lane head unchanged (no torch needed)."""

from __future__ import annotations

import pytest

from workers.prelabel.train import make_spec


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
