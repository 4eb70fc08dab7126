"""deploy/bootstrap.py: refuses embedded settings, and sets lakeFS up once with roadlabel's key."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import lakefs_sdk.client
import pytest

from roadlabel import config

SCRIPT = Path(__file__).resolve().parents[3] / "deploy" / "bootstrap.py"


@pytest.fixture(scope="module")
def bootstrap() -> ModuleType:
    spec = importlib.util.spec_from_file_location("roadlabel_bootstrap", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeInternalApi:
    """Records what bootstrap asks of lakeFS's internal API."""

    def __init__(self, state: str) -> None:
        self.state = state
        self.setups: list[Any] = []

    def get_setup_state(self) -> SimpleNamespace:
        return SimpleNamespace(state=self.state)

    def setup(self, setup: Any) -> None:
        self.setups.append(setup)


@pytest.mark.parametrize(("state", "calls"), [("not_initialized", 1), ("initialized", 0)])
def test_lakefs_admin_is_created_only_on_a_fresh_lakefs(
    bootstrap: ModuleType, monkeypatch: pytest.MonkeyPatch, state: str, calls: int
) -> None:
    api = FakeInternalApi(state)
    hosts = []

    def fake_client(configuration: Any) -> SimpleNamespace:
        hosts.append(configuration.host)
        return SimpleNamespace(internal_api=api)

    monkeypatch.setattr(lakefs_sdk.client, "LakeFSClient", fake_client)
    lakefs = config.LakeFSSettings("http://lakefs:8000/api/v1", "AKIAKEY", "secret")
    bootstrap.setup_lakefs_admin(lakefs, "admin")
    assert hosts == ["http://lakefs:8000/api/v1"]
    assert len(api.setups) == calls
    if calls:
        sent = api.setups[0].to_dict()
        assert sent["username"] == "admin"
        assert sent["key"] == {"access_key_id": "AKIAKEY", "secret_access_key": "secret"}


def test_embedded_settings_are_refused_with_exit_2(
    bootstrap: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in config.ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "argv", ["bootstrap.py"])
    assert bootstrap.main() == 2
    assert "ROADLABEL_S3_ENDPOINT and ROADLABEL_LAKEFS_ENDPOINT must be set" in capsys.readouterr().err
