"""The object-store interface (S3 API) and its minio-client implementation.

Frames and manifests live here; clients fetch frames through presigned URLs, never through
the scheduler.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Protocol

from roadlabel.config import S3Settings
from roadlabel.errors import ObjectNotFound, ServiceUnavailable


class ObjectStore(Protocol):
    """What roadlabel needs from an object store."""

    def put(self, key: str, data: bytes, content_type: str = ...) -> None: ...
    def get(self, key: str, offset: int = 0, length: int = 0) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str) -> Iterator[str]: ...
    def presign_get(self, key: str, ttl_s: int = 3600) -> str: ...


class MinioStore:
    """ObjectStore over any S3 endpoint through the minio client."""

    def __init__(self, settings: S3Settings) -> None:
        from minio import Minio  # heavy import kept at the edge

        if settings.endpoint is None:
            raise ValueError("MinioStore needs an endpoint; start the embedded store first")
        self.bucket = settings.bucket
        self.endpoint = settings.endpoint
        self._client = Minio(
            settings.endpoint, access_key=settings.access_key,
            secret_key=settings.secret_key, secure=settings.secure,
            region="us-east-1",  # a fixed region: presigning then needs no network round trip
        )

    def ensure_bucket(self) -> None:
        """Create the bucket if missing; raise ServiceUnavailable if S3 cannot be reached."""
        try:
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket)
        except Exception as exc:
            raise ServiceUnavailable(
                f"cannot reach S3 at {self.endpoint} ({type(exc).__name__})",
                "check ROADLABEL_S3_ENDPOINT and credentials, or unset it for the embedded store",
            ) from exc

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Write one object; the same key always overwrites (deterministic keys)."""
        self._client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type)

    def get(self, key: str, offset: int = 0, length: int = 0) -> bytes:
        """Read an object or a byte range of it."""
        from minio.error import S3Error

        try:
            resp = self._client.get_object(self.bucket, key, offset=offset, length=length)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchBucket"):
                raise ObjectNotFound(
                    f"s3://{self.bucket}/{key} does not exist", "check the key and bucket"
                ) from exc
            raise
        try:
            return bytes(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    def exists(self, key: str) -> bool:
        """Whether the object exists."""
        from minio.error import S3Error

        try:
            self._client.stat_object(self.bucket, key)
            return True
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchBucket", "NoSuchObject"):
                return False
            raise

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under a prefix, recursively."""
        for obj in self._client.list_objects(self.bucket, prefix=prefix, recursive=True):
            if obj.object_name is not None:
                yield obj.object_name

    def presign_get(self, key: str, ttl_s: int = 3600) -> str:
        """A URL that lets a client GET the object directly for ttl_s seconds."""
        return str(self._client.presigned_get_object(self.bucket, key, expires=timedelta(seconds=ttl_s)))
