"""Acceptance tier: the CLI as a user runs it, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT


@dataclass
class Result:
    """What a CLI run printed and returned."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Run `roadlabel ARGS` with a private ROADLABEL_HOME; return code, stdout, stderr."""
    home = tmp_path / "home"

    def call(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Result:
        full = {k: v for k, v in os.environ.items() if not k.startswith(("ROADLABEL_", "RAY_"))}
        full.update({"ROADLABEL_HOME": str(home), "GRPC_VERBOSITY": "ERROR"}, **(env or {}))
        p = subprocess.run([sys.executable, "-m", "roadlabel.cli.main", *args], cwd=ROOT,
                           env=full, capture_output=True, text=True, timeout=timeout)
        return Result(p.returncode, p.stdout, p.stderr)

    call.home = home  # type: ignore[attr-defined]
    return call
