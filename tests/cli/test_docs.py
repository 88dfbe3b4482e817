"""docs/json.md documents every shape: a section per schema, naming its keys, whose example
has that shape."""

from __future__ import annotations

import json
import re

import pytest

from scheduler.cli.jsonout import schema
from tests.cli.shapes import NAMES, validate
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "json.md").read_text(encoding="utf-8")


def sections() -> dict[str, str]:
    """Schema name -> its section of the document."""
    found: dict[str, str] = {}
    for block in re.split(r"^## ", DOC, flags=re.MULTILINE)[1:]:
        title, _, body = block.partition("\n")
        command = re.fullmatch(r"`scheduler (.+) --json`", title.strip())
        name = command.group(1).replace(" ", "-") if command else title.strip().lower()
        found[{"errors": "error"}.get(name, name)] = body
    return found


SECTIONS = sections()
DOCUMENTED = [n for n in NAMES if n != "common"]


def test_every_schema_has_a_section_and_every_section_a_schema() -> None:
    assert sorted(SECTIONS) == sorted(DOCUMENTED)


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_section_names_its_schema_and_every_key(name: str) -> None:
    body = SECTIONS[name]
    assert f"`{name}.json`" in body
    for key in schema(name)["properties"]:
        assert f"`{key}`" in body, f"{name}: key {key!r} is not documented"


@pytest.mark.parametrize("name", DOCUMENTED)
def test_the_example_has_the_documented_shape(name: str) -> None:
    examples = re.findall(r"```json\n(.*?)```", SECTIONS[name], flags=re.DOTALL)
    assert len(examples) == 1, f"{name}: one example per section"
    validate(name, json.loads(examples[0]))
