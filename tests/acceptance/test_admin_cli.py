"""Projects, users and gold tasks from the command line, with their error paths."""

from __future__ import annotations

import json
from pathlib import Path


def test_project_user_and_gold_commands(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("project", "create", "drive-1")
    assert r.code == 0 and "ontology av-default 1.0.0" in r.out, r.err
    r = cli("users", "add", "alice", "--role", "annotator", "--project", "drive-1")
    assert r.code == 0 and r.out.strip().startswith("rl_"), r.err
    r = cli("users", "add", "alice", "--role", "reviewer", "--project", "drive-1")
    assert r.code == 0 and r.out.strip().startswith("rl_"), r.err
    assert "user alice existed: token rotated" in r.err and "role annotator -> reviewer" in r.err
    r = cli("users", "add", "bob", "--role", "annotator", "--project", "no-such-project")
    assert r.code == 2 and "no-such-project" in r.err.strip().splitlines()[-1]
    bad = tmp_path / "ontology.json"
    bad.write_text(json.dumps({"name": "x", "version": "1"}))
    r = cli("project", "create", "drive-2", "--ontology", str(bad))
    assert r.code == 2 and "classes" in r.err.strip().splitlines()[-1]
    r = cli("batch", "create", "b-1", "--project", "drive-1", "--deadline", "36h",
            "--priority", "2")
    assert r.code == 0 and r.out.startswith("batch b-1 of project drive-1: created;"), r.err
    assert r.out.rstrip().endswith("priority 2")
    r = cli("batch", "create", "b-1", "--project", "drive-1", "--priority", "5")
    assert r.code == 0 and "exists already" in r.out, r.err
    assert r.out.rstrip().endswith("priority 2")  # what is stored, not what was asked
    r = cli("batch", "create", "b-4", "--project", "drive-1", "--deadline", "99999999999d")
    assert r.code == 2 and "more than a year away" in r.err and "Traceback" not in r.err
    r = cli("batch", "create", "b-2", "--project", "no-such-project")
    assert r.code == 2 and r.err.strip().splitlines()[-1] == (
        "error: project 'no-such-project' does not exist; create it first with roadlabel "
        "project create")
    r = cli("batch", "create", "b-3", "--project", "drive-1", "--deadline", "soon")
    assert r.code == 2 and "duration 'soon' is not understood" in r.err
    r = cli("gold", "add", "no-such-task", "--batch", "no-such-batch")
    assert r.code == 2 and "Traceback" not in r.err
    assert "no-such-task" in r.err.strip().splitlines()[-1]


def test_bad_ids_rates_and_paths_get_one_line_each(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cases = [
        (("project", "create", "a b"), "project_id: 'a b' must be 1-63 letters"),
        (("project", "create", "p-ok", "--ontology", str(tmp_path)), "cannot read ontology file"),
        (("batch", "create", "x/y", "--project", "p-ok"), "batch_id: 'x/y' must be"),
        (("batch", "create", "b..1", "--project", "p-ok"), "batch_id: 'b..1' must be"),
        (("batch", "create", "b-9", "--project", "p-ok", "--priority", "-99999999999"),
         "priority: -99999999999 is outside"),
        (("users", "add", "u1", "--role", "annotator", "--hourly-rate", "nan"),
         "hourly_rate: nan is not a finite rate >= 0"),
        (("report", "--batch", "b-1", "--out", str(tmp_path)), "is a folder"),
        (("report", "--batch", "b-1", "--out", "r.html", "--target-cost", "0"),
         "--target-cost 0.0 is not a positive cost per frame"),
        (("plan", "--hours", "inf"), "--hours inf is not in (0, 1e+06]"),
    ]
    for args, message in cases:
        r = cli(*args)
        last = r.err.strip().splitlines()[-1] if r.err.strip() else ""
        assert r.code == 2 and "Traceback" not in r.err and message in last, (args, r.err)
