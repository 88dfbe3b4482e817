"""Reading the deployment recipes: a Containerfile's stages and a systemd unit's settings."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, ENV, ...
    text: str  # the rest, continuation lines joined

    def exec_form(self) -> list[str] | None:
        """The JSON array form (``CMD ["a", "b"]``), else None."""
        text = self.text.strip()
        return [str(a) for a in json.loads(text)] if text.startswith("[") else None


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def containerfile(path: Path) -> list[Stage]:
    """The stages of a Containerfile, in order (comments dropped, continuations joined)."""
    joined = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    stages: list[Stage] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            stages.append(Stage(base=words[0], name=name))
        elif stages:
            stages[-1].instructions.append(Instruction(keyword, rest.strip()))
    return stages


def env_pairs(text: str) -> list[tuple[str, str]]:
    """``ENV A=1 B="two words"`` -> [("A", "1"), ("B", "two words")]."""
    pairs = [word.partition("=") for word in shlex.split(text)]
    return [(name, value) for name, _, value in pairs]


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit's sections, each a list of (key, value) in order (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path}: {line!r} is not key=value"
        current.append((key.strip(), value.strip()))
    return sections
