"""Each platform's facts live in its descriptor: no other module names a platform, and every
descriptor has a publisher unless it is marked preview-only on purpose."""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

from scheduler import descriptors

PACKAGE = Path(__file__).resolve().parent.parent.parent / "scheduler"


def _own_modules(name: str) -> set[Path]:
    """The files allowed to name platform ``name``: its descriptor and its publisher."""
    own = {PACKAGE / "descriptors" / f"{name}.py"}
    publisher = descriptors.get(name).publisher
    if publisher is not None:
        module = publisher.partition(":")[0]
        path = PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py")
        own.add(path)
        own.update(path.parent.glob(f"{path.stem}_*.py"))  # the publisher's own helpers
    return own


# Words that are a platform's name but mean something else where they stand.
HOMONYMS = {
    ("platforms/x.py", "threads"),  # X's setting: post a thread as replies or separately
}


def _named(path: Path, names: set[str]) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside_fstrings = {
        id(value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for value in node.values
    }
    where = path.relative_to(PACKAGE).as_posix()
    return {
        (node.value, node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value in names
        and id(node) not in inside_fstrings
        and (where, node.value) not in HOMONYMS
    }


def test_no_module_but_a_descriptor_and_its_publisher_names_a_platform() -> None:
    names = set(descriptors.names())
    allowed = {name: _own_modules(name) for name in names}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "descriptors" / "__init__.py":
            continue  # the list of shipped descriptor modules
        for value, line in sorted(_named(path, names)):
            if path not in allowed[value]:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {value!r}")
    assert not found, "platform names outside their descriptor and publisher:\n" + "\n".join(found)


# Where a platform's name must not appear at all, not even in a comment, a template or a
# stylesheet: the layers that read the descriptors. Descriptors, publishers (their own
# modules) and docs are where names belong.
GENERIC = ("campaign", "care", "render", "daemon", "web")
# Platform names that are also ordinary words here: looked for only where they would be a
# name (a string constant, a CSS class or custom property), not in prose.
COMMON_WORDS = {"threads", "sandbox", "x"}


def _terms() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(names in prose, names in CSS identifiers) of every registered platform."""
    words = {w.lower() for d in descriptors.descriptors() for w in (d.name, d.label)}
    prose = sorted(w for w in words if w not in COMMON_WORDS and len(w) > 2)
    every = sorted(re.escape(d.name) for d in descriptors.descriptors())
    return (
        re.compile(r"\b(" + "|".join(map(re.escape, prose)) + r")\b", re.IGNORECASE),
        # ``.preview-x``, ``var(--x)``, ``class="card-x"``: a name closing a class or a
        # custom property (``overflow-x`` is neither).
        re.compile(r"(?:--|\.[\w-]+-|class=\"[^\"]*?[\w]+-)(" + "|".join(every) + r")(?![\w-])"),
    )


def scan(root: Path, files: Iterable[Path]) -> list[str]:
    prose, css = _terms()
    found = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), 1):
            hits = prose.findall(line)
            if path.suffix in (".css", ".html", ".js"):
                hits += css.findall(line)
            found.extend(f"{path.relative_to(root)}:{number}: {h!r}" for h in hits)
    return found


def _generic_files() -> list[Path]:
    return sorted(
        p
        for area in GENERIC
        for p in (PACKAGE / area).rglob("*")
        if p.suffix in (".py", ".html", ".css", ".js")
    )


def test_the_generic_layers_name_no_platform_even_in_prose() -> None:
    found = scan(PACKAGE.parent, _generic_files())
    assert not found, "platform names in layers that read descriptors:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("line", "hits"),
    [
        ("# as Mastodon does", 1),
        ("x = 1  # a bluesky handle", 1),
        (".preview-x { border-top-color: var(--x); }", 2),
        ("overflow-x: auto; max-width: 3rem;", 0),
        ('<div class="card preview-threads">', 1),
        ("threads of replies, a sandbox run", 0),
    ],
)
def test_the_scan_finds_a_planted_name(tmp_path: Path, line: str, hits: int) -> None:
    planted = tmp_path / "planted.css"
    planted.write_text(line + "\n", encoding="utf-8")
    assert len(scan(tmp_path, [planted])) == hits


@pytest.mark.parametrize("descriptor", list(descriptors.descriptors()), ids=lambda d: d.name)
def test_every_descriptor_has_a_publisher_or_says_it_is_preview_only(
    descriptor: descriptors.Descriptor,
) -> None:
    if descriptor.preview_only:
        assert descriptor.publisher is None
        return
    assert descriptor.publisher is not None
    module, _, attr = descriptor.publisher.partition(":")
    assert callable(getattr(importlib.import_module(module), attr))


def test_a_descriptor_without_a_publisher_must_say_so() -> None:
    lone = descriptors.Descriptor(
        name="nowhere",
        label="Nowhere",
        counter=descriptors.base.count_graphemes,
        unit="characters",
        max_chars=10,
        media=descriptors.get("x").media,
    )
    with pytest.raises(ValueError, match="not marked preview-only"):
        descriptors.register(lone)
    assert descriptors.find("nowhere") is None
