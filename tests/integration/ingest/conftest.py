"""Ingest fixtures on top of the tier's session services (SeaweedFS S3 and a local Ray)."""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from typing import Any

import pytest

from roadlabel.embedded import EmbeddedS3
from workers.ingest import SettingsStore

os.environ.setdefault("SVT_LOG", "1")  # keep the SVT-AV1 encoder's banner out of test logs


@pytest.fixture
def store(s3_server: EmbeddedS3, ray_local: Any) -> SettingsStore:
    """A fresh bucket per test (unique name), so tests never see each other's objects."""
    s = SettingsStore(replace(s3_server.settings, bucket=f"t-{uuid.uuid4().hex[:12]}"))
    s.ensure_bucket()
    return s
