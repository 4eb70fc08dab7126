"""A small numpy rasteriser: sky, ground shaded per pixel from road coordinates, cuboids.

The ground (road, verge, lane marks) is shaded per pixel: every pixel below the horizon is
lifted onto the ground plane once per calibration, and each frame only moves those points into
road coordinates; that is exact, antialiased by the pixel footprint, and fast. Road users are
cuboids whose visible faces are filled in painter's order (far to near), which also gives real
occlusion; an id buffer measures how much of each one is visible.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workers.prelabel.camera import (
    NEAR_M,
    camera_to_ego_matrix,
    ego_to_camera_points,
    lift_to_ground,
    project_camera_points,
)
from workers.synth.poses import actor_in_ego, box_corners, ego_to_world, ego_world_pose
from workers.synth.road import DASH_M, DASH_PERIOD_M, LINE_WIDTH_M
from workers.synth.scene import Scene

MAX_GROUND_M = 250.0
_FACES = ((0, 2, 6, 4), (1, 3, 7, 5), (0, 1, 5, 4), (2, 3, 7, 6), (0, 1, 3, 2), (4, 5, 7, 6))
_NORMALS = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]], float)
_SUN = np.array([0.3, 0.5, 0.8]) / np.linalg.norm([0.3, 0.5, 0.8])
_PAINT = {"white": np.array([0.92, 0.92, 0.9]), "yellow": np.array([0.95, 0.75, 0.15])}
_ASPHALT = np.array([0.36, 0.36, 0.38])
_SKY_TOP, _SKY_HORIZON = np.array([0.35, 0.55, 0.85]), np.array([0.75, 0.82, 0.9])


@dataclass(frozen=True)
class RenderedFrame:
    """One rendered image (H, W, 3 uint8 RGB) and the visibility of each actor in it."""

    image: np.ndarray
    visible_px: dict[str, int]
    visibility: dict[str, float]  # visible pixels / pixels of its projection inside the image


class Renderer:
    """Renders the frames of one scene; ground rays are computed once here."""

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        cal = scene.calibration
        h, w = cal.height, cal.width
        vv, uu = np.mgrid[0:h, 0:w]
        pts, ok = lift_to_ground(cal, uu.ravel() + 0.5, vv.ravel() + 0.5)
        dist = np.hypot(pts[:, 0], pts[:, 1])
        ok &= dist < MAX_GROUND_M
        self._ground_idx = np.flatnonzero(ok)
        self._ground_xy = pts[ok, :2]
        # Lateral size of one pixel on the ground, for antialiased lane marks.
        self._footprint = np.maximum(pts[ok, 0], 0.1) / cal.fx
        self._haze = (1.0 - np.exp(-dist[ok] / 180.0))[:, None]
        rows = (np.arange(h) + 0.5) / h
        sky = _SKY_TOP + (_SKY_HORIZON - _SKY_TOP) * np.clip(rows * 1.6, 0.0, 1.0)[:, None]
        self._sky = np.repeat(sky[:, None, :], w, axis=1).reshape(-1, 3)
        self._cam_ego = camera_to_ego_matrix(cal)[:3, 3]

    def render(self, frame: int) -> RenderedFrame:
        """Render frame `frame` of the scene."""
        scene = self.scene
        t = scene.time(frame)
        cal = scene.calibration
        flat = self._sky.copy()
        flat[self._ground_idx] = self._shade_ground(t)
        img = flat.reshape(cal.height, cal.width, 3)
        ids = np.full((cal.height, cal.width), -1, dtype=np.int32)
        totals = self._draw_actors(img, ids, t)
        light = scene.lighting.brightness(t) * np.array(scene.lighting.tint)
        out = np.clip(img * light * 255.0, 0.0, 255.0).astype(np.uint8)
        counts = np.bincount(ids[ids >= 0].ravel(), minlength=len(scene.actors))
        visible = {a.track_id: int(counts[i]) for i, a in enumerate(scene.actors)}
        frac = {a.track_id: (counts[i] / totals[i] if totals[i] else 0.0)
                for i, a in enumerate(scene.actors)}
        return RenderedFrame(out, visible, frac)

    def _shade_ground(self, t: float) -> np.ndarray:
        road = self.scene.road
        wx, wy = ego_to_world(ego_world_pose(self.scene, t), self._ground_xy)
        s, d = road.to_road(wx, wy)
        checker = ((np.floor(s / 4.0) + np.floor(d / 4.0)) % 2.0)[:, None]
        grass = np.array(self.scene.grass) * (0.9 + 0.1 * checker)
        on_road = (np.abs(d) <= road.half_width)[:, None]
        grain = 0.96 + 0.04 * ((np.floor(s * 1.3) % 3.0) / 2.0)[:, None]
        col = np.where(on_road, _ASPHALT * grain, grass)
        fp = self._footprint
        for marking in road.markings:
            paint = _PAINT.get(marking.color, _PAINT["white"])
            for offset, dashed in marking.lines():
                cover = np.clip((LINE_WIDTH_M / 2 + fp / 2 - np.abs(d - offset)) / fp, 0.0, 1.0)
                if dashed:
                    cover = cover * (np.mod(s + marking.phase, DASH_PERIOD_M) < DASH_M)
                hit = cover > 0
                col[hit] += (paint - col[hit]) * cover[hit, None]
        out: np.ndarray = col * (1.0 - self._haze) + _SKY_HORIZON * self._haze
        return out

    def _draw_actors(self, img: np.ndarray, ids: np.ndarray, t: float) -> list[int]:
        scene = self.scene
        totals = [0] * len(scene.actors)
        placed = []
        for i, actor in enumerate(scene.actors):
            x, y, z, yaw = actor_in_ego(scene, actor, t)
            if x < -10.0 or np.hypot(x, y) > MAX_GROUND_M:
                continue
            placed.append((float(np.hypot(x - self._cam_ego[0], y - self._cam_ego[1])), i,
                           (x, y, z, yaw)))
        for _dist, i, (x, y, z, yaw) in sorted(placed, reverse=True):
            actor = scene.actors[i]
            corners = box_corners(x, y, z, actor.size, yaw)
            totals[i] = self._draw_cuboid(img, ids, i, corners, yaw, np.array(actor.color))
        return totals

    def _draw_cuboid(self, img: np.ndarray, ids: np.ndarray, index: int, corners: np.ndarray,
                     yaw: float, color: np.ndarray) -> int:
        cal = self.scene.calibration
        c, s = np.cos(yaw), np.sin(yaw)
        normals = _NORMALS @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T
        cam_corners = ego_to_camera_points(cal, corners)
        total = 0
        for f, face in enumerate(_FACES):
            centre = corners[list(face)].mean(axis=0)
            if normals[f] @ (centre - self._cam_ego) >= 0.0:
                continue  # back face
            poly = _clip_near(cam_corners[list(face)])
            if len(poly) < 3:
                continue
            shade = 0.35 + 0.65 * max(0.0, float(normals[f] @ _SUN))
            face_col = color
            if f == 0:  # front: lighter, so heading is visible
                face_col = 0.6 * color + 0.4 * np.array([1.0, 1.0, 0.85])
            elif f == 1:  # back: reddish
                face_col = 0.6 * color + 0.4 * np.array([0.8, 0.05, 0.05])
            total += _fill(img, ids, index, project_camera_points(cal, poly), face_col * shade)
        return total


def _clip_near(poly: np.ndarray) -> np.ndarray:
    """Clip a camera-frame polygon to z >= NEAR_M (Sutherland-Hodgman, one plane)."""
    out = []
    n = len(poly)
    for k in range(n):
        a, b = poly[k], poly[(k + 1) % n]
        a_in, b_in = a[2] >= NEAR_M, b[2] >= NEAR_M
        if a_in:
            out.append(a)
        if a_in != b_in:
            r = (NEAR_M - a[2]) / (b[2] - a[2])
            out.append(a + r * (b - a))
    return np.array(out)


def _fill(img: np.ndarray, ids: np.ndarray, index: int, poly: np.ndarray,
          color: np.ndarray) -> int:
    """Fill a convex pixel polygon; returns how many pixels it covered inside the image."""
    h, w = ids.shape
    x0, y0 = max(int(np.floor(poly[:, 0].min())), 0), max(int(np.floor(poly[:, 1].min())), 0)
    x1, y1 = min(int(np.ceil(poly[:, 0].max())), w), min(int(np.ceil(poly[:, 1].max())), h)
    if x0 >= x1 or y0 >= y1:
        return 0
    xs = np.arange(x0, x1) + 0.5
    ys = (np.arange(y0, y1) + 0.5)[:, None]
    px, py = poly[:, 0], poly[:, 1]
    area = float(np.sum(px * np.roll(py, -1) - np.roll(px, -1) * py))
    if abs(area) < 1e-9:
        return 0
    sign = 1.0 if area > 0 else -1.0
    mask = np.ones((y1 - y0, x1 - x0), dtype=bool)
    for k in range(len(poly)):
        ax, ay, bx, by = px[k], py[k], px[(k + 1) % len(poly)], py[(k + 1) % len(poly)]
        mask &= ((bx - ax) * (ys - ay) - (by - ay) * (xs - ax)) * sign >= 0.0
    img[y0:y1, x0:x1][mask] = color
    ids[y0:y1, x0:x1][mask] = index
    return int(mask.sum())
