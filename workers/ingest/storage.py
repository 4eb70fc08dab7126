"""Object keys and the per-span index: what makes ingest resumable and idempotent.

Every key is a function of the source's content hash, the output settings and the span, so a
retried or re-run task overwrites the same objects instead of adding new ones. A span's index
object is written after its chunk, so an existing index means the span is complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from roadlabel.config import S3Settings
from roadlabel.manifest import SequenceManifest
from roadlabel.objectstore import MinioStore, ObjectStore


def sequence_id(source_sha256: str) -> str:
    """A sequence id derived from the source's content: the same bytes give the same id."""
    return source_sha256[:16]


def manifest_key(seq: str) -> str:
    """Where the sequence manifest lives."""
    return f"manifests/{seq}.json"


def read_manifest(store: Any, seq: str) -> SequenceManifest:
    """The manifest of a sequence, from the store it was ingested to."""
    return SequenceManifest.from_json(store.get(manifest_key(seq)).decode())


def span_prefix(seq: str, digest: str) -> str:
    """The folder of one sequence's chunks under one set of output settings."""
    return f"frames/{seq}/{digest}/"


def chunk_key(seq: str, digest: str, span: int) -> str:
    """The object holding one span's encoded frames, concatenated."""
    return f"{span_prefix(seq, digest)}{span:05d}.bin"


def index_key(seq: str, digest: str, span: int) -> str:
    """The object listing one span's frames (pts, sha256, offset, length); written last."""
    return f"{span_prefix(seq, digest)}{span:05d}.json"


@dataclass(frozen=True)
class EncodedFrame:
    """Where one encoded frame lies in its span's chunk."""

    pts: int
    sha256: str
    offset: int
    length: int


@dataclass(frozen=True)
class SpanIndex:
    """What one span produced: its frames, and selected timestamps that did not decode."""

    frames: tuple[EncodedFrame, ...]
    lost: tuple[int, ...]
    decode_errors: int = 0

    def to_json(self) -> bytes:
        """Serialise deterministically."""
        d = {
            "frames": [[f.pts, f.sha256, f.offset, f.length] for f in self.frames],
            "lost": list(self.lost),
            "decode_errors": self.decode_errors,
        }
        return json.dumps(d, separators=(",", ":")).encode()

    @staticmethod
    def from_json(data: bytes) -> SpanIndex:
        """Parse what to_json wrote."""
        d = json.loads(data)
        frames = tuple(EncodedFrame(int(p), str(s), int(o), int(n)) for p, s, o, n in d["frames"])
        return SpanIndex(frames, tuple(int(p) for p in d["lost"]), int(d["decode_errors"]))


class SettingsStore:
    """A MinioStore that Ray can ship to workers: it pickles as its settings and reconnects.

    Span tasks write their chunks straight to the store this way, instead of sending the
    bytes back through the driver.
    """

    def __init__(self, settings: S3Settings) -> None:
        self.settings = settings
        self.bucket = settings.bucket
        self._store: MinioStore | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["settings"])  # type: ignore[misc]

    @property
    def inner(self) -> MinioStore:
        """The connected client, made on first use in each process."""
        if self._store is None:
            self._store = MinioStore(self.settings)
        return self._store

    def for_bucket(self, bucket: str) -> SettingsStore:
        """The same endpoint and credentials, another bucket (for s3:// sources)."""
        s = self.settings
        return SettingsStore(S3Settings(s.endpoint, s.access_key, s.secret_key, bucket, s.secure))

    def ensure_bucket(self) -> None:
        """Create the bucket if missing."""
        self.inner.ensure_bucket()

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write one object."""
        self.inner.put(key, data, content_type)

    def get(self, key: str, offset: int = 0, length: int = 0) -> bytes:
        """Read an object or a byte range of it."""
        return self.inner.get(key, offset, length)

    def exists(self, key: str) -> bool:
        """Whether the object exists."""
        return self.inner.exists(key)

    def list(self, prefix: str) -> Any:
        """Keys under a prefix."""
        return self.inner.list(prefix)

    def presign_get(self, key: str, ttl_s: int = 3600) -> str:
        """A presigned GET URL."""
        return self.inner.presign_get(key, ttl_s)


def travels(store: ObjectStore) -> bool:
    """Whether the store can be shipped to Ray workers (else the driver writes chunks)."""
    from ray import cloudpickle

    try:
        cloudpickle.dumps(store)  # type: ignore[no-untyped-call]
    except Exception:
        return False
    return True
