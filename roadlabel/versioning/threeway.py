"""Three-way merge at object level, as lakeFS does it: whole objects, never lines."""

from __future__ import annotations

from collections.abc import Mapping

from roadlabel.versioning.base import MergeStrategy

#: A side's changes since the merge base: path -> new object identity, None when removed.
Changes = Mapping[str, str | None]


def plan_merge(
    source: Changes, dest: Changes, strategy: MergeStrategy | None
) -> tuple[dict[str, str | None], list[str]]:
    """Changes to apply to the destination, and the conflicting paths (sorted).

    A path is in conflict when both sides changed it to different results. Identical changes
    on both sides are not a conflict. With a strategy, conflicts are resolved to one side; the
    caller refuses the merge when conflicts remain and no strategy was given.
    """
    conflicts = sorted(p for p, ident in source.items() if p in dest and dest[p] != ident)
    apply = {p: ident for p, ident in source.items() if p not in dest}
    if strategy == "source-wins":
        apply.update({p: source[p] for p in conflicts})
    return apply, conflicts
