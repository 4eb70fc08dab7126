"""In-memory lakeFS semantics: repositories, branches with staging, commits, merges, tags.

Follows lakeFS's documented model: a branch is a pointer to a commit plus a staging area;
reads from a branch see its staged objects; a commit turns staging into a new commit; a merge
is three-way at object level (conflict when both sides changed a path differently since the
merge base, unless ``source-wins`` / ``dest-wins``) and records a commit with two parents.
Errors are ``ApiError(status, message)`` with lakeFS's status codes.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

BRANCH_ID = re.compile(r"^\w[-\w]*$")


class ApiError(Exception):
    """An error response: HTTP status and lakeFS-style message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Entry:
    """One stored object."""

    data: bytes
    checksum: str
    mtime: int
    address: str
    content_type: str = "application/octet-stream"

    def stats(self, path: str) -> dict[str, Any]:
        """lakeFS ObjectStats."""
        return {"path": path, "path_type": "object", "physical_address": self.address,
                "checksum": self.checksum, "size_bytes": len(self.data), "mtime": self.mtime,
                "content_type": self.content_type, "metadata": {}}


@dataclass
class Commit:
    """An immutable commit; ``tree`` maps path -> Entry."""

    id: str
    parents: list[str]
    message: str
    metadata: dict[str, str]
    created: int
    generation: int
    tree: dict[str, Entry]

    def as_json(self) -> dict[str, Any]:
        """lakeFS Commit."""
        return {"id": self.id, "parents": self.parents, "committer": "roadlabel-test",
                "message": self.message, "creation_date": self.created,
                "meta_range_id": _tree_id(self.tree), "metadata": self.metadata,
                "generation": self.generation, "version": 1}


@dataclass
class Branch:
    """A moving pointer plus staged changes (path -> Entry, None for a deletion)."""

    head: str
    staging: dict[str, Entry | None] = field(default_factory=dict)


@dataclass
class Repo:
    """One repository."""

    id: str
    namespace: str
    default_branch: str
    created: int
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, Branch] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """lakeFS Repository."""
        return {"id": self.id, "creation_date": self.created, "default_branch":
                self.default_branch, "storage_namespace": self.namespace, "read_only": False}


