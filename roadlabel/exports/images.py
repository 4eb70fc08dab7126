"""Frame images of a dataset ref, written where the 2D exports point (``<sequence>/<index:06d>.<ext>``).

The pixels are not in the versioned dataset: they stay in the S3 chunk objects ingest wrote,
and each sequence's manifest (versioned with the labels) names every frame's chunk, byte range
and sha256. Writing them reads each chunk once, checks every frame against its manifest hash
(so pinning a dataset commit pins its pixels), and writes each file atomically. A frame already
on disk with the right hash is left alone, so a re-run resumes where one stopped.
"""

from __future__ import annotations

import hashlib
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from roadlabel.errors import UserError
from roadlabel.exports.frames import image_name
from roadlabel.manifest import FrameRecord, SequenceManifest

#: Reads a whole object (a frames chunk) by key.
ChunkReader = Callable[[str], bytes]
EXTENSIONS = {"jpeg": "jpg", "png": "png"}


@dataclass
class ImagesReport:
    """What one run wrote, found already there, or could not write (with why)."""

    written: int = 0
    present: int = 0
    failed: list[str] = field(default_factory=list)


def write_images(manifests: Iterable[SequenceManifest], read_chunk: ChunkReader,
                 out: Path) -> ImagesReport:
    """Write every frame of the manifests under ``out``; never a file with the wrong bytes."""
    report = ImagesReport()
    for m in manifests:
        ext = EXTENSIONS.get(m.image_codec, m.image_codec)
        by_chunk: dict[str, list[FrameRecord]] = defaultdict(list)
        for f in m.frames:
            if _has(out / image_name(m.sequence_id, f.index, ext), f.sha256):
                report.present += 1
            else:
                by_chunk[f.key].append(f)
        for key, frames in by_chunk.items():
            _write_chunk(m.sequence_id, ext, key, frames, read_chunk, out, report)
    return report


def _write_chunk(seq: str, ext: str, key: str, frames: list[FrameRecord],
                 read_chunk: ChunkReader, out: Path, report: ImagesReport) -> None:
    try:
        chunk = read_chunk(key)
    except (UserError, OSError) as exc:  # a missing chunk or a dropped connection
        report.failed += [f"{seq} frame {f.index}: chunk {key} unreadable ({exc})" for f in frames]
        return
    for f in frames:
        data = chunk[f.offset:f.offset + f.length]
        if hashlib.sha256(data).hexdigest() != f.sha256:
            report.failed.append(f"{seq} frame {f.index}: bytes in {key} do not match the "
                                 "manifest's sha256")
            continue
        _atomic_write(out / image_name(seq, f.index, ext), data)
        report.written += 1


def _has(path: Path, sha256: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)
