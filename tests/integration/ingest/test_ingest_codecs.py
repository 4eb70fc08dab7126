"""Each supported codec and container is ingested frame-exactly through Ray into S3."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from roadlabel.segments import plan_segments
from tests.integration.ingest.helpers import decode_image, expected_selection, fetch, manifest
from tests.videos import encoder_available, pattern, write_video
from workers.ingest import IngestOptions, InMemoryRegistrar, ingest_videos
from workers.ingest.storage import SettingsStore

CASES = [("h264", "mp4"), ("h264", "mov"), ("h264", "mkv"), ("hevc", "mkv"), ("hevc", "mp4"),
         ("av1", "mkv"), ("av1", "mp4")]


def test_every_codec_and_container_ingests_all_sampled_frames(
    store: SettingsStore, tmp_path: Path
) -> None:
    missing = [c for c, _ in CASES if not encoder_available(c)]
    assert not missing, f"this PyAV build lacks encoders for {missing}"
    paths = [str(write_video(tmp_path / f"{c}.{ext}", codec=c, seconds=2.0)) for c, ext in CASES]
    registrar = InMemoryRegistrar()
    options = IngestOptions(sample_hz=10, span_seconds=0.5, segment_length=8, segment_overlap=2)

    report = ingest_videos(paths, "codecs", options, store, registrar)

    assert [v.status for v in report.videos] == ["done"] * len(CASES), report.failed
    want = expected_selection([i / 25 for i in range(50)], 10)
    for (codec, ext), result in zip(CASES, report.videos, strict=True):
        m = manifest(store, result.sequence_id)
        assert (m.video.codec, m.video.container) == (codec, ext)
        assert [f.timestamp_s for f in m.frames] == want
        assert [f.index for f in m.frames] == list(range(len(want)))
        assert result.spans > 1, "spans were not split, so the parallel path is untested"
        assert registrar.sequences[m.sequence_id][1] == plan_segments(len(want), 8, 2)
        _assert_frames_show_their_source(store, m, result.sequence_id)


def _assert_frames_show_their_source(store: SettingsStore, m: object, seq: str | None) -> None:
    from roadlabel.manifest import SequenceManifest

    assert isinstance(m, SequenceManifest)
    for frame in m.frames:
        img = decode_image(fetch(store, frame)).astype(int)
        source_index = round(frame.timestamp_s * 25)
        ref = pattern(source_index, 160, 90).astype(int)
        assert img.shape == (90, 160, 3)
        assert np.abs(img - ref).mean() < 12, f"{seq} frame {frame.index} is not its source"


def test_rotated_phone_video_is_stored_upright(store: SettingsStore, tmp_path: Path) -> None:
    path = write_video(tmp_path / "phone.mp4", rotation=90, seconds=1.0)
    report = ingest_videos([str(path)], "rot", IngestOptions(), store)
    m = manifest(store, report.videos[0].sequence_id)
    assert m.video.rotation == 90 and (m.width, m.height) == (90, 160)
    img = decode_image(fetch(store, m.frames[0]))
    assert img.shape == (160, 90, 3)
    # The red marker drawn top-left in storage orientation is bottom-left once turned 90 deg CCW.
    assert img[-10, 5, 0] > 200 and img[-10, 5, 1] < 80
    assert img[5, 5, 0] < 200 or img[5, 5, 1] > 80


def test_vfr_recording_is_sampled_by_timestamp(store: SettingsStore, tmp_path: Path) -> None:
    pts_ms = [0, 40, 50, 200, 210, 220, 600, 1000, 1033, 1500, 1510, 2300]
    path = write_video(tmp_path / "screen.mkv", pts_ms=pts_ms, bframes=False)
    report = ingest_videos([str(path)], "vfr", IngestOptions(sample_hz=10), store)
    m = manifest(store, report.videos[0].sequence_id)
    assert m.video.frame_rate_mode == "vfr"
    assert [f.timestamp_s for f in m.frames] == expected_selection([p / 1000 for p in pts_ms], 10)


@pytest.mark.parametrize("size", [(80, None), (64, 64)])
def test_output_size_and_png(store: SettingsStore, tmp_path: Path, size: tuple[int, int | None]) -> None:
    path = write_video(tmp_path / "s.mp4", seconds=1.0)
    options = IngestOptions(width=size[0], height=size[1], image_codec="png")
    m = manifest(store, ingest_videos([str(path)], "png", options, store).videos[0].sequence_id)
    img = decode_image(fetch(store, m.frames[0]), "png")
    assert img.shape[1::-1] == (m.width, m.height) == (size[0], size[1] or 44)  # 45 rounds to even
