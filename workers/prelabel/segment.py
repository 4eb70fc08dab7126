"""Pre-labels of one task segment: detections tracked into a LabelDocument."""

from __future__ import annotations

from collections.abc import Sequence

from roadlabel.labels import Calibration, FrameLabels, LabelDocument
from workers.prelabel.camera import project_ego_points
from workers.prelabel.contract import ModelConfig
from workers.prelabel.predictor import cached_predictor
from workers.tracking import (
    TrackerConfig,
    assign_lane_ids,
    smooth_lanes,
    track_frames,
    vote_lane_attributes,
)


def document_from_detections(sequence_id: str, first_frame: int, frames: Sequence[FrameLabels],
                             model_version: str, calibration: Calibration,
                             tracker: TrackerConfig | None = None) -> LabelDocument:
    """Track per-frame detections and lanes of one segment into its LabelDocument."""
    tracked = vote_lane_attributes(assign_lane_ids(track_frames(frames, tracker)))
    tracked = smooth_lanes(tracked, reproject=lambda pts: project_ego_points(calibration, pts)[0])
    return LabelDocument(sequence_id, first_frame, tuple(tracked), model_version=model_version)


def prelabel_segment(sequence_id: str, first_frame: int, jpeg_frames: Sequence[bytes],
                     calibration: Calibration, model_cfg: ModelConfig,
                     timestamps: Sequence[float] | None = None,
                     tracker: TrackerConfig | None = None) -> LabelDocument:
    """Pre-label one segment locally: frames first_frame.. get boxes (tracked) and lanes.

    Track and lane ids are segment-local; `workers.tracking.stitch_segments` makes them
    sequence-wide through the overlap frames.
    """
    predictor = cached_predictor(model_cfg)
    indices = range(first_frame, first_frame + len(jpeg_frames))
    times = list(timestamps) if timestamps is not None else [0.0] * len(jpeg_frames)
    frames = predictor.predict_jpeg(jpeg_frames, calibration, list(indices), times)
    return document_from_detections(sequence_id, first_frame, frames,
                                    predictor.model_version, calibration, tracker)
