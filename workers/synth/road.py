"""A road of constant curvature with painted lane markings, in road coordinates (s, d).

`s` is arc length along the centreline, `d` the lateral offset (left positive). The world
frame has the centreline start at the origin heading along +x; a constant curvature keeps the
conversion between (s, d) and world (x, y) closed-form in both directions, which the per-pixel
ground shader needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LINE_WIDTH_M = 0.15
DOUBLE_GAP_M = 0.15  # gap between the two lines of a double marking
DASH_M = 3.0
DASH_PERIOD_M = 12.0


@dataclass(frozen=True)
class Marking:
    """One painted lane marking at lateral offset `offset` (metres, left positive)."""

    offset: float
    lane_type: str  # one of roadlabel.labels.LANE_TYPES
    color: str  # "white" or "yellow"
    phase: float = 0.0  # dash phase along s, metres

    def lines(self) -> list[tuple[float, bool]]:
        """(lateral offset, dashed) of each painted line; doubles are left line first."""
        half = (LINE_WIDTH_M + DOUBLE_GAP_M) / 2.0
        kinds = {
            "solid": [False],
            "dashed": [True],
            "double_solid": [False, False],
            "double_dashed": [True, True],
            "solid_dashed": [False, True],
            "dashed_solid": [True, False],
        }[self.lane_type]
        if len(kinds) == 1:
            return [(self.offset, kinds[0])]
        return [(self.offset + half, kinds[0]), (self.offset - half, kinds[1])]


@dataclass(frozen=True)
class Road:
    """Constant-curvature road: `curvature` in 1/m (left positive), paved over |d| <= half_width."""

    curvature: float
    half_width: float
    markings: tuple[Marking, ...]

    def heading(self, s: np.ndarray | float) -> np.ndarray:
        """Centreline heading (radians) at arc length s."""
        return np.asarray(s, dtype=np.float64) * self.curvature

    def to_world(
        self, s: np.ndarray | float, d: np.ndarray | float
    ) -> tuple[np.ndarray, np.ndarray]:
        """World (x, y) of road coordinates (s, d)."""
        s = np.asarray(s, dtype=np.float64)
        d = np.asarray(d, dtype=np.float64)
        k = self.curvature
        th = s * k
        if abs(k) < 1e-9:
            return s + 0.0 * d, d + 0.0 * s
        x = np.sin(th) / k - d * np.sin(th)
        y = (1.0 - np.cos(th)) / k + d * np.cos(th)
        return x, y

    def to_road(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Road coordinates (s, d) of world points (valid within half a turn of the start)."""
        k = self.curvature
        if abs(k) < 1e-9:
            return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        r0 = 1.0 / k
        px, py = x, y - r0
        # p - centre = (r0 - d) * (sin th, -cos th)
        r = np.hypot(px, py)
        d = r0 - r if k > 0 else r0 + r
        scale = r0 - d
        th = np.arctan2(px / scale, -py / scale)
        return th / k, d
