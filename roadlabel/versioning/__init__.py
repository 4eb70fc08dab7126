"""Versioned datasets: lakeFS in production, a git repository as the embedded default.

Public surface: ``open_versioning(settings)`` picks the backend; ``publish_batch`` writes a
batch with lineage; ``run_nightly`` merges the batches that pass the QA gates into ``main`` as
a dated snapshot. Repository layout: ``layout`` and ``LAYOUT.md``.
"""

from __future__ import annotations

from roadlabel.config import Settings
from roadlabel.versioning.base import (
    AlreadyExists,
    BranchNotFound,
    CommitInfo,
    DiffEntry,
    DirtyBranch,
    InvalidName,
    MergeConflict,
    MergeRefused,
    MergeResult,
    NothingToCommit,
    PathNotFound,
    RefNotFound,
    RepositoryNotFound,
    TransientError,
    VersioningError,
    VersioningStore,
)
from roadlabel.versioning.git_store import GitVersioning
from roadlabel.versioning.publish import batch_branch, publish_batch, publish_objects

#: Settings.extra key naming where lakeFS stores a newly created repository's data.
STORAGE_NAMESPACE_KEY = "ROADLABEL_LAKEFS_STORAGE_NAMESPACE"


def open_versioning(settings: Settings) -> VersioningStore:
    """lakeFS when ``settings.lakefs`` is set, else the git repository at git_repo_path."""
    if settings.lakefs is None:
        return GitVersioning(settings.git_repo_path)
    from roadlabel.versioning.lakefs_store import LakeFSVersioning  # the SDK loads slowly

    lk = settings.lakefs
    namespace = settings.extra.get(STORAGE_NAMESPACE_KEY) or (
        f"s3://{settings.s3.bucket}/lakefs/{lk.repository}/")
    return LakeFSVersioning(lk.endpoint, lk.access_key, lk.secret_key, lk.repository, namespace)


__all__ = [
    "AlreadyExists", "BranchNotFound", "CommitInfo", "DiffEntry", "DirtyBranch", "GitVersioning",
    "InvalidName", "MergeConflict", "MergeRefused", "MergeResult", "NothingToCommit", "PathNotFound",
    "RefNotFound", "RepositoryNotFound", "TransientError", "VersioningError", "VersioningStore",
    "batch_branch", "open_versioning", "publish_batch", "publish_objects",
]
