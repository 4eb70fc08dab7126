"""Shared by every tier: paths and the shared real video."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_VIDEO = SHARED / "data" / "video" / "solidWhiteRight.mp4"

os.environ.setdefault("GRPC_VERBOSITY", "ERROR")


@pytest.fixture
def shared_video() -> Path:
    """The real dash-cam video; skips only the test that needs it when ../shared is absent."""
    if not SHARED_VIDEO.is_file():
        pytest.skip("../shared/data/video/solidWhiteRight.mp4 is absent")
    return SHARED_VIDEO
