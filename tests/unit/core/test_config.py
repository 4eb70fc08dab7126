"""Settings from the environment: defaults, overrides, and clear errors for bad values."""

from __future__ import annotations

import pytest

from roadlabel.config import ENV_VARS, load
from roadlabel.errors import ConfigError


def test_nothing_configured_means_embedded_services(tmp_path) -> None:  # type: ignore[no-untyped-def]
    s = load({"ROADLABEL_HOME": str(tmp_path)})
    assert s.database_url is None and s.s3.endpoint is None and s.lakefs is None
    assert s.ray_address is None and s.home == tmp_path
    assert s.git_repo_path == tmp_path / "dataset.git"


def test_external_services_are_read() -> None:
    s = load({
        "ROADLABEL_DATABASE_URL": "postgresql://u:p@db:5432/rl",
        "ROADLABEL_S3_ENDPOINT": "https://s3.example.com",
        "ROADLABEL_LAKEFS_ENDPOINT": "http://lakefs:8000",
        "ROADLABEL_LAKEFS_ACCESS_KEY": "AK", "ROADLABEL_LAKEFS_SECRET_KEY": "SK",
        "RAY_ADDRESS": "ray://head:10001", "ROADLABEL_SCHEDULER_PORT": "6000",
    })
    assert s.database_url == "postgresql://u:p@db:5432/rl"
    assert (s.s3.endpoint, s.s3.secure) == ("s3.example.com", True)
    assert s.lakefs is not None and s.lakefs.endpoint == "http://lakefs:8000"
    assert s.ray_address == "ray://head:10001" and s.scheduler_port == 6000


@pytest.mark.parametrize(("env", "needle"), [
    ({"ROADLABEL_DATABASE_URL": "mysql://x"}, "ROADLABEL_DATABASE_URL"),
    ({"ROADLABEL_SCHEDULER_PORT": "http"}, "ROADLABEL_SCHEDULER_PORT"),
    ({"ROADLABEL_SCHEDULER_PORT": "70000"}, "out of range"),
    ({"ROADLABEL_S3_SECURE": "yes"}, "ROADLABEL_S3_SECURE"),
    ({"ROADLABEL_LAKEFS_ENDPOINT": "http://l:8000"}, "ACCESS_KEY"),
    ({"ROADLABEL_LEASE_TTL_S": "-3"}, "ROADLABEL_LEASE_TTL_S"),
])
def test_malformed_values_name_the_variable_and_the_fix(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(env)
    line = err.value.line()
    assert needle in line and "\n" not in line and line.startswith("error: ")


def test_every_variable_read_is_documented() -> None:
    import re

    from tests.conftest import ROOT

    read = set()
    for path in list((ROOT / "roadlabel").rglob("*.py")) + list((ROOT / "scheduler").rglob("*.py")):
        read |= set(re.findall(r"\"((?:ROADLABEL|RAY)_[A-Z_]+)\"", path.read_text()))
    undocumented = {v for v in read if v not in ENV_VARS} - {"RAY_DEDUP_LOGS"}
    assert undocumented == set()
