"""The pre-label Ray actor: one ORT session per actor, created once in __init__.

This class is plain Python; `workers.prelabel.pool` wraps it with `ray.remote` and the
resource, restart and retry options, so it can also be exercised without Ray.
"""

from __future__ import annotations

from collections.abc import Sequence

from roadlabel.labels import Calibration, FrameLabels, LabelDocument
from workers.prelabel.contract import ModelConfig
from workers.prelabel.predictor import Predictor
from workers.prelabel.segment import document_from_detections
from workers.tracking import TrackerConfig


class PrelabelActor:
    """Holds one Predictor; every call carries a whole batch or segment (>= ~100 ms of work)."""

    def __init__(self, cfg: ModelConfig) -> None:
        self.predictor = Predictor(cfg)

    def info(self) -> dict[str, object]:
        """Providers in use and the model version, for logs and checks."""
        return {"providers": self.predictor.providers,
                "model_version": self.predictor.model_version}

    def predict(self, jpeg_frames: Sequence[bytes], calibration: Calibration,
                frame_indices: Sequence[int], timestamps: Sequence[float]) -> list[FrameLabels]:
        """Per-frame boxes and lanes (untracked) of JPEG frames."""
        return self.predictor.predict_jpeg(jpeg_frames, calibration, frame_indices, timestamps)

    def prelabel_segment(self, sequence_id: str, first_frame: int, jpeg_frames: Sequence[bytes],
                         calibration: Calibration, timestamps: Sequence[float],
                         tracker: TrackerConfig | None = None) -> LabelDocument:
        """A tracked LabelDocument for one segment (segment-local ids)."""
        indices = list(range(first_frame, first_frame + len(jpeg_frames)))
        frames = self.predictor.predict_jpeg(jpeg_frames, calibration, indices, timestamps)
        return document_from_detections(sequence_id, first_frame, frames,
                                        self.predictor.model_version, calibration, tracker)
