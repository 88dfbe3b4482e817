"""Building drafts for the care tests without a campaign."""

from __future__ import annotations

from typing import Any

from scheduler.care import CarePolicy, Finding, Linter
from scheduler.draft import Draft
from tests.care.evaluate import draft_from


def make_draft(text: str = "", **options: Any) -> Draft:
    item: dict[str, Any] = {"id": options.pop("id", "post"), "text": text}
    item.update(options)
    return draft_from(item)


def lint(text: str = "", *, policy: CarePolicy | None = None, **options: Any) -> list[Finding]:
    return Linter(policy or CarePolicy(locale="en-GB")).lint(make_draft(text, **options))


def rules_fired(text: str = "", **options: Any) -> set[str]:
    return {f.rule for f in lint(text, **options) if f.severity != "info"}
