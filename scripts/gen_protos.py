"""Regenerate roadlabel/v1 from proto/ (Python, gRPC and mypy stubs), or check it is current.

Usage: python scripts/gen_protos.py [--check]
With --check nothing is written; exit 1 lists the files that regeneration would change.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "proto"
OUT_PACKAGE = ROOT / "roadlabel" / "v1"
INIT = '"""Generated protobuf and gRPC code for roadlabel.v1 (do not edit; see proto/)."""\n'


def generate(out_root: Path) -> None:
    """Run protoc (from grpcio-tools) with the gRPC and mypy plugins into out_root."""
    import grpc_tools
    from grpc_tools import protoc

    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_ROOT.rglob("*.proto"))
    include = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc", f"-I{PROTO_ROOT}", f"-I{include}",
        f"--python_out={out_root}", f"--grpc_python_out={out_root}",
        f"--mypy_out={out_root}", f"--mypy_grpc_out={out_root}", *protos,
    ]
    # protoc finds the mypy plugins on PATH; they sit beside this interpreter.
    bindir = str(Path(sys.executable).parent)
    os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    (out_root / "roadlabel" / "v1" / "__init__.py").write_text(INIT)
    (out_root / "roadlabel" / "v1" / "py.typed").write_text("")


def changed_files(fresh: Path) -> list[str]:
    """Files that differ between the fresh generation and the checked-in package."""
    fresh_pkg = fresh / "roadlabel" / "v1"
    names = {p.name for p in fresh_pkg.iterdir() if p.is_file()}
    names |= {p.name for p in OUT_PACKAGE.iterdir() if p.is_file()} if OUT_PACKAGE.exists() else set()
    out = []
    for name in sorted(names):
        a, b = fresh_pkg / name, OUT_PACKAGE / name
        if not (a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)):
            out.append(name)
    return out


def main() -> int:
    """Generate or check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        diff = changed_files(Path(tmp))
        if args.check:
            if diff:
                print("out of date: " + ", ".join(diff), file=sys.stderr)
                return 1
            return 0
        if OUT_PACKAGE.exists():
            shutil.rmtree(OUT_PACKAGE)
        shutil.copytree(Path(tmp) / "roadlabel" / "v1", OUT_PACKAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
