"""Care marks: for each draft, whether a care finding holds back its approval, was overridden
for this version, or only warns, in words a calendar cell and a screen reader can both use.

A calendar marks thousands of drafts, so the marks of a campaign take one lint per distinct
content (the campaign's ``Linter`` keeps what it found) and one ledger read for the overrides
of every draft, never a read per draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from scheduler.care import Finding

Status = Literal["block", "overridden", "warn", "none"]

# The order a post's overall mark is picked in: the most pressing of its drafts' marks.
RANK: dict[str, int] = {"none": 0, "warn": 1, "overridden": 2, "block": 3}

SHORT: dict[str, str] = {
    "block": "care: blocked",
    "overridden": "care: overridden",
    "warn": "care: warning",
    "none": "",
}


@dataclass(frozen=True, slots=True)
class CareMark:
    """The care lint's say on one version of a draft, reduced to what planning needs."""

    blocks: tuple[str, ...] = ()  # block rules standing: approval waits for them
    overridden: tuple[str, ...] = ()  # block rules overridden for this exact version
    warnings: tuple[str, ...] = ()  # rules that only warn

    @property
    def status(self) -> Status:
        if self.blocks:
            return "block"
        if self.overridden:
            return "overridden"
        if self.warnings:
            return "warn"
        return "none"

    @property
    def text(self) -> str:
        """The short visible words ("care: blocked"); empty when there is nothing to say."""
        return SHORT[self.status]

    @property
    def detail(self) -> str:
        """The rest of the sentence after ``text``, for screen readers and the legend."""
        status = self.status
        more = _warnings(self.warnings) if status != "warn" else ""
        if status == "block":
            lifted = f"; {_rules(self.overridden)} overridden" if self.overridden else ""
            return (
                f" by {_rules(self.blocks)}: it cannot be approved until it is reworded or "
                f"someone other than the author overrides it{lifted}{more}"
            )
        if status == "overridden":
            return f": {_rules(self.overridden)} was overridden with a reason{more}"
        if status == "warn":
            return f" from {_rules(self.warnings)}; approval is not held back"
        return ""

    def to_json(self) -> dict[str, object]:
        return {
            "status": self.status,
            "blocks": list(self.blocks),
            "overridden": list(self.overridden),
            "warnings": list(self.warnings),
        }


NO_MARK = CareMark()


def care_mark(findings: Iterable[Finding], overridden: Iterable[str] = ()) -> CareMark:
    """The mark of one draft from its findings and the rules overridden for its version."""
    blocks: set[str] = set()
    warnings: set[str] = set()
    for finding in findings:
        if finding.severity == "block":
            blocks.add(finding.rule)
        elif finding.severity == "warn":
            warnings.add(finding.rule)
    lifted = blocks & set(overridden)
    return CareMark(
        blocks=tuple(sorted(blocks - lifted)),
        overridden=tuple(sorted(lifted)),
        warnings=tuple(sorted(warnings)),
    )


def worst(marks: Iterable[CareMark]) -> Status:
    """The most pressing status among a post's drafts."""
    return max((m.status for m in marks), key=RANK.__getitem__, default="none")


def counts(marks: Iterable[CareMark]) -> dict[str, int]:
    """How many drafts have each status (for a summary line above a calendar)."""
    found = dict.fromkeys(RANK, 0)
    for mark in marks:
        found[mark.status] += 1
    return found


def summary(found: Mapping[str, int]) -> str:
    """One sentence on a campaign's care marks, from ``counts``."""
    parts = []
    if found["block"]:
        n = found["block"]
        parts.append(f"{_drafts(n)} {'is' if n == 1 else 'are'} blocked by a care finding")
    if found["overridden"]:
        n = found["overridden"]
        parts.append(f"{_drafts(n)} {'has' if n == 1 else 'have'} an overridden block")
    if found["warn"]:
        n = found["warn"]
        parts.append(f"{_drafts(n)} {'has' if n == 1 else 'have'} only care warnings")
    if not parts:
        return "Care check: no draft has a care finding."
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Care check: {listed}."


def _drafts(n: int) -> str:
    return f"{n:,} draft{'s' if n != 1 else ''}"


def _rules(rules: tuple[str, ...]) -> str:
    noun = "care finding" if len(rules) == 1 else "care findings"
    return f"{noun} {', '.join(rules)}"


def _warnings(rules: tuple[str, ...]) -> str:
    if not rules:
        return ""
    return f"; also {len(rules)} warning{'s' if len(rules) != 1 else ''} ({', '.join(rules)})"
