"""Unit tier: no services. Network, ray.init and sleeps fail here."""

from __future__ import annotations

import socket
import sys
import time
from typing import Any

import pytest


class ForbiddenInUnitTests(RuntimeError):
    """Raised when a unit test reaches for a service."""


@pytest.fixture(autouse=True)
def _no_services(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> None:
        raise ForbiddenInUnitTests("network access in a unit test; move it to tests/integration")

    real_sleep = time.sleep

    def no_sleep(seconds: float) -> None:
        # subprocess polls a child with short sleeps while it waits with a timeout; that is
        # waiting for a tool (buf, hadolint), not a test sleeping for state.
        if sys._getframe(1).f_globals.get("__name__") == "subprocess":
            real_sleep(seconds)
            return
        raise ForbiddenInUnitTests("time.sleep in a unit test; poll state or inject a clock")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(time, "sleep", no_sleep)
    try:
        import ray
    except ImportError:  # pragma: no cover - ray is a dependency
        return

    def no_ray(*args: Any, **kwargs: Any) -> None:
        raise ForbiddenInUnitTests("ray.init in a unit test; move it to tests/integration")

    monkeypatch.setattr(ray, "init", no_ray)
