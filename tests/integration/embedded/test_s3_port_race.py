"""Embedded S3: losing the race for a picked port is retried on fresh ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from roadlabel.embedded import s3 as s3_module
from roadlabel.embedded.s3 import EmbeddedS3


def test_start_retries_when_a_picked_port_is_taken(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    busy = taken.getsockname()[1]
    real = s3_module.free_port
    # Picks: S3, master, volume, filer, then the S3 gRPC port: that one is already in use
    # (the race CI once lost).
    picks: Iterator[int] = iter([real(), real(), real(), real(), busy])

    def pick() -> int:
        return next(picks, None) or real()

    monkeypatch.setattr(s3_module, "free_port", pick)
    server = EmbeddedS3(tmp_path / "s3")
    try:
        server.start()
        assert server.port != busy
        log = (tmp_path / "s3" / "weed.log").read_text(errors="replace")
        assert "address already in use" in log  # the first launch really lost the port
    finally:
        server.stop()
        taken.close()
