"""``roadlabel images REF --out DIR``: the frame images of a dataset ref, checked by hash.

REF is a snapshot tag (``snapshot-2026-11-30``), a commit id or a branch. Images go to
``DIR/<sequence>/<index:06d>.jpg``, the paths COCO, YOLO, VOC and KITTI exports name. Safe to
re-run: frames already there with the manifest's hash are kept.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from roadlabel.cli import _runtime
from roadlabel.config import Settings
from roadlabel.errors import UserError
from roadlabel.manifest import SequenceManifest


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the subcommand."""
    p = sub.add_parser("images", help="write a dataset ref's frame images, checked by sha256",
                       description=__doc__)
    p.add_argument("ref", help="snapshot tag, commit id or branch of the dataset")
    p.add_argument("--out", type=Path, required=True, help="folder to write the images to")
    p.add_argument("--sequence", action="append", default=[],
                   help="only this sequence (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the images; exit 1 when any frame could not be written."""
    from roadlabel.embedded.stack import Stack
    from roadlabel.exports.images import write_images
    from workers.ingest.storage import SettingsStore

    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out} is a file", "name a folder")
    settings = _runtime.settings()
    manifests = _manifests(settings, args.ref, args.sequence)
    with Stack(settings, need_pg=False) as ep:
        store = SettingsStore(ep.s3)
        report = write_images(manifests, store.get, args.out)
    for line in report.failed:
        print(f"FAILED {line}")
    print(f"{report.written} images written, {report.present} already there, "
          f"{len(report.failed)} failed, under {args.out}")
    return 1 if report.failed else 0


def _manifests(settings: Settings, ref: str, only: list[str]) -> list[SequenceManifest]:
    from roadlabel.versioning import open_versioning
    from roadlabel.versioning.layout import MANIFESTS, manifest_path

    vs = open_versioning(settings)
    paths = [manifest_path(s) for s in only] or vs.list_objects(ref, MANIFESTS)
    if not paths:
        raise UserError(f"{ref} holds no manifests", "name a snapshot with published batches")
    return [SequenceManifest.from_json(b.decode()) for b in vs.read_objects(ref, paths).values()]
