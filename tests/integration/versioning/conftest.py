"""Fixtures: one VersioningStore per backend (git on disk, lakeFS via the loopback server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from roadlabel.versioning import GitVersioning, VersioningStore
from roadlabel.versioning.lakefs_store import LakeFSVersioning
from tests.lakefs_server import LakeFSTestServer
from tests.lakefs_server.spec import SpecValidator


@pytest.fixture(scope="session")
def spec_validator() -> SpecValidator:
    """Loading the spec takes ~0.5 s: once per session."""
    return SpecValidator()


@pytest.fixture
def lakefs_server(spec_validator: SpecValidator) -> Iterator[LakeFSTestServer]:
    """A fresh lakeFS test server; fails the test if any call broke the API spec."""
    with LakeFSTestServer(validator=spec_validator) as server:
        yield server
        assert server.violations == [], "\n".join(server.violations)


@pytest.fixture
def lakefs_store(lakefs_server: LakeFSTestServer) -> LakeFSVersioning:
    """The lakeFS adapter pointed at the test server."""
    return LakeFSVersioning(lakefs_server.endpoint, lakefs_server.access_key,
                            lakefs_server.secret_key, repository="dataset", workers=4)


@pytest.fixture
def git_store(tmp_path: Path) -> GitVersioning:
    """The git adapter on a fresh directory."""
    return GitVersioning(tmp_path / "dataset.git")


@pytest.fixture(params=["git", "lakefs"])
def store(request: pytest.FixtureRequest) -> VersioningStore:
    """Each contract test runs once per backend."""
    name = "git_store" if request.param == "git" else "lakefs_store"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]
