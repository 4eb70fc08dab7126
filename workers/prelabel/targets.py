"""Training targets: the inverse of decode.py, from ground-truth labels to contract tensors.

Kept in numpy next to the decoder so that `decode(encode(labels)) == labels` is testable
without torch; train.py only feeds these arrays to the network.
"""

from __future__ import annotations

import math

import numpy as np

from roadlabel.labels import (
    LANE_COLORS,
    LANE_TYPES,
    Box3D,
    Calibration,
    FrameLabels,
    Lane,
    wrap_yaw,
)
from workers.prelabel.camera import (
    camera_to_ego_matrix,
    ego_to_camera_points,
    scale_calibration,
)
from workers.prelabel.contract import ModelSpec
from workers.tracking.lanes import lateral_offset

MIN_VISIBLE_PX = 12  # at the ground-truth image size; fainter objects are not taught
MAX_DEPTH_M = 70.0
MAX_OUTSIDE_PX = 32  # at the input size: how far outside a truncated centre is still taught


def lane_slots(lanes: tuple[Lane, ...] | list[Lane], n_slots: int) -> dict[int, Lane]:
    """Ego-relative lane slots: slots n/2-1, n/2-2, ... to the left, n/2, n/2+1, ... right."""
    offsets = [(lateral_offset(lane), lane) for lane in lanes]
    left = sorted((o, lane) for o, lane in offsets if o >= 0)
    right = sorted(((o, lane) for o, lane in offsets if o < 0), reverse=True)
    half = n_slots // 2
    slots = {half - 1 - i: lane for i, (_o, lane) in enumerate(left[:half])}
    slots.update({half + i: lane for i, (_o, lane) in enumerate(right[: n_slots - half])})
    return slots


def encode_frame(labels: FrameLabels, spec: ModelSpec, cal: Calibration) -> dict[str, np.ndarray]:
    """Targets of one frame (no batch dim); `cal` is the calibration the labels were made at."""
    cal_in = scale_calibration(cal, spec.input_width, spec.input_height)
    out = _encode_boxes(labels, spec, cal_in)
    out.update(_encode_lanes(labels, spec, cal_in, cal))
    return out


def encode_lanes(labels: FrameLabels, spec: ModelSpec, cal: Calibration) -> dict[str, np.ndarray]:
    """The lane targets alone of one frame (see encode_frame)."""
    cal_in = scale_calibration(cal, spec.input_width, spec.input_height)
    return _encode_lanes(labels, spec, cal_in, cal)


def _encode_boxes(labels: FrameLabels, spec: ModelSpec, cal: Calibration) -> dict[str, np.ndarray]:
    gh, gw = spec.grid_height, spec.grid_width
    sx, sy = spec.stride
    heat = np.zeros((len(spec.classes), gh, gw), np.float32)
    reg = np.zeros((8, gh, gw), np.float32)
    mask = np.zeros((gh, gw), np.float32)
    cam_origin = camera_to_ego_matrix(cal)[:3, 3]
    yy, xx = np.mgrid[0:gh, 0:gw]
    for box in labels.boxes:
        if box.category not in spec.classes or _visible_px(box) < MIN_VISIBLE_PX:
            continue
        cam = ego_to_camera_points(cal, np.array([[box.x, box.y, box.z]]))[0]
        if not 1.0 < cam[2] < MAX_DEPTH_M:
            continue
        u, v = cal.fx * cam[0] / cam[2] + cal.cx, cal.fy * cam[1] / cam[2] + cal.cy
        gx, gy = int(u // sx), int(v // sy)
        # A truncated object whose centre projects just outside the image is taught at the
        # border cell, with the offset reaching outside, so that it can still be found.
        cx, cy = min(max(gx, 0), gw - 1), min(max(gy, 0), gh - 1)
        if abs(cx - gx) * sx > MAX_OUTSIDE_PX or abs(cy - gy) * sy > MAX_OUTSIDE_PX:
            continue
        gx, gy = cx, cy
        extent = max(box.length, box.width, box.height) * cal.fx / cam[2] / sx  # cells
        sigma = max(0.5, extent / 6.0)
        g = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2.0 * sigma**2)).astype(np.float32)
        c = spec.classes.index(box.category)
        heat[c] = np.maximum(heat[c], g)
        alpha = wrap_yaw(box.yaw - math.atan2(box.y - cam_origin[1], box.x - cam_origin[0]))
        reg[:, gy, gx] = (u / sx - gx - 0.5, v / sy - gy - 0.5, math.log(cam[2]),
                          math.log(box.length), math.log(box.width), math.log(box.height),
                          math.sin(alpha), math.cos(alpha))
        mask[gy, gx] = 1.0
    return {"heatmap": heat, "box_reg": reg, "box_mask": mask}


def _visible_px(box: Box3D) -> int:
    # Labels without the synthetic attribute (human labels) count as fully visible.
    return int(box.attributes.get("visible_px", "1000000"))


def _encode_lanes(labels: FrameLabels, spec: ModelSpec, cal_in: Calibration,
                  cal: Calibration) -> dict[str, np.ndarray]:
    n, r = spec.n_lanes, len(spec.lane_rows)
    exist = np.zeros(n, np.float32)
    ltype = np.zeros(n, np.int64)
    color = np.zeros(n, np.int64)
    u = np.zeros((n, r), np.float32)
    vis = np.zeros((n, r), np.float32)
    rows = np.asarray(spec.lane_rows) * spec.input_height
    for slot, lane in lane_slots(labels.lanes, n).items():
        pts = np.asarray(lane.points_image, dtype=np.float64)
        if len(pts) < 2:
            continue
        # Ground-truth image points are at the labelled frame's size; bring them to the input.
        pts = pts * np.array([cal_in.width / cal.width, cal_in.height / cal.height])
        order = np.argsort(pts[:, 1])
        pu, pv = pts[order, 0], pts[order, 1]
        inside = (rows >= pv[0]) & (rows <= pv[-1])
        exist[slot] = 1.0
        ltype[slot] = LANE_TYPES.index(lane.lane_type)
        color[slot] = LANE_COLORS.index(lane.color)
        u[slot] = np.interp(rows, pv, pu) / spec.input_width
        vis[slot] = inside
    return {"lane_exist": exist, "lane_type": ltype, "lane_color": color, "lane_u": u,
            "lane_vis": vis}

