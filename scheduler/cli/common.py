"""Helpers shared by the commands: settings, campaign paths, the ledger, care output."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scheduler.errors import CampaignError, SchedulerError

if TYPE_CHECKING:
    from scheduler.campaign import Campaign
    from scheduler.campaign.problems import Problem
    from scheduler.care import Finding, Linter
    from scheduler.draft import Draft, LinkCard
    from scheduler.settings import Settings
    from scheduler.text import Count


Handler = Callable[[argparse.Namespace], int]


def print_error(exc: SchedulerError) -> None:
    """Our error for people, on standard error: one line (a line per campaign problem)."""
    import sys

    if isinstance(exc, CampaignError):
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        n = len(exc.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found", file=sys.stderr)
        return
    print(f"error: {exc.message}", file=sys.stderr)
    if exc.hint:
        print(f"hint: {exc.hint}", file=sys.stderr)


def settings_from(args: argparse.Namespace) -> Settings:
    from scheduler.settings import Settings

    return Settings.load(
        ledger=getattr(args, "ledger", None),
        outbox=getattr(args, "outbox", None),
        secrets=getattr(args, "secrets", None),
    )


def campaign_paths(paths: Sequence[str]) -> list[str]:
    """Each PATH as given; a folder holding campaign folders (no .yaml of its own) expands
    to those folders, so ``scheduler check campaigns`` checks every campaign."""
    from pathlib import Path

    out: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir() and not any(p.glob("*.yaml")) and not any(p.glob("*.yml")):
            subs = sorted(
                d
                for d in p.iterdir()
                if d.is_dir() and (any(d.glob("*.yaml")) or any(d.glob("*.yml")))
            )
            if subs:
                out.extend(str(d) for d in subs)
                continue
        out.append(raw)
    return out


def when(due: datetime, tz_name: str) -> str:
    from scheduler.campaign.schedule import zone

    local = due.astimezone(zone(tz_name))
    return f"{local:%a %d %b %Y %H:%M %Z} ({due:%H:%M} UTC)"


def counter(campaign: Campaign, draft: Draft) -> Callable[[int], Count]:
    """The length of each part of a draft as its platform counts it."""
    from scheduler.descriptors.fits import part_count

    account = campaign.accounts[draft.account]
    rules = account.rules

    def count(k: int) -> Count:
        return part_count(rules, draft.parts[k].text, draft.content_warning)

    return count


def shown_link(campaign: Campaign, draft: Draft) -> LinkCard | None:
    """The link card the platform shows for this draft, if any."""
    from scheduler.descriptors.fits import link_shown

    account = campaign.accounts[draft.account]
    return link_shown(account.rules, draft)


def open_ledger(settings: Settings, clock: Any, *, connections: int | None = None) -> Any:
    from scheduler.ledger import open_ledger

    if settings.ledger.startswith("sqlite:///"):
        from pathlib import Path

        Path(settings.ledger.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return open_ledger(settings.ledger, clock=clock, connections=connections)


def redact(url: str) -> str:
    from scheduler.redact import redact

    return redact(url)


def care_problems(campaign: object) -> list[Problem]:
    """The campaign's care settings the lint cannot honour, as campaign-file problems at
    their places (``check`` lists them with every other problem)."""
    from scheduler.campaign.problems import Problem, where_of
    from scheduler.care import CarePolicy, rule_infos

    found = CarePolicy.from_settings(getattr(campaign, "care", None)).problems(rule_infos())
    sources = getattr(campaign, "sources", None)
    problems: list[Problem] = []
    for item in found:
        path, line, col = sources.header_place(item.loc) if sources else ("the campaign", 0, 0)
        problems.append(Problem(path, line, col, where_of(item.loc), item.message, item.hint))
    return problems


def care_linter(campaign: object) -> Linter:
    """The care lint under a campaign's care settings (locale, rule levels)."""
    from scheduler.care import CarePolicy, Linter

    problems = care_problems(campaign)
    if problems:
        raise CampaignError(problems)
    return Linter(CarePolicy.from_settings(getattr(campaign, "care", None)))


def print_care(findings: Sequence[Finding], indent: str = "    ") -> None:
    """Findings beside one draft (``preview``, ``review``)."""
    from scheduler.care.report import sort_findings

    for finding in sort_findings(findings):
        print(f"{indent}care {finding.severity} {finding.rule} ({finding.location})")
        if finding.excerpt:
            print(f"{indent}  found: {finding.excerpt!r}")
        print(f"{indent}  {finding.message}")
