"""The documented shapes of ``--json`` output: the package's JSON Schemas, validated here."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from scheduler.cli.jsonout import schema

NAMES = sorted(
    p.name.removesuffix(".json")
    for p in files("scheduler.cli").joinpath("schemas").iterdir()
    if p.name.endswith(".json")
)
COMMANDS = [n for n in NAMES if n not in ("common", "error")]


def _registry() -> Registry[Any]:
    resources = [(schema(n)["$id"], Resource.from_contents(schema(n))) for n in NAMES]
    registry: Registry[Any] = Registry().with_resources(resources)
    return registry


REGISTRY = _registry()


def validate(name: str, document: Any) -> None:
    """Raise jsonschema.ValidationError unless ``document`` has the shape ``name`` documents."""
    Draft202012Validator(schema(name), registry=REGISTRY).validate(document)


def parse(out: str) -> Any:
    """Standard output of a --json command: exactly one JSON document."""
    return json.loads(out)
