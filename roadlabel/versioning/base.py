"""The versioning interface: a Protocol, its result types and its domain errors.

Two adapters implement it: ``GitVersioning`` (the embedded default, a bare git repository) and
``LakeFSVersioning`` (production, through ``lakefs-sdk``). Both follow lakeFS semantics:

- a repository has a default branch ``main`` with an initial empty commit;
- ``put_objects`` stages objects on a branch; ``commit`` turns the staged objects into one
  commit carrying string->string metadata;
- ``merge`` is three-way at object level: a path changed differently on both sides since the
  merge base is a conflict (reported, never overwritten) unless a strategy picks a side;
- ``NothingToCommit`` when nothing is staged (git also when the staged objects equal the
  head's; lakeFS then records a commit, so callers stage only what changed);
- branch names follow lakeFS (``^\\w[-\\w]*$``: no slash), so one name works on both backends.

Callers catch these errors, never ``subprocess`` or ``lakefs_sdk`` exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from roadlabel.errors import ServiceUnavailable, UserError

MergeStrategy = Literal["source-wins", "dest-wins"]
DiffKind = Literal["added", "removed", "changed"]

#: lakeFS's branch-id rule; git accepts every name it allows.
BRANCH_NAME = re.compile(r"^\w[-\w]*$")
DEFAULT_BRANCH = "main"


@dataclass(frozen=True)
class CommitInfo:
    """One commit: id, message, metadata (string -> string), parents and creation time."""

    id: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)
    parents: tuple[str, ...] = ()
    created: int = 0


@dataclass(frozen=True)
class DiffEntry:
    """One object that differs between two refs."""

    path: str
    kind: DiffKind


@dataclass(frozen=True)
class MergeResult:
    """Outcome of a merge; ``merged`` is False when the source was already contained."""

    commit_id: str
    merged: bool


class VersioningError(UserError):
    """Base of every versioning failure."""


class RepositoryNotFound(VersioningError):
    """The repository does not exist."""

    def __init__(self, repository: str) -> None:
        super().__init__(f"versioning repository {repository!r} not found",
                         "create it with ensure_repository() or check the repository name")
        self.repository = repository


class RefNotFound(VersioningError):
    """A ref (branch, tag or commit) does not exist."""

    def __init__(self, ref: str) -> None:
        super().__init__(f"ref {ref!r} not found", "check the branch, tag or commit name")
        self.ref = ref


class BranchNotFound(RefNotFound):
    """A branch does not exist."""


class PathNotFound(VersioningError):
    """No object at this path in this ref."""

    def __init__(self, ref: str, path: str) -> None:
        super().__init__(f"no object {path!r} at {ref!r}", "list the ref to see what it holds")
        self.ref, self.path = ref, path


class AlreadyExists(VersioningError):
    """A branch or tag with that name exists already."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} exists already", "pick another name or reuse it")
        self.name = name


class InvalidName(VersioningError):
    """A branch, tag or path name the backends cannot store."""

    def __init__(self, name: str, rule: str) -> None:
        super().__init__(f"invalid name {name!r}", f"use a name matching {rule}")
        self.name = name


class NothingToCommit(VersioningError):
    """A commit was asked for but nothing differs from the branch head."""

    def __init__(self, branch: str) -> None:
        super().__init__(f"no changes to commit on {branch!r}", "stage objects first")
        self.branch = branch


class DirtyBranch(VersioningError):
    """The destination of a merge has uncommitted changes."""

    def __init__(self, branch: str) -> None:
        super().__init__(f"branch {branch!r} has uncommitted changes",
                         "commit or reset them before merging into it")
        self.branch = branch


class MergeConflict(VersioningError):
    """Both sides changed the same paths differently since the merge base."""

    def __init__(self, source: str, destination: str, paths: Sequence[str]) -> None:
        shown = ", ".join(list(paths)[:5]) + (" ..." if len(paths) > 5 else "")
        super().__init__(
            f"merging {source!r} into {destination!r} conflicts on {len(paths)} path(s): {shown}",
            "resolve the paths on the source branch or merge with a strategy",
        )
        self.source, self.destination, self.paths = source, destination, tuple(paths)


