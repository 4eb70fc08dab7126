"""The embedded versioning backend: a bare git repository driven by the git CLI.

The repository is a normal bare repository (``git --git-dir <path> log main`` works). To give
git the lakeFS model without a work tree, only plumbing is used:

- staging: ``put_objects`` writes blobs with one ``git fast-import`` per call and appends
  ``<mode> <blob>\\t<path>`` lines to ``<git-dir>/roadlabel-staging/<branch>``;
- commit: a temporary index is read from the branch head, the staged lines are applied with
  ``update-index --index-info``, then ``write-tree``, ``commit-tree`` and a compare-and-swap
  ``update-ref`` (a concurrent writer makes the commit fail instead of losing work);
- metadata: one trailer line ``Roadlabel-Metadata: {json}`` ends the commit message, so
  ``git log`` shows it and ``get_commit`` reads it back exactly;
- merge: object-level three-way merge (``threeway.plan_merge``), never a line merge, recorded
  as a two-parent commit like lakeFS's merge commits.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from roadlabel.versioning.base import (
    DEFAULT_BRANCH,
    AlreadyExists,
    BranchNotFound,
    CommitInfo,
    DiffEntry,
    DiffKind,
    DirtyBranch,
    MergeConflict,
    MergeResult,
    MergeStrategy,
    NothingToCommit,
    PathNotFound,
    RefNotFound,
    RepositoryNotFound,
    VersioningError,
    check_branch_name,
    check_object_path,
)
from roadlabel.versioning.threeway import plan_merge

METADATA_TRAILER = "Roadlabel-Metadata: "
_IDENTITY = {
    "GIT_AUTHOR_NAME": "roadlabel", "GIT_AUTHOR_EMAIL": "roadlabel@localhost",
    "GIT_COMMITTER_NAME": "roadlabel", "GIT_COMMITTER_EMAIL": "roadlabel@localhost",
}
_ZERO = "0" * 40
_KINDS: dict[str, DiffKind] = {"A": "added", "D": "removed", "M": "changed", "T": "changed"}


class GitVersioning:
    """VersioningStore over a bare git repository at ``path``."""

    def __init__(self, path: Path | str, repository: str = "roadlabel") -> None:
        self.path = Path(path)
        self.repository = repository
        self._lock = threading.Lock()

    # -- repository and refs ---------------------------------------------------------------

    def ensure_repository(self) -> None:
        """Create the bare repository with an empty initial commit on ``main`` unless it exists."""
        if not (self.path / "HEAD").exists():
            self.path.mkdir(parents=True, exist_ok=True)
            subprocess.run(["git", "init", "--quiet", "--bare", "-b", DEFAULT_BRANCH,
                            str(self.path)], check=True, capture_output=True)
        if self._try_resolve(f"refs/heads/{DEFAULT_BRANCH}") is None:
            tree = self._git("mktree", stdin=b"").strip()
            commit = self._commit_tree(tree, [], "Repository created", {})
            self._git("update-ref", f"refs/heads/{DEFAULT_BRANCH}", commit, "")

    def branch_exists(self, branch: str) -> bool:
        """Whether the branch exists."""
        return self._try_resolve(f"refs/heads/{branch}") is not None

    def list_branches(self, prefix: str = "") -> list[str]:
        """Names of the branches starting with ``prefix``, sorted."""
        out = self._git("for-each-ref", "--format=%(refname:strip=2)", "refs/heads/")
        return sorted(n for n in out.splitlines() if n.startswith(prefix))

    def create_branch(self, name: str, source_ref: str) -> str:
        """Create a branch at ``source_ref``; return its commit id (AlreadyExists if taken)."""
        check_branch_name(name)
        commit = self.resolve(source_ref)
        if self.branch_exists(name):
            raise AlreadyExists(name)
        self._git("update-ref", f"refs/heads/{name}", commit, "")
        return commit

    def resolve(self, ref: str) -> str:
        """The commit id a branch, tag or commit id points at."""
        for candidate in (f"refs/heads/{ref}", f"refs/tags/{ref}", ref):
            commit = self._try_resolve(candidate)
            if commit is not None:
                return commit
        raise RefNotFound(ref)

    def tag(self, name: str, ref: str) -> str:
        """Create tag ``name`` at ``ref``; return the commit id (AlreadyExists if taken)."""
        check_branch_name(name)
        commit = self.resolve(ref)
        if self._try_resolve(f"refs/tags/{name}") is not None:
            raise AlreadyExists(name)
        self._git("update-ref", f"refs/tags/{name}", commit, "")
        return commit

    # -- staging and commits ---------------------------------------------------------------

    def put_objects(self, branch: str, objects: Mapping[str, bytes]) -> None:
        """Stage objects (path -> bytes) on a branch."""
        self._branch_head(branch)
        lines = [f"100644 {_blob_id(data)}\t{check_object_path(p)}\n"
                 for p, data in objects.items()]
        stream = b"".join(b"blob\ndata %d\n%b\n" % (len(d), d) for d in objects.values())
        self._git("fast-import", "--quiet", stdin=stream + b"done\n")
        with self._lock, self._staging_file(branch).open("a", encoding="utf-8") as fh:
            fh.writelines(lines)

    def commit(self, branch: str, message: str, metadata: Mapping[str, str],
               allow_empty: bool = False) -> CommitInfo:
        """Commit what is staged on ``branch`` (NothingToCommit unless allow_empty)."""
        with self._lock:
            parent = self._branch_head(branch)
            staging = self._staging_file(branch)
            staged = staging.read_bytes() if staging.exists() else b""
            with self._index(parent) as env:
                self._git("update-index", "--index-info", stdin=staged, env=env)
                tree = self._git("write-tree", env=env).strip()
            if tree == self._git("rev-parse", f"{parent}^{{tree}}").strip() and not allow_empty:
                staging.unlink(missing_ok=True)
                raise NothingToCommit(branch)
            commit = self._commit_tree(tree, [parent], message, metadata)
            self._advance(branch, commit, parent)
            staging.unlink(missing_ok=True)
        return self.get_commit(commit)

    def discard_uncommitted(self, branch: str) -> list[str]:
        """Drop what is staged on ``branch``; return the paths that were staged."""
        with self._lock:
            staging = self._staging_file(branch)
            lines = staging.read_text(encoding="utf-8").splitlines() if staging.exists() else []
            staging.unlink(missing_ok=True)
        return sorted({line.split("\t", 1)[1] for line in lines if "\t" in line})

    def get_commit(self, ref: str) -> CommitInfo:
        """The commit a ref points at."""
        return self.log(self.resolve(ref), limit=1)[0]

    def log(self, ref: str, limit: int = 100) -> list[CommitInfo]:
        """Up to ``limit`` commits reachable from ``ref``, newest first."""
        commit = self.resolve(ref)
        out = self._git("log", f"-n{limit}", "--format=%H%x00%P%x00%ct%x00%B%x1e", commit)
        return [_parse_commit(rec) for rec in out.split("\x1e") if rec.strip()]

    # -- comparing and merging -------------------------------------------------------------

    def diff(self, left_ref: str, right_ref: str, prefix: str = "") -> list[DiffEntry]:
        """Objects that differ from ``left_ref`` to ``right_ref`` (two-dot), sorted by path."""
        changes = self._changes(self.resolve(left_ref), self.resolve(right_ref))
        return [DiffEntry(p, kind) for p, (kind, _) in sorted(changes.items())
                if p.startswith(prefix)]

    def merge_base(self, source_ref: str, dest_branch: str) -> str:
        """The best common ancestor of two refs."""
        return self._git("merge-base", self.resolve(source_ref), self.resolve(dest_branch)).strip()

    def merge(self, source_ref: str, dest_branch: str, message: str,
              metadata: Mapping[str, str], strategy: MergeStrategy | None = None) -> MergeResult:
        """Three-way merge ``source_ref`` into ``dest_branch`` (MergeConflict lists the paths)."""
        with self._lock:
            dest = self._branch_head(dest_branch)
            source = _source_head(self, source_ref)
            if self._staging_file(dest_branch).exists():
                raise DirtyBranch(dest_branch)
            base = self._git("merge-base", source, dest).strip()
            if base == source:
                return MergeResult(dest, merged=False)
            src = {p: ident for p, (_, ident) in self._changes(base, source).items()}
            dst = {p: ident for p, (_, ident) in self._changes(base, dest).items()}
            apply, conflicts = plan_merge(src, dst, strategy)
            if conflicts and strategy is None:
                raise MergeConflict(source_ref, dest_branch, conflicts)
            lines = "".join(f"100644 {ident}\t{p}\n" if ident else f"0 {_ZERO}\t{p}\n"
                            for p, ident in sorted(apply.items()))
            with self._index(dest) as env:
                self._git("update-index", "--index-info", stdin=lines.encode(), env=env)
                tree = self._git("write-tree", env=env).strip()
            commit = self._commit_tree(tree, [dest, source], message, metadata)
            self._advance(dest_branch, commit, dest)
        return MergeResult(commit, merged=True)

    # -- objects ---------------------------------------------------------------------------

    def read_object(self, ref: str, path: str) -> bytes:
        """The bytes of one object at ``ref`` (PathNotFound if absent)."""
        return self.read_objects(ref, [path])[path]

    def read_objects(self, ref: str, paths: Sequence[str]) -> dict[str, bytes]:
        """The bytes of several objects at ``ref``, by path, with one ``cat-file --batch``."""
        commit = self.resolve(ref)
        query = "".join(f"{commit}:{p}\n" for p in paths).encode()
        out = self._git_bytes("cat-file", "--batch", stdin=query)
        result: dict[str, bytes] = {}
        pos = 0
        for p in paths:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            if header[-1] == b"missing" or header[1] != b"blob":
                raise PathNotFound(ref, p)
            size = int(header[2])
            result[p] = out[end + 1:end + 1 + size]
            pos = end + 1 + size + 1
        return result

    def list_objects(self, ref: str, prefix: str = "") -> list[str]:
        """Paths of the objects at ``ref`` starting with ``prefix``, sorted."""
        out = self._git("ls-tree", "-r", "-z", "--name-only", self.resolve(ref))
        return sorted(p for p in out.split("\0") if p and p.startswith(prefix))

    # -- plumbing --------------------------------------------------------------------------

    def _git_bytes(self, *args: str, stdin: bytes | None = None,
                   env: Mapping[str, str] | None = None) -> bytes:
        if not (self.path / "HEAD").exists():
            raise RepositoryNotFound(str(self.path))
        full_env = {**os.environ, **_IDENTITY, "GIT_DIR": str(self.path), **(env or {})}
        proc = subprocess.run(["git", *args], input=stdin, capture_output=True, env=full_env)
        if proc.returncode != 0:
            detail = proc.stderr.decode(errors="replace").strip().splitlines()
            raise VersioningError(f"git {args[0]} failed: {detail[-1] if detail else '?'}",
                                  f"check the repository at {self.path}")
        return proc.stdout

    def _git(self, *args: str, stdin: bytes | None = None,
             env: Mapping[str, str] | None = None) -> str:
        return self._git_bytes(*args, stdin=stdin, env=env).decode()

    def _try_resolve(self, ref: str) -> str | None:
        try:
            out = self._git("rev-parse", "--verify", "--quiet", "--end-of-options",
                            f"{ref}^{{commit}}")
        except VersioningError:
            return None
        return out.strip() or None

    def _branch_head(self, branch: str) -> str:
        commit = self._try_resolve(f"refs/heads/{branch}")
        if commit is None:
            raise BranchNotFound(branch)
        return commit

    def _staging_file(self, branch: str) -> Path:
        folder = self.path / "roadlabel-staging"
        folder.mkdir(exist_ok=True)
        return folder / branch

    @contextmanager
    def _index(self, commit: str) -> Iterator[dict[str, str]]:
        """A temporary index holding ``commit``'s tree, as an env for git commands."""
        with tempfile.TemporaryDirectory(dir=self.path) as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self._git("read-tree", commit, env=env)
            yield env

    def _commit_tree(self, tree: str, parents: list[str], message: str,
                     metadata: Mapping[str, str]) -> str:
        body = message.rstrip("\n") + "\n\n" + METADATA_TRAILER + json.dumps(
            dict(metadata), sort_keys=True) + "\n"
        args = ["commit-tree", tree]
        for p in parents:
            args += ["-p", p]
        return self._git(*args, stdin=body.encode()).strip()

    def _advance(self, branch: str, new: str, old: str) -> None:
        try:
            self._git("update-ref", f"refs/heads/{branch}", new, old)
        except VersioningError as exc:
            raise VersioningError(f"branch {branch!r} moved during the update",
                                  "retry; only one writer per branch is supported") from exc

    def _changes(self, left: str, right: str) -> dict[str, tuple[DiffKind, str | None]]:
        """path -> (kind, new blob id or None when removed) between two commits."""
        out = self._git("diff-tree", "-r", "-z", "--no-renames", left, right)
        fields = out.split("\0")
        changes: dict[str, tuple[DiffKind, str | None]] = {}
        for meta, path in zip(fields[0::2], fields[1::2], strict=False):
            if not meta.startswith(":"):
                continue
            _, _, _, new, status = meta[1:].split(" ")
            changes[path] = (_KINDS[status[0]], None if new == _ZERO else new)
        return changes


def _source_head(store: GitVersioning, ref: str) -> str:
    try:
        return store.resolve(ref)
    except RefNotFound:
        raise BranchNotFound(ref) from None


def _blob_id(data: bytes) -> str:
    """The id git gives a blob (sha1 over header and bytes), computed without a process."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def _parse_commit(record: str) -> CommitInfo:
    commit_id, parents, created, body = record.lstrip("\n").split("\0", 3)
    metadata: dict[str, str] = {}
    lines = body.rstrip("\n").split("\n")
    if lines and lines[-1].startswith(METADATA_TRAILER):
        metadata = json.loads(lines.pop()[len(METADATA_TRAILER):])
    return CommitInfo(commit_id, "\n".join(lines).rstrip("\n"), metadata,
                      tuple(parents.split()), int(created))
