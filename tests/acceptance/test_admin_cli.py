"""Projects, users and gold tasks from the command line, with their error paths."""

from __future__ import annotations

import json
from pathlib import Path


def test_project_user_and_gold_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("project", "create", "drive-1")
    assert r.code == 0 and "ontology av-default 1.0.0" in r.out, r.err
    r = cli("users", "add", "alice", "--role", "annotator", "--project", "drive-1")
    assert r.code == 0 and r.out.strip().startswith("rl_"), r.err
    r = cli("users", "add", "bob", "--role", "annotator", "--project", "no-such-project")
    assert r.code == 2 and "no-such-project" in r.err.strip().splitlines()[-1]
    bad = tmp_path / "ontology.json"
    bad.write_text(json.dumps({"name": "x", "version": "1"}))
    r = cli("project", "create", "drive-2", "--ontology", str(bad))
    assert r.code == 2 and "classes" in r.err.strip().splitlines()[-1]
    r = cli("gold", "add", "no-such-task", "--batch", "no-such-batch")
    assert r.code == 2 and "Traceback" not in r.err
    assert "no-such-task" in r.err.strip().splitlines()[-1]
