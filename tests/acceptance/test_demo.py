"""`roadlabel demo` runs the whole path on the embedded stack, twice."""

from __future__ import annotations

import re
import subprocess


def _field(out: str, name: str) -> str:
    match = re.search(rf"^{name}\s+(.+)$", out, re.MULTILINE)
    assert match, out
    return match.group(1)


def test_demo_end_to_end_and_again(cli) -> None:  # type: ignore[no-untyped-def]
    commits = []
    for _ in range(2):
        r = cli("demo", timeout=600)
        assert r.code == 0, r.err[-3000:]
        assert int(_field(r.out, "frames")) > 0
        tasks = int(_field(r.out, "tasks").split()[0])
        accepted = int(_field(r.out, "accepted").split()[0])
        assert "with pre-labels" in _field(r.out, "tasks")
        assert int(_field(r.out, "tasks").split("(")[1].split()[0]) == tasks  # all pre-labelled
        assert tasks > 0 and accepted == tasks
        commit = _field(r.out, "commit").split()[0]
        assert re.fullmatch(r"[0-9a-f]{40}", commit)
        commits.append(commit)
        assert "seconds per stage" in r.out
    repo = cli.home / "dataset.git"
    log = subprocess.run(["git", "--git-dir", str(repo), "log", "--all", "--format=%H"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert set(commits) <= set(log)
