"""A constant-velocity Kalman filter over a box centre in the ego frame (numpy)."""

from __future__ import annotations

import numpy as np


class ConstantVelocityFilter:
    """State (x, y, z, vx, vy, vz); measurements are box centres (x, y, z)."""

    def __init__(self, centre: np.ndarray, dt: float = 0.1, pos_var: float = 0.3,
                 vel_var: float = 25.0, accel_std: float = 3.0, meas_std: float = 0.6) -> None:
        self.x = np.concatenate([np.asarray(centre, dtype=np.float64), np.zeros(3)])
        self.p = np.diag([pos_var] * 3 + [vel_var] * 3)
        self.dt = dt
        self.accel_std = accel_std
        self.r = np.eye(3) * meas_std**2
        self.h = np.hstack([np.eye(3), np.zeros((3, 3))])

    def predict(self, dt: float | None = None) -> np.ndarray:
        """Advance by dt seconds; returns the predicted centre."""
        step = self.dt if dt is None else dt
        f = np.eye(6)
        f[:3, 3:] = np.eye(3) * step
        # White-acceleration process noise: velocity drifts, position follows.
        g = np.concatenate([np.full(3, step**2 / 2.0), np.full(3, step)])
        q = np.diag(g**2) * self.accel_std**2
        self.x = f @ self.x
        self.p = f @ self.p @ f.T + q
        return self.x[:3].copy()

    def update(self, centre: np.ndarray) -> None:
        """Correct with a measured centre."""
        y = np.asarray(centre, dtype=np.float64) - self.h @ self.x
        s = self.h @ self.p @ self.h.T + self.r
        k = self.p @ self.h.T @ np.linalg.inv(s)
        self.x = self.x + k @ y
        self.p = (np.eye(6) - k @ self.h) @ self.p

    @property
    def centre(self) -> np.ndarray:
        """Current centre estimate."""
        return self.x[:3].copy()

    @property
    def velocity(self) -> np.ndarray:
        """Current velocity estimate (m/s, ego frame)."""
        return self.x[3:].copy()
