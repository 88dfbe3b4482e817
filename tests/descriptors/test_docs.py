"""The documents the README points to exist, and docs/platforms.md covers every platform."""

from __future__ import annotations

import re

import pytest

from scheduler import descriptors
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Markdown links to files of the project, and paths written as code (`docs/benchmarks.md`).
LINKS = re.findall(r"\]\((?!https?://|#|mailto:)([^)#\s]+)", README)
PATHS = re.findall(r"`((?:docs|scheduler|tests|bench|campaigns|\.ci)/[^`\s*]*)`", README)


@pytest.mark.parametrize("target", sorted(set(LINKS + PATHS)))
def test_the_readme_names_only_files_that_exist(target: str) -> None:
    assert (ROOT / target).exists(), f"README.md names {target}, which does not exist"


def test_the_readme_links_to_the_design_documents() -> None:
    assert "docs/architecture.md" in README and "docs/platforms.md" in README


@pytest.mark.parametrize("descriptor", list(descriptors.descriptors()), ids=lambda d: d.name)
def test_platforms_md_has_a_section_per_platform(descriptor: descriptors.Descriptor) -> None:
    text = (ROOT / "docs" / "platforms.md").read_text(encoding="utf-8")
    heading = re.search(rf"^## {re.escape(descriptor.label)}\b.*$", text, re.MULTILINE)
    assert heading, f"docs/platforms.md has no section for {descriptor.label}"
    section = text[heading.end() :].split("\n## ", 1)[0]
    assert f"scheduler/descriptors/{descriptor.name}.py" in section
    assert f"{descriptor.max_chars:,}" in section or str(descriptor.max_chars) in section
