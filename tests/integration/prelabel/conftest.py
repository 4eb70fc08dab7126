"""Session fixture: a local Ray (2 CPUs), shared with other folders' fixtures if already up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_local() -> Iterator[None]:
    """Start a local Ray unless one is running; shut down only what this fixture started."""
    import ray

    started = not ray.is_initialized()
    if started:
        # address="local": always a fresh local Ray, never a cluster someone else started here
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()
