"""The embedded stack shared by several commands: who starts a service stops it, no one else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from roadlabel import config
from roadlabel.embedded.postgres import EmbeddedPostgres, process_alive
from roadlabel.embedded.stack import Stack


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("ROADLABEL_DATABASE_URL", "ROADLABEL_S3_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ROADLABEL_HOME", str(tmp_path))
    return tmp_path


def test_a_command_leaves_the_database_of_a_running_server_alone(home: Path) -> None:
    settings = config.load()
    with Stack(settings, need_s3=False):  # `roadlabel serve` started the database
        with Stack(settings, need_s3=False):  # `roadlabel batch create` meanwhile
            pass
        assert EmbeddedPostgres(home / "postgres").running()
    assert not EmbeddedPostgres(home / "postgres").running()


def _stack(action: str) -> None:
    # A process of its own, as from a shell: `stack up` leaves its servers running on exit.
    done = subprocess.run([sys.executable, "-m", "roadlabel.cli.main", "stack", action],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_stack_up_twice_then_down_stops_everything_and_up_works_again(home: Path) -> None:
    _stack("up")
    first = json.loads((home / "stack.json").read_text())
    _stack("up")  # already up: the record must still name the services
    assert json.loads((home / "stack.json").read_text()) == first
    _stack("down")
    assert not process_alive(first["pids"]["s3"])
    assert not EmbeddedPostgres(home / "postgres").running()
    _stack("up")  # at once: ports and data directories are free
    _stack("down")


def test_stack_down_leaves_the_database_of_a_running_server_alone(home: Path) -> None:
    with Stack(config.load(), need_s3=False):  # `roadlabel serve` started the database
        _stack("up")  # attaches to it, starts S3
        _stack("down")
        assert EmbeddedPostgres(home / "postgres").running()
