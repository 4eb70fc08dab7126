"""Embedded services for a fresh machine: PostgreSQL, SeaweedFS S3 and a local Ray."""

from __future__ import annotations

from roadlabel.embedded.ports import free_port, port_in_use
from roadlabel.embedded.postgres import EmbeddedPostgres
from roadlabel.embedded.s3 import EmbeddedS3
from roadlabel.embedded.stack import Stack, StackEndpoints

__all__ = ["EmbeddedPostgres", "EmbeddedS3", "Stack", "StackEndpoints", "free_port", "port_in_use"]
