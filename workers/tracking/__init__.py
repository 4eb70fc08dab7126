"""Tracking: boxes into tracks within a segment, lanes across frames, ids across segments."""

from __future__ import annotations

from workers.tracking.lanes import (
    assign_lane_ids,
    lateral_offset,
    smooth_lanes,
    vote_lane_attributes,
)
from workers.tracking.stitch import stitch_segments
from workers.tracking.tracker import (
    EXTENDED,
    LABEL_RANGE_M,
    RANGE_MARGIN_M,
    TrackerConfig,
    track_frames,
)

__all__ = ["EXTENDED", "LABEL_RANGE_M", "RANGE_MARGIN_M", "TrackerConfig", "assign_lane_ids",
           "lateral_offset", "smooth_lanes", "stitch_segments", "track_frames",
           "vote_lane_attributes"]
