"""Project ontologies: hierarchical classes, per-class attributes and lane types, versioned.

A class's attributes are the ontology-wide ones plus its own (``"attributes"`` on the class
node); children inherit their parent's. A box's ``category`` is a leaf class name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from roadlabel.errors import UserError


@dataclass(frozen=True)
class Ontology:
    """A parsed, validated ontology."""

    name: str
    version: str
    guideline_url: str
    guideline_version: str
    classes: dict[str, dict[str, tuple[str, ...]]]  # leaf -> attribute -> allowed values
    parents: dict[str, str]
    lane_types: tuple[str, ...]
    raw: dict[str, Any]


def default() -> Ontology:
    """The ontology shipped with roadlabel (used by the demo)."""
    text = resources.files("roadlabel.data").joinpath("ontology_default.json").read_text()
    return parse(json.loads(text), "built-in default ontology")


def load(path: Path) -> Ontology:
    """Read and validate an ontology file; UserError names what is wrong."""
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"ontology file {path} does not exist", "pass an existing JSON file") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read ontology file {path} ({type(exc).__name__})",
                        "pass a readable JSON file") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"ontology file {path} is not valid JSON ({exc.msg} at line {exc.lineno})",
                        "fix the JSON syntax") from None
    return parse(raw, str(path))


def parse(raw: dict[str, Any], where: str) -> Ontology:
    """Validate an ontology dict."""
    for key in ("name", "version", "classes"):
        if key not in raw:
            raise UserError(f"{where} has no '{key}'", "add it (see roadlabel/data/ontology_default.json)")
    shared = {k: tuple(v) for k, v in raw.get("attributes", {}).items()}
    classes: dict[str, dict[str, tuple[str, ...]]] = {}
    parents: dict[str, str] = {}
    _walk(raw["classes"], shared, "", classes, parents, where)
    if not classes:
        raise UserError(f"{where} defines no classes", "add at least one class")
    guideline = raw.get("guideline", {})
    return Ontology(
        name=str(raw["name"]), version=str(raw["version"]),
        guideline_url=str(guideline.get("url", "")),
        guideline_version=str(guideline.get("version", "")),
        classes=classes, parents=parents,
        lane_types=tuple(raw.get("lane_types", ())), raw=raw,
    )


def _walk(nodes: list[dict[str, Any]], inherited: dict[str, tuple[str, ...]], parent: str,
          classes: dict[str, dict[str, tuple[str, ...]]], parents: dict[str, str],
          where: str) -> None:
    for node in nodes:
        name = node.get("name")
        if not isinstance(name, str) or not name:
            raise UserError(f"{where}: a class has no name", "give every class a 'name'")
        if name in classes or name in parents:
            raise UserError(f"{where}: class '{name}' is defined twice", "use unique class names")
        attrs = {**inherited, **{k: tuple(v) for k, v in node.get("attributes", {}).items()}}
        if parent:
            parents[name] = parent
        children = node.get("children", [])
        if children:
            parents.setdefault(name, "")
            _walk(children, attrs, name, classes, parents, where)
        else:
            classes[name] = attrs