class LakeFSModel:
    """All repositories of one test server; every public method is atomic (one lock)."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.pre_merge_refusals: dict[str, str] = {}  # source ref -> why a hook blocks it
        self.lock = threading.RLock()
        self._counter = itertools.count()

    # -- repositories and refs -------------------------------------------------------------

    def create_repository(self, name: str, namespace: str, default_branch: str) -> Repo:
        """Create a repository with an initial empty commit on its default branch."""
        if name in self.repos:
            raise ApiError(409, f"repository {name} already exists")
        repo = Repo(name, namespace, default_branch, int(time.time()))
        first = self._new_commit(repo, [], "Repository created", {}, {})
        repo.branches[default_branch] = Branch(first.id)
        self.repos[name] = repo
        return repo

    def repo(self, name: str) -> Repo:
        """The repository or 404."""
        if name not in self.repos:
            raise ApiError(404, "repository not found")
        return self.repos[name]

    def branch(self, repo: Repo, name: str) -> Branch:
        """The branch or 404."""
        if name not in repo.branches:
            raise ApiError(404, f"branch not found: {name}")
        return repo.branches[name]

    def resolve(self, repo: Repo, ref: str) -> Commit:
        """Branch, tag or commit id -> commit, or 404."""
        if ref in repo.branches:
            return repo.commits[repo.branches[ref].head]
        if ref in repo.tags:
            return repo.commits[repo.tags[ref]]
        if ref in repo.commits:
            return repo.commits[ref]
        raise ApiError(404, f"ref not found: {ref}")

    def view(self, repo: Repo, ref: str) -> dict[str, Entry]:
        """Objects visible at ``ref``: a branch includes its staged changes."""
        tree = dict(self.resolve(repo, ref).tree)
        if ref in repo.branches:
            for path, entry in repo.branches[ref].staging.items():
                if entry is None:
                    tree.pop(path, None)
                else:
                    tree[path] = entry
        return tree

    def lookup(self, repo: Repo, ref: str, path: str) -> Entry:
        """One object visible at ``ref`` (staging first on a branch), or 404."""
        if ref in repo.branches and path in repo.branches[ref].staging:
            entry = repo.branches[ref].staging[path]
        else:
            entry = self.resolve(repo, ref).tree.get(path)
        if entry is None:
            raise ApiError(404, f"object not found: {path}")
        return entry

    def create_branch(self, repo: Repo, name: str, source: str) -> str:
        """Create a branch at ``source``; return its commit id."""
        if not BRANCH_ID.fullmatch(name):
            raise ApiError(400, "argument branchID: invalid value: validation error")
        if name in repo.branches:
            raise ApiError(409, "branch already exists")
        commit = self.resolve(repo, source)
        repo.branches[name] = Branch(commit.id)
        return commit.id

    def create_tag(self, repo: Repo, tag: str, ref: str) -> str:
        """Create a tag at ``ref``; return its commit id."""
        if tag in repo.tags:
            raise ApiError(409, "tag already exists")
        commit = self.resolve(repo, ref)
        repo.tags[tag] = commit.id
        return commit.id

    # -- objects and commits ---------------------------------------------------------------

    def stage(self, repo: Repo, branch: str, path: str, data: bytes) -> Entry:
        """Upload an object to a branch's staging area."""
        b = self.branch(repo, branch)
        entry = Entry(data, hashlib.md5(data, usedforsecurity=False).hexdigest(),
                      int(time.time()), f"{repo.namespace}data/{next(self._counter):012d}")
        b.staging[path] = entry
        return entry

    def commit(self, repo: Repo, branch: str, message: str, metadata: dict[str, str],
               allow_empty: bool) -> Commit:
        """Commit the branch's staging area."""
        b = self.branch(repo, branch)
        if not b.staging and not allow_empty:  # lakeFS: an empty staging area, not same content
            raise ApiError(400, "commit: no changes")
        tree = self.view(repo, branch)
        head = repo.commits[b.head]
        commit = self._new_commit(repo, [head.id], message, metadata, tree)
        b.head, b.staging = commit.id, {}
        return commit

    def log(self, repo: Repo, ref: str) -> list[Commit]:
        """Every commit reachable from ``ref``, newest (highest generation) first."""
        seen: dict[str, Commit] = {}
        todo = [self.resolve(repo, ref).id]
        while todo:
            cid = todo.pop()
            if cid not in seen:
                seen[cid] = repo.commits[cid]
                todo.extend(seen[cid].parents)
        return sorted(seen.values(), key=lambda c: (-c.generation, -c.created, c.id))

    # -- diff and merge --------------------------------------------------------------------

    def merge_base(self, repo: Repo, left: str, right: str) -> Commit:
        """The nearest common ancestor (highest generation)."""
        ancestors = {c.id for c in self.log(repo, left)}
        common = [c for c in self.log(repo, right) if c.id in ancestors]
        if not common:
            raise ApiError(404, "no merge base")
        return common[0]

    def diff(self, repo: Repo, left: str, right: str, three_dot: bool) -> list[dict[str, Any]]:
        """lakeFS Diff entries between two committed refs, sorted by path."""
        base = self.merge_base(repo, left, right) if three_dot else self.resolve(repo, left)
        return _diff(base.tree, self.resolve(repo, right).tree)

    def reset(self, repo: Repo, branch: str) -> None:
        """Drop a branch's staging area (resetBranch, type reset)."""
        self.branch(repo, branch).staging = {}

    def merge(self, repo: Repo, source: str, dest: str, message: str,
              metadata: dict[str, str], strategy: str | None, allow_empty: bool = False
              ) -> Commit:
        """Three-way merge at object level; 409 on conflicts without a strategy; 412 when
        ``pre_merge_refusals`` names the source (a pre-merge hook that blocks it)."""
        if strategy not in (None, "", "source-wins", "dest-wins"):
            raise ApiError(400, f"invalid strategy: {strategy}")
        d = self.branch(repo, dest)
        if d.staging:
            raise ApiError(400, "destination branch has uncommitted changes")
        src, dst = self.resolve(repo, source), repo.commits[d.head]
        base = self.merge_base(repo, src.id, dst.id)
        if base.id == src.id or (src.tree == dst.tree and not allow_empty):
            raise ApiError(400, "no changes")
        if source in self.pre_merge_refusals:
            raise ApiError(412, f"pre-merge hook qa_gates failed: "
                                f"{self.pre_merge_refusals[source]}")
        theirs, ours = _changes(base.tree, src.tree), _changes(base.tree, dst.tree)
        conflicts = [p for p in theirs if p in ours and _ident(theirs[p]) != _ident(ours[p])]
        if conflicts and not strategy:
            raise ApiError(409, "conflict found")
        tree = dict(dst.tree)
        for path, entry in theirs.items():
            if path in ours and (path not in conflicts or strategy == "dest-wins"):
                continue
            if entry is None:
                tree.pop(path, None)
            else:
                tree[path] = entry
        commit = self._new_commit(repo, [dst.id, src.id], message, metadata, tree)
        d.head = commit.id
        return commit

    def _new_commit(self, repo: Repo, parents: list[str], message: str,
                    metadata: dict[str, str], tree: dict[str, Entry]) -> Commit:
        generation = 1 + max((repo.commits[p].generation for p in parents), default=0)
        seed = f"{repo.id}/{next(self._counter)}/{time.time_ns()}/{message}".encode()
        commit = Commit(hashlib.sha256(seed).hexdigest(), parents, message, dict(metadata),
                        int(time.time()), generation, tree)
        repo.commits[commit.id] = commit
        return commit


def _ident(entry: Entry | None) -> str | None:
    return None if entry is None else entry.checksum


def _tree_id(tree: dict[str, Entry]) -> str:
    h = hashlib.sha256()
    for path in sorted(tree):
        h.update(f"{path}\0{tree[path].checksum}\n".encode())
    return h.hexdigest()


def _changes(base: dict[str, Entry], side: dict[str, Entry]) -> dict[str, Entry | None]:
    out: dict[str, Entry | None] = {p: e for p, e in side.items()
                                    if p not in base or base[p].checksum != e.checksum}
    out.update({p: None for p in base if p not in side})
    return out


def _diff(left: dict[str, Entry], right: dict[str, Entry]) -> list[dict[str, Any]]:
    out = []
    for path, entry in sorted(_changes(left, right).items()):
        kind = "removed" if entry is None else "changed" if path in left else "added"
        item: dict[str, Any] = {"type": kind, "path": path, "path_type": "object"}
        if entry is not None:
            item["size_bytes"] = len(entry.data)
            item["right"] = {"checksum": entry.checksum, "mtime": entry.mtime,
                             "content_type": entry.content_type}
        out.append(item)
    return out
