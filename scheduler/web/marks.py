"""Care marks: for each draft, whether a care finding holds back its approval, was overridden
for this version, or only warns, in words a calendar cell and a screen reader can both use.

A calendar marks thousands of drafts, so each version of a draft is linted once (one Linter
shares the work across drafts with the same content) and what it found is kept in brief; the
overrides of every draft take one ledger read, never a read per draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from scheduler.care import CarePolicy, Finding, Linter
from scheduler.draft import DraftKey
from scheduler.ledger.base import DraftRecord

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


Summary = tuple[tuple[str, ...], tuple[str, ...]]  # rules that block, rules that warn


def summarise(findings: Iterable[Finding]) -> Summary:
    """The rules with a block finding and the rules with a warning, each sorted."""
    blocks: set[str] = set()
    warnings: set[str] = set()
    for finding in findings:
        if finding.severity == "block":
            blocks.add(finding.rule)
        elif finding.severity == "warn":
            warnings.add(finding.rule)
    return tuple(sorted(blocks)), tuple(sorted(warnings))


def from_summary(summary: Summary, overridden: Iterable[str] = ()) -> CareMark:
    blocks, warnings = summary
    lifted = set(overridden)
    return CareMark(
        blocks=tuple(r for r in blocks if r not in lifted),
        overridden=tuple(r for r in blocks if r in lifted),
        warnings=warnings,
    )


def care_mark(findings: Iterable[Finding], overridden: Iterable[str] = ()) -> CareMark:
    """The mark of one draft from its findings and the rules overridden for its version."""
    return from_summary(summarise(findings), overridden)


class Summaries:
    """What the care lint found on each draft of a campaign, by the version (content hash)
    it found it on, under the campaign's care policy.

    Only the rule ids are kept, not the lint's analyses: a Linter that had seen every draft
    of a big week holds a great many objects, and every full garbage collection of the
    server process would walk them. Drafts not summarised yet (or edited since) are linted
    with one Linter for the call, which is dropped afterwards.
    """

    def __init__(self) -> None:
        self._known: dict[str, tuple[CarePolicy, dict[DraftKey, tuple[str, Summary]]]] = {}

    def of(
        self, campaign: str, policy: CarePolicy, records: Iterable[DraftRecord]
    ) -> dict[DraftKey, Summary]:
        entry = self._known.get(campaign)
        if entry is None or entry[0] != policy:
            entry = (policy, {})
            self._known[campaign] = entry
        known = entry[1]
        linter: Linter | None = None
        found: dict[DraftKey, Summary] = {}
        for record in records:
            hit = known.get(record.key)
            if hit is None or hit[0] != record.content_hash:
                linter = linter or Linter(policy)
                hit = (record.content_hash, summarise(linter.lint(record.draft)))
                known[record.key] = hit
            found[record.key] = hit[1]
        return found


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
