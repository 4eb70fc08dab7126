"""The checked-in generated code matches proto/, and proto/ passes buf lint."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def test_regenerating_protos_changes_nothing() -> None:
    result = subprocess.run([sys.executable, "scripts/gen_protos.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"roadlabel/v1 is stale: {result.stderr.strip()}"


def _buf() -> str | None:
    local = ROOT / ".tools" / "node_modules" / ".bin" / "buf"
    return str(local) if local.exists() else shutil.which("buf")


def test_protos_pass_buf_lint_standard() -> None:
    buf = _buf()
    if buf is None:
        pytest.skip("buf is not installed: scripts/setup.sh installs @bufbuild/buf from npm "
                    "when npm is available, and npm is not on this machine")
    result = subprocess.run([buf, "lint"], cwd=ROOT / "proto", capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_code_stays_out_of_qa_and_domain() -> None:
    offenders = [
        str(p.relative_to(ROOT)) for folder in ("qa", "roadlabel/labels.py", "scheduler/workflow.py")
        for p in ((ROOT / folder).rglob("*.py") if (ROOT / folder).is_dir() else [ROOT / folder])
        if "_pb2" in p.read_text()
    ]
    assert offenders == []
