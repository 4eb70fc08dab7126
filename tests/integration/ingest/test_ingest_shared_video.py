"""The real 960x540 H.264 driving clip from shared/: 221 frames at 25 fps, 8.84 s."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from roadlabel.labels import Calibration
from tests.integration.ingest.helpers import decode_image, expected_selection, fetch, manifest
from workers.ingest import IngestOptions, InMemoryRegistrar, ingest_videos
from workers.ingest.storage import SettingsStore


@pytest.mark.shared_video
def test_shared_clip_is_sampled_at_10hz_and_registered(
    store: SettingsStore, shared_video: Path
) -> None:
    with av.open(str(shared_video)) as c:  # reference timestamps, independent of ingest
        stream = c.streams.video[0]
        tb = stream.time_base
        assert tb is not None
        seconds = sorted(float(f.pts * tb) for f in c.decode(stream) if f.pts is not None)
    registrar = InMemoryRegistrar()

    report = ingest_videos([str(shared_video)], "udacity", IngestOptions(), store, registrar)

    result = report.videos[0]
    assert result.ok, result.reason
    m = manifest(store, result.sequence_id)
    assert (m.video.width, m.video.height, m.video.codec) == (960, 540, "h264")
    assert m.video.frame_rate_mode == "cfr" and m.video.avg_fps == pytest.approx(25.0)
    assert m.video.duration_s == pytest.approx(8.84, abs=0.01)
    assert [f.timestamp_s for f in m.frames] == expected_selection(seconds, 10.0)
    assert len(m.frames) == 89 and result.spans > 1
    assert m.calibration == Calibration.default_for(960, 540)
    assert registrar.sequences[m.sequence_id][1] == [(0, 50), (45, 89)]
    assert decode_image(fetch(store, m.frames[44])).shape == (540, 960, 3)
    assert m.decoder_version.startswith("pyav-")
