"""Fixtures: detections made from synthetic ground truth (ids stripped, noisy, some dropped)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from roadlabel.labels import FrameLabels, LabelDocument

Detections = tuple[list[FrameLabels], dict[tuple[int, int], str]]


@pytest.fixture
def as_detections() -> Callable[..., Detections]:
    """The detection maker below, as a fixture."""
    return make_detections


def make_detections(doc: LabelDocument, seed: int, noise_m: float = 0.15,
                    drop: float = 0.1) -> Detections:
    """Noisy, shuffled, anonymous boxes; returns frames and (frame, box index) -> true id."""
    rng = np.random.default_rng(seed)
    frames, truth = [], {}
    for f in doc.frames:
        boxes = [b for b in f.boxes if int(b.attributes["visible_px"]) >= 20]
        boxes = [b for b in boxes if rng.random() >= drop]
        order = rng.permutation(len(boxes))
        dets = []
        for k, i in enumerate(order):
            b = boxes[int(i)]
            truth[(f.frame_index, k)] = b.track_id
            dx, dy = rng.normal(0.0, noise_m, size=2)
            dets.append(replace(b, track_id=f"det-{k}", x=b.x + dx, y=b.y + dy, attributes={}))
        frames.append(replace(f, boxes=tuple(dets)))
    return frames, truth
