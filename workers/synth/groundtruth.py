"""Exact ground truth of a synthetic frame: visible 3D boxes with track ids, and lanes."""

from __future__ import annotations

import numpy as np

from roadlabel.labels import Box3D, FrameLabels, Lane
from workers.prelabel.camera import project_ego_points
from workers.synth.poses import actor_in_ego, ego_world_pose, world_to_ego
from workers.synth.render import RenderedFrame
from workers.synth.scene import Scene

LANE_RANGE_M = (3.0, 80.0)
LANE_STEP_M = 2.0


def frame_labels(scene: Scene, frame: int, rendered: RenderedFrame) -> FrameLabels:
    """Ground truth of one frame: every actor with at least one visible pixel, every lane mark."""
    t = scene.time(frame)
    boxes = []
    for actor in scene.actors:
        px = rendered.visible_px[actor.track_id]
        if px < 1:
            continue
        x, y, z, yaw = actor_in_ego(scene, actor, t)
        length, width, height = actor.size
        attrs = {"visibility": f"{rendered.visibility[actor.track_id]:.2f}",
                 "visible_px": str(px)}
        boxes.append(Box3D(actor.track_id, actor.category, x, y, z, length, width, height, yaw,
                           1.0, attrs))
    return FrameLabels(frame, t, tuple(boxes), lane_labels(scene, t))


def lane_labels(scene: Scene, t: float) -> tuple[Lane, ...]:
    """Each lane marking as a 3D ego polyline (ground, z = 0) and its image polyline."""
    cal = scene.calibration
    ego = ego_world_pose(scene, t)
    s_ego = scene.ego.road_pose(t)[0]
    s = s_ego + np.arange(LANE_RANGE_M[0], LANE_RANGE_M[1], LANE_STEP_M)
    lanes = []
    for j, marking in enumerate(scene.road.markings):
        wx, wy = scene.road.to_world(s, np.full_like(s, marking.offset))
        xy = world_to_ego(ego, wx, wy)
        pts = np.concatenate([xy, np.zeros((len(xy), 1))], axis=1)
        uv, depth = project_ego_points(cal, pts)
        inside = ((depth > 1.0) & (uv[:, 0] >= 0) & (uv[:, 0] <= cal.width)
                  & (uv[:, 1] >= 0) & (uv[:, 1] <= cal.height))
        if inside.sum() < 2:
            continue
        lanes.append(Lane(
            f"lane-{j}", marking.lane_type, marking.color,
            tuple((round(float(p[0]), 3), round(float(p[1]), 3), 0.0) for p in pts[inside]),
            tuple((round(float(q[0]), 2), round(float(q[1]), 2)) for q in uv[inside]),
        ))
    return tuple(lanes)
