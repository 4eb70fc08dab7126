"""Label documents for exporter tests: boxes in view at several yaws, lanes, two sequences."""

from __future__ import annotations

import math

from roadlabel.labels import Box3D, Calibration, FrameLabels, LabelDocument, Lane

CAL = Calibration.default_for(1280, 720)
CALS = {"seq-a": CAL, "seq-b": CAL}


def frame(i: int, dx: float = 0.0) -> FrameLabels:
    """A frame with a car, a truck turning and a pedestrian, plus two lanes."""
    boxes = (
        Box3D("a-car", "car", 12.0 + dx, 1.0, 0.8, 4.5, 1.9, 1.6, 0.1, 0.9, {"parked": "no"}),
        Box3D("a-truck", "truck", 25.0, -3.5, 1.6, 9.0, 2.5, 3.2, -2.5, 0.8),
        Box3D("a-ped", "pedestrian", 9.0, 3.0, 0.9, 0.6, 0.7, 1.8, math.pi / 2, 0.7),
    )
    lanes = (
        Lane("l-left", "dashed", "white", ((5.0, 1.8, 0.0), (20.0, 1.9, 0.0), (40.0, 2.1, 0.0)),
             ((300.0, 700.0), (520.0, 420.0))),
        Lane("l-right", "double_solid", "yellow", ((5.0, -1.8, 0.0), (40.0, -1.7, 0.0))),
    )
    return FrameLabels(i, 0.1 * i, boxes, lanes)


def documents() -> list[LabelDocument]:
    """Two overlapping segments of seq-a and one segment of seq-b."""
    return [
        LabelDocument("seq-a", 0, tuple(frame(i, 0.5 * i) for i in range(0, 4))),
        LabelDocument("seq-a", 3, tuple(frame(i, 0.5 * i) for i in range(3, 6))),
        LabelDocument("seq-b", 0, tuple(frame(i) for i in range(0, 2))),
    ]
