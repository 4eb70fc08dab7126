"""Drawing labels onto frames (projected 3D box edges, lane polylines) and writing PNG.

For visual checks of pre-labels; numpy and zlib only.
"""

from __future__ import annotations

import itertools
import struct
import zlib

import numpy as np

from roadlabel.labels import Calibration, FrameLabels
from workers.prelabel.camera import NEAR_M, ego_to_camera_points, project_camera_points

CLASS_COLORS = {"car": (255, 60, 60), "pedestrian": (255, 220, 0), "cyclist": (0, 220, 255)}
LANE_COLORS_RGB = {"white": (60, 255, 60), "yellow": (255, 140, 0), "other": (200, 0, 200)}
_EDGES = ((0, 1), (1, 3), (3, 2), (2, 0), (4, 5), (5, 7), (7, 6), (6, 4),
          (0, 4), (1, 5), (2, 6), (3, 7))


def draw_line(image: np.ndarray, p: np.ndarray, q: np.ndarray, color: tuple[int, int, int],
              thickness: int = 1) -> None:
    """Draw a segment between pixel points p and q in place (sampled, clipped to the image)."""
    h, w = image.shape[:2]
    n = int(max(abs(q[0] - p[0]), abs(q[1] - p[1]), 1.0)) + 1
    if n > 20000:
        return
    t = np.linspace(0.0, 1.0, n)[:, None]
    pts = np.rint(p + (q - p) * t).astype(int)
    for dx in range(-(thickness // 2), thickness - thickness // 2):
        for dy in range(-(thickness // 2), thickness - thickness // 2):
            x, y = pts[:, 0] + dx, pts[:, 1] + dy
            ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
            image[y[ok], x[ok]] = color


def draw_labels(image: np.ndarray, labels: FrameLabels, cal: Calibration,
                thickness: int = 2) -> np.ndarray:
    """A copy of `image` with the frame's boxes (3D wireframes) and lanes drawn on it."""
    out = image.copy()
    for lane in labels.lanes:
        pts = np.asarray(lane.points_image, dtype=float)
        color = LANE_COLORS_RGB.get(lane.color, LANE_COLORS_RGB["other"])
        for a, b in itertools.pairwise(pts):
            draw_line(out, a, b, color, thickness)
    for box in labels.boxes:
        corners = _corners(box.x, box.y, box.z, box.length, box.width, box.height, box.yaw)
        cam = ego_to_camera_points(cal, corners)
        if np.any(cam[:, 2] < NEAR_M):
            continue
        uv = project_camera_points(cal, cam)
        color = CLASS_COLORS.get(box.category, (255, 255, 255))
        for i, j in _EDGES:
            draw_line(out, uv[i], uv[j], color, thickness)
    return out


def _corners(x: float, y: float, z: float, length: float, width: float, height: float,
             yaw: float) -> np.ndarray:
    signs = np.array([[1 - 2 * (i & 1), 1 - 2 * ((i >> 1) & 1), 1 - 2 * ((i >> 2) & 1)]
                      for i in range(8)], dtype=float)
    local = signs * np.array([length, width, height]) / 2.0
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    out: np.ndarray = local @ rot.T + np.array([x, y, z])
    return out


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3) uint8 RGB image."""
    h, w = image.shape[:2]
    raw = b"".join(b"\x00" + np.ascontiguousarray(image[y]).tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
