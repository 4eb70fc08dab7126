"""The production versioning backend: lakeFS through ``lakefs-sdk``.

Driver errors are translated here, at the boundary: 404 -> RepositoryNotFound / BranchNotFound
/ RefNotFound / PathNotFound (one extra request on the error path tells which), 409 ->
AlreadyExists or MergeConflict, 429 / 502 / 503 / 504 and broken connections -> TransientError.
Writes are never retried here: ``publish`` decides, because a commit whose response was lost
may have happened. A merge conflict lists its paths: lakeFS answers 409 without them, so they
are computed from the two sides' diffs against the merge base (object checksums compared).

Uploads are the bulk of the calls (10,000 objects per commit): they run ``workers`` at a time on
kept-alive connections and bypass the SDK (see ``put_objects``); everything else uses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import quote

import urllib3
from lakefs_sdk.client import LakeFSClient
from lakefs_sdk.configuration import Configuration
from lakefs_sdk.exceptions import ApiException
from lakefs_sdk.models.branch_creation import BranchCreation
from lakefs_sdk.models.commit_creation import CommitCreation
from lakefs_sdk.models.merge import Merge
from lakefs_sdk.models.repository_creation import RepositoryCreation
from lakefs_sdk.models.reset_creation import ResetCreation
from lakefs_sdk.models.tag_creation import TagCreation

from roadlabel.versioning.base import (
    DEFAULT_BRANCH,
    AlreadyExists,
    BranchNotFound,
    CommitInfo,
    DiffEntry,
    DirtyBranch,
    InvalidName,
    MergeConflict,
    MergeRefused,
    MergeResult,
    MergeStrategy,
    NothingToCommit,
    PathNotFound,
    RefNotFound,
    RepositoryNotFound,
    TransientError,
    VersioningError,
    check_branch_name,
    check_object_path,
)

T = TypeVar("T")
_TRANSIENT = {429, 502, 503, 504}
_PAGE = 1000
_REPOSITORY_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")  # lakeFS's rule (swagger.yml)


class LakeFSVersioning:
    """VersioningStore over one lakeFS repository."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str,
                 repository: str = "roadlabel", storage_namespace: str | None = None,
                 workers: int = 8) -> None:
        if not _REPOSITORY_NAME.fullmatch(repository):
            raise InvalidName(repository, _REPOSITORY_NAME.pattern)
        config = Configuration(host=endpoint, username=access_key, password=secret_key)
        config.connection_pool_maxsize = workers
        self._client = LakeFSClient(config)  # type: ignore[no-untyped-call]
        self._endpoint = endpoint.rstrip("/")
        self._uploads = urllib3.PoolManager(maxsize=workers, block=True)
        self._upload_headers = {
            **urllib3.make_headers(basic_auth=f"{access_key}:{secret_key}"),
            "Content-Type": "application/octet-stream"}
        self.repository = repository
        self.storage_namespace = storage_namespace or f"local://{repository}/"
        self.workers = workers

    # -- repository and refs ---------------------------------------------------------------

    def ensure_repository(self) -> None:
        """Create the repository with branch ``main`` unless it exists."""
        try:
            with self._api("get repository"):
                self._client.repositories_api.get_repository(self.repository)
            return
        except RepositoryNotFound:
            pass
        # from_dict: the generated models' optional fields look required to mypy.
        creation = RepositoryCreation.from_dict({
            "name": self.repository, "storage_namespace": self.storage_namespace,
            "default_branch": DEFAULT_BRANCH})
        try:
            with self._api("create repository", conflict=lambda: AlreadyExists(self.repository)):
                self._client.repositories_api.create_repository(creation)
        except AlreadyExists:
            pass  # created concurrently: fine

    def branch_exists(self, branch: str) -> bool:
        """Whether the branch exists."""
        try:
            with self._api("get branch", missing=lambda: BranchNotFound(branch)):
                self._client.branches_api.get_branch(self.repository, branch)
        except BranchNotFound:
            return False
        return True

    def list_branches(self, prefix: str = "") -> list[str]:
        """Names of the branches starting with ``prefix``, sorted."""
        refs = self._pages("list branches", lambda after: self._client.branches_api.list_branches(
            self.repository, prefix=prefix, after=after, amount=_PAGE))
        return sorted(r.id for r in refs)

    def create_branch(self, name: str, source_ref: str) -> str:
        """Create a branch at ``source_ref``; return its commit id (AlreadyExists if taken)."""
        check_branch_name(name)
        with self._api("create branch", missing=lambda: RefNotFound(source_ref),
                       conflict=lambda: AlreadyExists(name)):
            self._client.branches_api.create_branch(
                self.repository, BranchCreation.from_dict({"name": name, "source": source_ref}))
        return self.resolve(name)

    def resolve(self, ref: str) -> str:
        """The commit id a branch, tag or commit id points at."""
        return self.get_commit(ref).id

    def tag(self, name: str, ref: str) -> str:
        """Create tag ``name`` at ``ref``; return the commit id (AlreadyExists if taken)."""
        check_branch_name(name)
        with self._api("create tag", missing=lambda: RefNotFound(ref),
                       conflict=lambda: AlreadyExists(name)):
            made = self._client.tags_api.create_tag(
                self.repository, TagCreation.from_dict({"id": name, "ref": ref}))
        return str(made.commit_id)

    # -- staging and commits ---------------------------------------------------------------

    def put_objects(self, branch: str, objects: Mapping[str, bytes]) -> None:
        """Stage objects (path -> bytes) on a branch, ``workers`` uploads in flight.

        lakeFS accepts concurrent uploads to one branch's staging area (commits stay one at a
        time, in ``publish``). The bodies go as ``application/octet-stream`` straight through
        urllib3 on kept-alive connections: the SDK's per-call argument validation and
        multipart encoding cost ~2.5x the client CPU of the upload itself.
        """
        for path in objects:
            check_object_path(path)
        url = (f"{self._endpoint}/repositories/{quote(self.repository, safe='')}"
               f"/branches/{quote(branch, safe='')}/objects?path=")

        def upload(item: tuple[str, bytes]) -> None:
            with self._api("upload object", missing=lambda: BranchNotFound(branch)):
                # retries=False: a write is retried by publish, which knows when that is safe.
                resp = self._uploads.request(
                    "POST", url + quote(item[0], safe=""), body=item[1], retries=False,
                    headers=self._upload_headers)
                if resp.status >= 300:
                    raise _HttpStatus(resp.status, resp.data.decode(errors="replace"))

        self._parallel(upload, list(objects.items()))

    def commit(self, branch: str, message: str, metadata: Mapping[str, str],
               allow_empty: bool = False) -> CommitInfo:
        """Commit what is staged on ``branch`` (NothingToCommit unless allow_empty)."""
        creation = CommitCreation.from_dict({"message": message, "metadata": dict(metadata),
                                             "allow_empty": allow_empty})
        with self._api("commit", missing=lambda: BranchNotFound(branch),
                       bad_request=lambda text: NothingToCommit(branch)
                       if "no changes" in text else None):
            return _commit_info(self._client.commits_api.commit(self.repository, branch,
                                                                creation))

    def discard_uncommitted(self, branch: str) -> list[str]:
        """Drop what is staged on ``branch`` (resetBranch); return the paths that were staged."""
        staged = self._pages("diff branch", lambda after: self._client.branches_api.diff_branch(
            self.repository, branch, after=after, amount=_PAGE),
            missing=lambda: BranchNotFound(branch))
        if staged:
            with self._api("reset branch", missing=lambda: BranchNotFound(branch)):
                self._client.branches_api.reset_branch(
                    self.repository, branch, ResetCreation.from_dict({"type": "reset"}))
        return sorted(str(d.path) for d in staged)

    def get_commit(self, ref: str) -> CommitInfo:
        """The commit a ref points at."""
        log = self.log(ref, limit=1)
        return log[0]

    def log(self, ref: str, limit: int = 100) -> list[CommitInfo]:
        """Up to ``limit`` commits reachable from ``ref``, newest first."""
        out: list[CommitInfo] = []
        after = ""
        while len(out) < limit:
            with self._api("log commits", missing=lambda: RefNotFound(ref)):
                page = self._client.refs_api.log_commits(
                    self.repository, ref, after=after, amount=min(_PAGE, limit - len(out)))
            out.extend(_commit_info(c) for c in page.results)
            if not page.pagination.has_more:
                break
            after = page.pagination.next_offset
        return out

    # -- comparing and merging -------------------------------------------------------------

    def diff(self, left_ref: str, right_ref: str, prefix: str = "") -> list[DiffEntry]:
        """Objects that differ from ``left_ref`` to ``right_ref`` (two-dot), sorted by path."""
        entries = self._diff_raw(left_ref, right_ref, prefix)
        return sorted((DiffEntry(d.path, d.type) for d in entries), key=lambda d: d.path)

    def merge_base(self, source_ref: str, dest_branch: str) -> str:
        """The best common ancestor of two refs."""
        return str(self._find_merge_base(source_ref, dest_branch).base_commit_id)

    def merge(self, source_ref: str, dest_branch: str, message: str,
              metadata: Mapping[str, str], strategy: MergeStrategy | None = None) -> MergeResult:
        """Three-way merge ``source_ref`` into ``dest_branch`` (MergeConflict lists the paths)."""
        found = self._find_merge_base(source_ref, dest_branch)
        if found.base_commit_id == found.source_commit_id:
            return MergeResult(str(found.destination_commit_id), merged=False)
        # allow_empty: a batch whose objects main already holds (published twice, merged
        # once) would otherwise fail with "no changes" instead of merging as a no-op.
        request = Merge.from_dict({"message": message, "metadata": dict(metadata),
                                   "strategy": strategy, "allow_empty": True})
        try:
            with self._api("merge", missing=lambda: BranchNotFound(dest_branch),
                           conflict=lambda: MergeConflict(source_ref, dest_branch, []),
                           bad_request=lambda text: DirtyBranch(dest_branch)
                           if "uncommitted" in text else None,
                           refused=lambda text: MergeRefused(source_ref, dest_branch, text)):
                result = self._client.refs_api.merge_into_branch(
                    self.repository, source_ref, dest_branch, merge=request)
        except MergeConflict:
            paths = self._conflicting_paths(str(found.base_commit_id), source_ref, dest_branch)
            raise MergeConflict(source_ref, dest_branch, paths) from None
        return MergeResult(str(result.reference), merged=True)

    # -- objects ---------------------------------------------------------------------------

    def read_object(self, ref: str, path: str) -> bytes:
        """The bytes of one object at ``ref`` (PathNotFound if absent)."""
        try:
            with self._api("get object", missing=lambda: PathNotFound(ref, path)):
                return bytes(self._client.objects_api.get_object(self.repository, ref, path))
        except PathNotFound:
            self.resolve(ref)  # raises RefNotFound when the ref, not the path, is missing
            raise

    def read_objects(self, ref: str, paths: Sequence[str]) -> dict[str, bytes]:
        """The bytes of several objects at ``ref``, by path, several reads in flight."""
        result: dict[str, bytes] = {}

        def read(path: str) -> None:
            result[path] = self.read_object(ref, path)

        self._parallel(read, list(paths))
        return {p: result[p] for p in paths}

    def list_objects(self, ref: str, prefix: str = "") -> list[str]:
        """Paths of the objects at ``ref`` starting with ``prefix``, sorted."""
        stats = self._pages("list objects", lambda after: self._client.objects_api.list_objects(
            self.repository, ref, prefix=prefix, after=after, amount=_PAGE),
            missing=lambda: RefNotFound(ref))
        return sorted(s.path for s in stats)

    # -- helpers ---------------------------------------------------------------------------

    def _find_merge_base(self, source_ref: str, dest_branch: str) -> Any:
        try:
            with self._api("find merge base", missing=lambda: BranchNotFound(dest_branch)):
                return self._client.refs_api.find_merge_base(self.repository, source_ref,
                                                             dest_branch)
        except BranchNotFound:
            if self.branch_exists(dest_branch):
                raise BranchNotFound(source_ref) from None
            raise

    def _conflicting_paths(self, base: str, source: str, dest: str) -> list[str]:
        theirs = {d.path: d for d in self._diff_raw(base, source, "", with_stats=True)}
        ours = {d.path: d for d in self._diff_raw(base, dest, "", with_stats=True)}
        return sorted(p for p in theirs.keys() & ours.keys()
                      if _identity(theirs[p]) != _identity(ours[p]))

    def _diff_raw(self, left: str, right: str, prefix: str, with_stats: bool = False) -> list[Any]:
        return self._pages("diff", lambda after: self._client.refs_api.diff_refs(
            self.repository, left, right, after=after, amount=_PAGE, prefix=prefix,
            type="two_dot", include_right_stats=with_stats or None),
            missing=lambda: RefNotFound(f"{left}..{right}"))

    def _pages(self, operation: str, fetch: Callable[[str], Any],
               missing: Callable[[], VersioningError] | None = None) -> list[Any]:
        out: list[Any] = []
        after = ""
        while True:
            with self._api(operation, missing=missing):
                page = fetch(after)
            out.extend(page.results)
            if not page.pagination.has_more:
                return out
            after = page.pagination.next_offset

    def _parallel(self, work: Callable[[T], None], items: list[T]) -> None:
        if len(items) <= 1:
            for item in items:
                work(item)
            return
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="lakefs") as pool:
            for future in [pool.submit(work, item) for item in items]:
                future.result()

    @contextmanager
    def _api(self, operation: str, *, missing: Callable[[], VersioningError] | None = None,
             conflict: Callable[[], VersioningError] | None = None,
             bad_request: Callable[[str], VersioningError | None] | None = None,
             refused: Callable[[str], VersioningError] | None = None,
             ) -> Iterator[None]:
        """Translate lakefs-sdk and urllib3 failures into domain errors (``refused``: 412,
        a precondition such as a pre-merge hook failed)."""
        handlers = (missing, conflict, bad_request, refused)
        try:
            yield
        except ApiException as exc:
            raise self._translate(operation, exc.status or 0, _message(exc), *handlers) from None
        except _HttpStatus as exc:
            raise self._translate(operation, exc.status, exc.text, *handlers) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TransientError(operation, f"{type(exc).__name__}: {exc}") from exc

    def _translate(self, operation: str, status: int, text: str,
                   missing: Callable[[], VersioningError] | None,
                   conflict: Callable[[], VersioningError] | None,
                   bad_request: Callable[[str], VersioningError | None] | None,
                   refused: Callable[[str], VersioningError] | None,
                   ) -> VersioningError:
        if status in _TRANSIENT:
            return TransientError(operation, f"HTTP {status} {text}")
        if status == 412 and refused is not None:
            return refused(text)
        if status == 404:
            if "repository" in text.lower() or missing is None:
                return RepositoryNotFound(self.repository)
            return missing()
        if status == 409 and conflict is not None:
            return conflict()
        if status == 400:
            if "validation error" in text:
                return InvalidName(text, "lakeFS naming rules")
            translated = bad_request(text) if bad_request else None
            if translated is not None:
                return translated
        return VersioningError(f"lakeFS {operation} failed: HTTP {status} {text}",
                               "check the lakeFS server logs")


class _HttpStatus(Exception):
    """An error status answered to a call made without the SDK."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.text = status, text


def _message(exc: ApiException) -> str:
    body = exc.body
    if isinstance(body, bytes | bytearray):
        body = body.decode(errors="replace")
    return str(body or exc.reason or "")


def _identity(diff: Any) -> str | None:
    if diff.type == "removed" or diff.right is None:
        return None
    return str(diff.right.checksum)


def _commit_info(commit: Any) -> CommitInfo:
    return CommitInfo(str(commit.id), str(commit.message), dict(commit.metadata or {}),
                      tuple(commit.parents), int(commit.creation_date))
