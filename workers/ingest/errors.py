"""Why a video could not be ingested: one typed error per cause, each saying what to do."""

from __future__ import annotations

from roadlabel.errors import UserError


class IngestError(UserError):
    """A video that cannot be ingested; the rest of the batch goes on."""


class SourceNotFound(IngestError):
    """The path or s3:// object does not exist."""


class EmptyFile(IngestError):
    """The source has zero bytes."""


class NotAVideo(IngestError):
    """No container format could be recognised (not a video, or truncated before its index)."""


class UnsupportedContainer(IngestError):
    """A container other than MP4, MOV or MKV."""


class NoVideoStream(IngestError):
    """The container holds no video stream (audio only, subtitles)."""


class UnsupportedCodec(IngestError):
    """A video codec outside the allowed list."""


class LimitExceeded(IngestError):
    """Resolution, duration or worker memory over the configured limit."""


class CorruptVideo(IngestError):
    """The container opened but no frame could be decoded."""


class DecodeTimeout(IngestError):
    """Probing or decoding took longer than the configured time limit."""
