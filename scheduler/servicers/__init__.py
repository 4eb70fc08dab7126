"""gRPC servicers: protobuf in, domain calls, protobuf out."""

from __future__ import annotations

from scheduler.servicers.annotator import AnnotatorServicer
from scheduler.servicers.ingest import IngestServicer
from scheduler.servicers.ops import OpsServicer
from scheduler.servicers.review import ReviewServicer

__all__ = ["AnnotatorServicer", "IngestServicer", "OpsServicer", "ReviewServicer"]
