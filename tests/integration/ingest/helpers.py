"""Shared assertions for ingest integration tests."""

from __future__ import annotations

import hashlib

import av
import numpy as np

from roadlabel.manifest import FrameRecord, SequenceManifest
from roadlabel.objectstore import ObjectStore


def manifest(store: ObjectStore, seq: str | None) -> SequenceManifest:
    """The stored manifest of a sequence."""
    assert seq is not None
    return SequenceManifest.from_json(store.get(f"manifests/{seq}.json").decode())


def fetch(store: ObjectStore, frame: FrameRecord) -> bytes:
    """One frame's bytes with one ranged GET, checked against its recorded hash."""
    data = store.get(frame.key, frame.offset, frame.length)
    assert hashlib.sha256(data).hexdigest() == frame.sha256
    return data


def decode_image(data: bytes, codec: str = "mjpeg") -> np.ndarray:
    """An RGB array from encoded image bytes."""
    ctx = av.codec.CodecContext.create(codec, "r")
    frames = ctx.decode(av.Packet(data))  # type: ignore[attr-defined]
    assert len(frames) == 1
    image: np.ndarray = frames[0].to_ndarray(format="rgb24")
    return image


def expected_selection(pts_seconds: list[float], hz: float) -> list[float]:
    """Reference sampling: for each instant k/hz, the first frame at or after it."""
    t0, k = pts_seconds[0], 0
    out: list[float] = []
    while t0 + k / hz <= pts_seconds[-1] + 1e-9:
        first = next(t for t in pts_seconds if t >= t0 + k / hz - 1e-9)
        if not out or out[-1] != first:
            out.append(first)
        k += 1
    return [round(t - t0, 6) for t in out]