class MergeRefused(VersioningError):
    """The server refused a merge for a reason of its own (a lakeFS pre-merge hook: 412)."""

    def __init__(self, source: str, destination: str, reason: str) -> None:
        super().__init__(f"merge of {source} into {destination} refused: {reason}",
                         "see the pre-merge hook's answer; fix the batch and publish it again")
        self.reason = reason


class TransientError(VersioningError, ServiceUnavailable):
    """The backend is busy or the connection broke (429, 503, reset): retrying may succeed.

    After a transient failure of a write the write may or may not have happened.
    """

    def __init__(self, operation: str, detail: str) -> None:
        VersioningError.__init__(self, f"versioning backend failed during {operation}: {detail}",
                                 "retry later; the operation is safe to retry")
        self.operation = operation


def check_branch_name(name: str) -> str:
    """Return ``name`` if both backends accept it as a branch or tag name; else InvalidName."""
    if not BRANCH_NAME.fullmatch(name):
        raise InvalidName(name, BRANCH_NAME.pattern)
    return name


def check_object_path(path: str) -> str:
    """Return ``path`` if it is a relative, normalised object path; else InvalidName."""
    parts = path.split("/")
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in parts) or any(
        c in path for c in "\n\r\t\0\\"
    ):
        raise InvalidName(path, "a relative path like annotations/seq/000000-000010.json")
    return path


@runtime_checkable
class VersioningStore(Protocol):
    """A lakeFS-like versioned object store (see the module docstring for the semantics)."""

    repository: str

    def ensure_repository(self) -> None:
        """Create the repository with branch ``main`` unless it exists."""

    def branch_exists(self, branch: str) -> bool:
        """Whether the branch exists."""

    def list_branches(self, prefix: str = "") -> list[str]:
        """Names of the branches starting with ``prefix``, sorted."""

    def create_branch(self, name: str, source_ref: str) -> str:
        """Create a branch at ``source_ref``; return its commit id (AlreadyExists if taken)."""

    def resolve(self, ref: str) -> str:
        """The commit id a branch, tag or commit id points at."""

    def put_objects(self, branch: str, objects: Mapping[str, bytes]) -> None:
        """Stage objects (path -> bytes) on a branch."""

    def commit(self, branch: str, message: str, metadata: Mapping[str, str],
               allow_empty: bool = False) -> CommitInfo:
        """Commit what is staged on ``branch`` (NothingToCommit unless allow_empty)."""

    def discard_uncommitted(self, branch: str) -> list[str]:
        """Drop what is staged on ``branch``; return the paths that were staged."""

    def get_commit(self, ref: str) -> CommitInfo:
        """The commit a ref points at."""

    def log(self, ref: str, limit: int = 100) -> list[CommitInfo]:
        """Up to ``limit`` commits reachable from ``ref``, newest first."""

    def diff(self, left_ref: str, right_ref: str, prefix: str = "") -> list[DiffEntry]:
        """Objects that differ from ``left_ref`` to ``right_ref`` (two-dot), sorted by path."""

    def merge_base(self, source_ref: str, dest_branch: str) -> str:
        """The best common ancestor of two refs."""

    def merge(self, source_ref: str, dest_branch: str, message: str,
              metadata: Mapping[str, str], strategy: MergeStrategy | None = None) -> MergeResult:
        """Three-way merge ``source_ref`` into ``dest_branch`` (MergeConflict lists the paths)."""

    def tag(self, name: str, ref: str) -> str:
        """Create tag ``name`` at ``ref``; return the commit id (AlreadyExists if taken)."""

    def read_object(self, ref: str, path: str) -> bytes:
        """The bytes of one object at ``ref`` (PathNotFound if absent)."""

    def read_objects(self, ref: str, paths: Sequence[str]) -> dict[str, bytes]:
        """The bytes of several objects at ``ref``, by path."""

    def list_objects(self, ref: str, prefix: str = "") -> list[str]:
        """Paths of the objects at ``ref`` starting with ``prefix``, sorted."""
