"""Decoding contract outputs of one frame into ego-frame boxes and lanes (numpy only).

Boxes: a heatmap peak in cell (gy, gx) is a projected box centre at pixel
((gx + 0.5 + du) * stride_x, (gy + 0.5 + dv) * stride_y) of the model input, at camera depth
exp(log_depth); it is lifted through the intrinsics and camera_to_ego. The yaw is regressed
relative to the viewing ray (yaw = alpha + azimuth of the centre seen from the camera),
because that is what the image shows regardless of where the object is.
Lanes: row-anchor columns with visibility, lifted onto the ground plane z = 0.
"""

from __future__ import annotations

import math

import numpy as np

from roadlabel.labels import LANE_COLORS, LANE_TYPES, Box3D, Calibration, Lane, wrap_yaw
from workers.prelabel.camera import camera_to_ego_matrix, camera_to_ego_points, lift_to_ground
from workers.prelabel.contract import ModelSpec


def peaks(heatmap: np.ndarray, threshold: float, max_peaks: int) -> list[tuple[int, int, int]]:
    """(class, gy, gx) of 3x3 local maxima above threshold, best first (at most max_peaks).

    A cell holds one object centre: where two classes peak in the same cell (a cyclist seen
    from behind looks like a pedestrian), only the more likely class is kept.
    """
    c, h, w = heatmap.shape
    padded = np.full((c, h + 2, w + 2), -np.inf, dtype=np.float32)
    padded[:, 1:-1, 1:-1] = heatmap
    local_max = np.max(
        [padded[:, dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)], axis=0
    )
    keep = (heatmap >= local_max) & (heatmap >= threshold) & (heatmap >= heatmap.max(axis=0))
    cls, gy, gx = np.nonzero(keep)
    order = np.argsort(-heatmap[cls, gy, gx], kind="stable")[:max_peaks]
    return [(int(cls[i]), int(gy[i]), int(gx[i])) for i in order]


def decode_boxes(heatmap: np.ndarray, box_reg: np.ndarray, spec: ModelSpec,
                 cal_in: Calibration, threshold: float, max_boxes: int) -> list[Box3D]:
    """Boxes of one frame: heatmap (C, Hg, Wg), box_reg (8, Hg, Wg); cal_in at input size."""
    sx, sy = spec.stride
    cam_origin = camera_to_ego_matrix(cal_in)[:3, 3]
    out = []
    for k, (c, gy, gx) in enumerate(peaks(heatmap, threshold, max_boxes)):
        du, dv, log_z, log_l, log_w, log_h, sin_a, cos_a = (float(x) for x in box_reg[:, gy, gx])
        u, v, z = (gx + 0.5 + du) * sx, (gy + 0.5 + dv) * sy, math.exp(log_z)
        cam = np.array([[(u - cal_in.cx) / cal_in.fx * z, (v - cal_in.cy) / cal_in.fy * z, z]])
        x, y, zc = camera_to_ego_points(cal_in, cam)[0]
        azimuth = math.atan2(y - cam_origin[1], x - cam_origin[0])
        yaw = wrap_yaw(math.atan2(sin_a, cos_a) + azimuth)
        out.append(Box3D(f"det-{k}", spec.classes[c], float(x), float(y), float(zc),
                         math.exp(log_l), math.exp(log_w), math.exp(log_h), yaw,
                         float(heatmap[c, gy, gx])))
    return out


def decode_lanes(outputs: dict[str, np.ndarray], spec: ModelSpec, cal_in: Calibration,
                 cal_out: Calibration, threshold: float) -> list[Lane]:
    """Lanes of one frame from lane_* outputs (no batch dim); image points at cal_out size."""
    rows_px = np.asarray(spec.lane_rows) * spec.input_height
    scale = np.array([cal_out.width / cal_in.width, cal_out.height / cal_in.height])
    lanes = []
    for slot in range(spec.n_lanes):
        score = float(outputs["lane_exist"][slot])
        if score < threshold:
            continue
        vis = outputs["lane_vis"][slot] >= 0.5
        if vis.sum() < 2:
            continue
        u = outputs["lane_u"][slot][vis] * spec.input_width
        v = rows_px[vis]
        below = rows_px[np.flatnonzero(vis)[-1] + 1:]
        u, v = to_image_side(u, v, float(below[0]) if len(below) else float(spec.input_height),
                             float(spec.input_width))
        ground, ok = lift_to_ground(cal_in, u, v)
        if ok.sum() < 2:
            continue
        uv = np.stack([u, v], axis=1)[ok] * scale
        lanes.append(Lane(
            f"slot-{slot}",
            LANE_TYPES[int(np.argmax(outputs["lane_type"][slot]))],
            LANE_COLORS[int(np.argmax(outputs["lane_color"][slot]))],
            tuple((float(p[0]), float(p[1]), 0.0) for p in ground[ok]),
            tuple((float(q[0]), float(q[1])) for q in uv),
            score,
        ))
    return lanes


def to_image_side(u: np.ndarray, v: np.ndarray, next_row: float, width: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A lane's anchor points, continued to the image side when it leaves the image there.

    Row anchors thin out towards the bottom of the image, so a marking far to the side is seen
    at only the top two or three anchors: it leaves the image through its side between the
    last anchor and the next. A painted line runs on to where it leaves, so its last segment
    is continued to that side. A lane still inside the image at the next row stays as decoded
    (it is hidden or ends there).
    """
    if len(u) < 2 or v[-1] == v[-2]:
        return u, v
    slope = (u[-1] - u[-2]) / (v[-1] - v[-2])
    at_next = u[-1] + slope * (next_row - v[-1])
    if 0.0 <= at_next <= width or slope == 0.0:
        return u, v
    side = width if at_next > width else 0.0
    v_side = v[-1] + (side - u[-1]) / slope
    if not v[-1] < v_side < next_row:
        return u, v
    return np.append(u, side), np.append(v, v_side)


def intrinsics_vector(cal_in: Calibration) -> np.ndarray:
    """The `intrinsics` input row (fx, fy, cx, cy) for a calibration at the model input size."""
    return np.array([cal_in.fx, cal_in.fy, cal_in.cx, cal_in.cy], dtype=np.float32)
