"""Bad input: each kind fails with its own typed, actionable reason; the batch goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.ingest.helpers import manifest
from tests.videos import corrupt_middle, truncate, write_audio_only, write_video
from workers.ingest import IngestOptions, Limits, ingest_videos
from workers.ingest.storage import SettingsStore


def test_each_bad_input_fails_alone_with_its_reason(store: SettingsStore, tmp_path: Path) -> None:
    good = write_video(tmp_path / "good.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    cases = {
        str(empty): "EmptyFile",
        str(text): "NotAVideo",
        str(write_audio_only(tmp_path / "audio.mp4")): "NoVideoStream",
        str(truncate(good, tmp_path / "cut.mp4", 0.5)): "NotAVideo",  # index (moov) at the end
        str(write_video(tmp_path / "old.mp4", codec="mpeg4")): "UnsupportedCodec",
        str(tmp_path / "missing.mp4"): "SourceNotFound",
        f"s3://{store.bucket}/videos/missing.mp4": "SourceNotFound",
        "s3://no-such-bucket-here/v.mp4": "SourceNotFound",
    }
    paths = [str(good), *cases]

    report = ingest_videos(paths, "bad", IngestOptions(), store)

    assert report.videos[0].ok, report.videos[0].reason
    for result in report.videos[1:]:
        assert result.status == "failed"
        assert result.error_type == cases[result.source], result.reason
        assert result.reason and ";" in result.reason  # what is wrong; what to do
    assert report.counters["videos_failed"] == len(cases)


def test_resolution_and_duration_limits(store: SettingsStore, tmp_path: Path) -> None:
    big = write_video(tmp_path / "big.mp4", width=320, height=180, seconds=1.0)
    long = write_video(tmp_path / "long.mkv", seconds=3.0)
    limits = Limits(max_pixels=200 * 100, max_duration_s=2.5)
    report = ingest_videos([str(big), str(long)], "lim", IngestOptions(limits=limits), store)
    assert [v.error_type for v in report.videos] == ["LimitExceeded", "LimitExceeded"]
    assert "320x180" in (report.videos[0].reason or "")
    assert "3 s" in (report.videos[1].reason or "")


@pytest.mark.parametrize("ext", ["mp4", "mkv"])
def test_corrupt_bytes_mid_stream_keep_what_decodes(
    store: SettingsStore, tmp_path: Path, ext: str
) -> None:
    clean = write_video(tmp_path / f"clean.{ext}", seconds=4.0, width=320, height=180, gop=25,
                        faststart=True)
    bad = corrupt_middle(clean, tmp_path / f"bad.{ext}", fraction=0.5, length=3000)
    report = ingest_videos([str(clean), str(bad)], "corrupt", IngestOptions(), store)
    good_m = manifest(store, report.videos[0].sequence_id)
    assert report.videos[1].ok, report.videos[1].reason
    bad_m = manifest(store, report.videos[1].sequence_id)
    assert bad_m.lost_ranges, "garbage in the middle lost nothing?"
    assert 10 < len(bad_m.frames) < len(good_m.frames)
    kept = {f.pts: f.sha256 for f in bad_m.frames}
    for f in good_m.frames:  # every sampled instant is stored or inside a recorded lost range
        assert f.pts in kept or any(lo <= f.timestamp_s <= hi for lo, hi in bad_m.lost_ranges)
    before = [f for f in good_m.frames if f.timestamp_s < bad_m.lost_ranges[0][0]]
    assert before and all(kept.get(f.pts) == f.sha256 for f in before)  # untouched frames intact


def test_truncated_streamable_file_records_the_lost_tail(
    store: SettingsStore, tmp_path: Path
) -> None:
    whole = write_video(tmp_path / "whole.mp4", seconds=4.0, faststart=True)
    cut = truncate(whole, tmp_path / "cut.mp4", 0.6)
    report = ingest_videos([str(cut)], "trunc", IngestOptions(), store)
    assert report.videos[0].ok, report.videos[0].reason
    m = manifest(store, report.videos[0].sequence_id)
    assert 0 < m.frames[-1].timestamp_s < 3.5
    assert m.lost_ranges and m.lost_ranges[-1][1] >= 3.9


def test_decoding_over_the_time_limit_fails_that_video_only(
    store: SettingsStore, tmp_path: Path
) -> None:
    slow = write_video(tmp_path / "slow.mp4", width=640, height=360, seconds=4.0)
    limits = Limits(task_timeout_s=0.01)  # probing or a span of 640x360 frames takes longer
    report = ingest_videos([str(slow)], "slow", IngestOptions(span_seconds=0.5, limits=limits),
                           store)
    assert report.videos[0].error_type == "DecodeTimeout", report.videos[0].reason
    good = write_video(tmp_path / "good.mp4", seconds=1.0)
    assert ingest_videos([str(good)], "after", IngestOptions(), store).ok  # Ray still works
