"""Frame images from chunks: checked by hash, written atomically, resumed on a re-run."""

from __future__ import annotations

import hashlib
from pathlib import Path

from roadlabel.exports.images import write_images
from roadlabel.labels import Calibration
from roadlabel.manifest import FrameRecord, SequenceManifest, VideoInfo


def _manifest(frames: list[bytes], bad: int | None = None) -> SequenceManifest:
    records, offset = [], 0
    for i, data in enumerate(frames):
        digest = hashlib.sha256(b"other" if i == bad else data).hexdigest()
        records.append(FrameRecord(i, i * 100, i / 10, digest, "frames/s1/c0.bin", offset,
                                   len(data)))
        offset += len(data)
    return SequenceManifest("s1", "b1", "s3://raw/s1.mp4", "ab" * 32,
                            VideoInfo("mp4", "h264", 64, 32, 0.3),
                            Calibration.default_for(64, 32), 10.0, "jpeg", 64, 32, "av-18",
                            tuple(records))


def test_frames_are_cut_from_their_chunk_checked_and_a_rerun_keeps_good_files(
        tmp_path: Path) -> None:
    frames = [b"\xff\xd8one", b"\xff\xd8two", b"\xff\xd8three"]
    reads: list[str] = []

    def read(key: str) -> bytes:
        reads.append(key)
        return b"".join(frames)

    report = write_images([_manifest(frames, bad=2)], read, tmp_path)
    assert (report.written, report.present, reads) == (2, 0, ["frames/s1/c0.bin"])
    assert report.failed == ["s1 frame 2: bytes in frames/s1/c0.bin do not match the "
                             "manifest's sha256"]
    assert (tmp_path / "s1" / "000001.jpg").read_bytes() == frames[1]
    assert not (tmp_path / "s1" / "000002.jpg").exists()  # never a file with wrong bytes
    (tmp_path / "s1" / "000000.jpg").write_bytes(b"truncated")  # a damaged earlier copy
    again = write_images([_manifest(frames)], read, tmp_path)
    assert (again.written, again.present, again.failed) == (2, 1, [])
    assert (tmp_path / "s1" / "000000.jpg").read_bytes() == frames[0]
