"""Where a video comes from: a local path or an s3://bucket/key object read through the store.

PyAV needs a seekable file and span tasks seek independently, so an S3 object is streamed once
per machine into a local cache file (bounded memory: fixed-size ranged GETs).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from roadlabel.errors import ObjectNotFound
from roadlabel.objectstore import ObjectStore
from workers.ingest.errors import SourceNotFound

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class SourceRef:
    """A video source as the user named it."""

    uri: str

    @property
    def is_s3(self) -> bool:
        """Whether it is an s3:// URI."""
        return self.uri.startswith("s3://")

    def bucket_key(self) -> tuple[str, str]:
        """(bucket, key) of an s3:// URI."""
        rest = self.uri[len("s3://") :]
        bucket, _, key = rest.partition("/")
        if not bucket or not key:
            raise SourceNotFound(f"{self.uri} is not an s3://bucket/key URI", "name an object")
        return bucket, key


def materialize(source: SourceRef, store: ObjectStore | None) -> Path:
    """A local, seekable file holding the source; raise SourceNotFound when it does not exist."""
    if not source.is_s3:
        path = Path(source.uri).expanduser()
        if not path.is_file():
            raise SourceNotFound(f"{source.uri} does not exist or is not a file", "check the path")
        return path
    bucket, key = source.bucket_key()
    cache = _cache_path(source.uri)
    if cache.is_file():
        return cache
    if store is None:
        raise SourceNotFound(f"{source.uri} needs an object store", "configure ROADLABEL_S3_*")
    _download(bucket_store(store, bucket), key, cache, source.uri)
    return cache


def release(source: SourceRef) -> None:
    """Drop the local cache copy of an s3:// source (no-op for local paths)."""
    if source.is_s3:
        _cache_path(source.uri).unlink(missing_ok=True)


def bucket_store(store: ObjectStore, bucket: str) -> ObjectStore:
    """The store for `bucket`: the given one, or a sibling when the store can make one."""
    if getattr(store, "bucket", None) == bucket:
        return store
    sibling: Any = getattr(store, "for_bucket", None)
    if sibling is None:
        raise SourceNotFound(
            f"bucket {bucket!r} is not the configured bucket {getattr(store, 'bucket', '?')!r}",
            "set ROADLABEL_S3_BUCKET to it or copy the video into the configured bucket",
        )
    return sibling(bucket)  # type: ignore[no-any-return]


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in fixed-size chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            h.update(block)
    return h.hexdigest()


def _cache_path(uri: str) -> Path:
    name = hashlib.sha256(uri.encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / "roadlabel-ingest-cache" / name


def _download(store: ObjectStore, key: str, dest: Path, uri: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            _copy_ranges(store, key, out, uri)
        os.replace(tmp, dest)  # atomic: a concurrent task sees the whole file or none
    finally:
        Path(tmp).unlink(missing_ok=True)


def _copy_ranges(store: ObjectStore, key: str, out: Any, uri: str) -> None:
    offset = 0
    while True:
        try:
            block = store.get(key, offset, _CHUNK)
        except ObjectNotFound as exc:
            raise SourceNotFound(f"{uri} does not exist", "check the bucket and key") from exc
        except Exception as exc:
            if offset > 0 and getattr(exc, "code", "") == "InvalidRange":
                return  # the object's size is a multiple of the chunk size
            raise
        out.write(block)
        if len(block) < _CHUNK:
            return
        offset += len(block)
