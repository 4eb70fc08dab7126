"""Image-plane boxes: what the 2D formats (COCO, VOC, YOLO, Scalabel) carry.

A 3D box becomes the rectangle around its 8 projected corners, clipped to the image
(``geometry.box_2d``); boxes with a corner behind the camera are left out. Pixel coordinates
have their origin at the top-left corner of the image, x to the right, y down.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from roadlabel.exports.frames import by_sequence
from roadlabel.exports.geometry import box_2d
from roadlabel.labels import Calibration, LabelDocument


@dataclass(frozen=True)
class Box2D:
    """One rectangle in one frame's image."""

    sequence_id: str
    frame_index: int
    track_id: str
    category: str
    x1: float
    y1: float
    x2: float
    y2: float
    score: float = 1.0


def project_documents(documents: Sequence[LabelDocument],
                      calibrations: Mapping[str, Calibration]) -> list[Box2D]:
    """Every visible box of every unique frame, in sequence / frame / label order."""
    out = []
    for seq, frames in by_sequence(documents).items():
        cal = calibrations[seq]
        for f in frames:
            for b in f.boxes:
                rect = box_2d(cal, b)
                if rect is not None:
                    out.append(Box2D(seq, f.frame_index, b.track_id, b.category, *rect, b.score))
    return out


def categories(boxes: Sequence[Box2D]) -> list[str]:
    """Class names whose 1-based position is the COCO id, 0-based the YOLO id.

    The built-in ontology's classes come first in its order, whether present or not, so a
    class keeps its id from one snapshot to the next; classes outside it follow, sorted.
    """
    from roadlabel import ontology

    known = list(ontology.default().classes)
    return known + sorted({b.category for b in boxes} - set(known))
