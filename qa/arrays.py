"""Column arrays of a label document: built once, then every check is vectorised over them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np
from numpy.typing import ArrayLike, NDArray

from roadlabel.labels import LabelDocument

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class BoxArrays:
    """All boxes of a document, sorted by (track, frame); ``frame`` is the frame's position."""

    frame: IntArray
    track: IntArray
    category: IntArray
    xyz: FloatArray  # (N, 3) ego frame
    lwh: FloatArray  # (N, 3)
    yaw: FloatArray

    def __len__(self) -> int:
        return int(self.frame.shape[0])


@dataclass(frozen=True, eq=False)
class LaneArrays:
    """All lanes of a document, sorted by (lane, frame); vertices padded with NaN."""

    frame: IntArray
    lane: IntArray
    vertices: FloatArray  # (L, P, 2) x, y in the ego frame
    n_vertices: IntArray

    def __len__(self) -> int:
        return int(self.frame.shape[0])


@dataclass(frozen=True, eq=False)
class DocumentArrays:
    """A document as arrays; names are looked up through the code tuples."""

    frame_index: IntArray  # (F,) frame index of each frame position
    timestamp_s: FloatArray  # (F,)
    track_ids: tuple[str, ...]
    categories: tuple[str, ...]
    lane_ids: tuple[str, ...]
    boxes: BoxArrays
    lanes: LaneArrays
    ego_poses: FloatArray | None = None  # (F, 3) ego x, y, yaw in a world frame


def document_to_arrays(
    doc: LabelDocument, ego_poses: ArrayLike | None = None
) -> DocumentArrays:
    """Column arrays of ``doc``; ``ego_poses`` (one (x, y, yaw) per frame) is optional."""
    frames = doc.frames
    frame_index = np.fromiter((f.frame_index for f in frames), np.intp, len(frames))
    stamps = np.fromiter((f.timestamp_s for f in frames), np.float64, len(frames))
    boxes, track_ids, categories = _boxes(doc)
    lanes, lane_ids = _lanes(doc)
    return DocumentArrays(
        frame_index, stamps, track_ids, categories, lane_ids, boxes, lanes,
        _ego(ego_poses, len(frames)),
    )


def _codes(names: Sequence[str]) -> tuple[IntArray, tuple[str, ...]]:
    table: dict[str, int] = {}
    codes = np.fromiter((table.setdefault(n, len(table)) for n in names), np.intp, len(names))
    return codes, tuple(table)


_BOX_NUMBERS = attrgetter("x", "y", "z", "length", "width", "height", "yaw")


def _boxes(doc: LabelDocument) -> tuple[BoxArrays, tuple[str, ...], tuple[str, ...]]:
    boxes = [b for fr in doc.frames for b in fr.boxes]
    n = len(boxes)
    # fromiter over a flat chain is the fastest way from attributes to an array.
    values = np.fromiter(chain.from_iterable(map(_BOX_NUMBERS, boxes)), np.float64, 7 * n)
    values = values.reshape(n, 7)
    track, track_ids = _codes(list(map(attrgetter("track_id"), boxes)))
    category, categories = _codes(list(map(attrgetter("category"), boxes)))
    sizes = np.fromiter((len(fr.boxes) for fr in doc.frames), np.intp, len(doc.frames))
    frame = np.repeat(np.arange(len(doc.frames)), sizes)
    order = np.lexsort((frame, track))
    arrays = BoxArrays(
        frame[order], track[order], category[order], values[order, 0:3],
        values[order, 3:6], values[order, 6],
    )
    return arrays, track_ids, categories


def _lanes(doc: LabelDocument) -> tuple[LaneArrays, tuple[str, ...]]:
    lanes = [lane for fr in doc.frames for lane in fr.lanes]
    frame = np.repeat(
        np.arange(len(doc.frames)),
        np.fromiter((len(fr.lanes) for fr in doc.frames), np.intp, len(doc.frames)),
    )
    counts = np.fromiter((len(x.points_ego) for x in lanes), np.intp, len(lanes))
    total = int(counts.sum())
    pts = np.fromiter(
        chain.from_iterable(chain.from_iterable(x.points_ego for x in lanes)), np.float64,
        3 * total,
    ).reshape(total, 3)
    vertices = np.full((len(lanes), max(int(counts.max(initial=0)), 2), 2), np.nan)
    row = np.repeat(np.arange(len(lanes)), counts)
    col = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    vertices[row, col] = pts[:, :2]
    code, lane_ids = _codes([x.lane_id for x in lanes])
    order = np.lexsort((frame, code))
    return LaneArrays(frame[order], code[order], vertices[order], counts[order]), lane_ids


def _ego(ego_poses: ArrayLike | None, n_frames: int) -> FloatArray | None:
    if ego_poses is None:
        return None
    poses = np.asarray(ego_poses, np.float64)
    if poses.shape != (n_frames, 3):
        raise ValueError(f"ego_poses must have shape ({n_frames}, 3), got {poses.shape}")
    return poses
