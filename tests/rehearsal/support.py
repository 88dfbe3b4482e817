"""A campaign in a temporary folder, a real ledger holding some of its approvals, and what a
rehearsal is given (a FixedClock for today, credentials from a dictionary)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scheduler.approval import Policy, approve
from scheduler.campaign import load_campaign
from scheduler.care import CarePolicy, Linter, block_rules
from scheduler.clock import FixedClock
from scheduler.credentials import CredentialStore
from scheduler.ledger import PolicyError, open_ledger
from scheduler.progress import Progress
from scheduler.rehearsal import Rehearsal, Setup, rehearse
from scheduler.render import render_campaign

TODAY = datetime.fromisoformat("2026-12-07T10:00:00+00:00")  # a Monday
AUTHOR = "author@example.org"

HEADER = """\
id: rehearse-test
title: Rehearsal test week
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  masto: {platform: mastodon, instance: "https://mastodon.example"}
  sky: {platform: bluesky, handle: rehearse.bsky.social}
team:
  - {name: Author, email: author@example.org, roles: [writer]}
  - {name: Reviewer, email: rev@example.org, roles: [reviewer]}
  - {name: Second, email: second@example.org, roles: [reviewer]}
approval: {required: 1, approvers: [reviewer]}
defaults:
  max_lateness: 1h
  min_gap: 30m
"""

POSTS = """\
posts:
  - id: monday
    day: 1
    time: "08:30"
    author: author@example.org
    text: You are not alone. Talking to someone can help.
  - id: wednesday-thread
    day: 3
    time: "12:00"
    author: author@example.org
    accounts: [masto]
    thread:
      - text: "A story in two parts. 1/2"
      - text: "Asking for help was the first step. 2/2"
  - id: sunday
    day: 7
    time: "19:00"
    author: author@example.org
    text: Thank you for reading this week. Look after yourselves.
"""


@dataclass
class Rig:
    root: Path
    path: Path  # the campaign file or folder
    ledger_path: Path
    env: dict[str, str]
    clock: FixedClock

    def ledger(self) -> Any:
        return open_ledger(str(self.ledger_path), clock=self.clock)

    def approve(self, skip: Iterable[str] = ()) -> list[str]:
        """Approve every draft but those of the posts in ``skip`` in the real ledger; returns
        the drafts the care lint would not let anyone approve."""
        campaign = load_campaign(self.path)
        policy = Policy.from_campaign(campaign)
        linter = Linter(CarePolicy.from_settings(campaign.care))
        refused: list[str] = []
        ledger = self.ledger()
        try:
            drafts = render_campaign(campaign)
            ledger.sync(campaign.id, drafts, now=self.clock.now(), rule=policy.rule())
            for draft in drafts:
                if draft.post_id in skip:
                    continue
                approvers = [
                    m.email
                    for m in policy.team
                    if policy.may_approve(m.email) and m.email != (draft.author or "").lower()
                ]
                for reviewer in approvers[: policy.required]:
                    try:
                        approve(
                            ledger,
                            draft.key,
                            reviewer,
                            draft.content_hash,
                            policy=policy,
                            now=self.clock.now(),
                            care_blocks=block_rules(draft, linter),
                        )
                    except PolicyError:
                        refused.append(str(draft.key))
                        break
        finally:
            ledger.close()
        return refused

    def rehearse(self, start: date | None = None, progress: Progress | None = None) -> Rehearsal:
        real = self.ledger() if self.ledger_path.exists() else None
        try:
            return rehearse(self.path, self.setup(real), start=start, progress=progress)
        finally:
            if real is not None:
                real.close()

    def setup(self, real: Any) -> Setup:
        return Setup(
            clock=self.clock,
            real_ledger=real,
            credentials=CredentialStore(self.env, None),
            state_dir=self.root / "state",
            env=self.env,
        )


def make_rig(
    tmp_path: Path,
    posts: str = POSTS,
    header: str = HEADER,
    env: Mapping[str, str] | None = None,
) -> Rig:
    root = tmp_path / "campaign"
    root.mkdir()
    (root / "campaign.yaml").write_text(header + posts, encoding="utf-8")
    path = root / "campaign.yaml"
    return Rig(root, path, tmp_path / "ledger.sqlite3", dict(env or {}), FixedClock(TODAY))


def kinds(result: Rehearsal) -> list[str]:
    return sorted({p.kind for p in result.problems})


# The review site as the public media host: the shipped campaign's Instagram posts need one.
MEDIA_SITE = {"SCHEDULER_MEDIA_HOST": "site", "SCHEDULER_MEDIA_SITE_URL": "https://review.example"}


def shipped_rig(tmp_path: Path, env: dict[str, str] | None = None) -> Rig:
    """The shipped campaign, as it is in the repository, with a ledger of its own."""
    shipped = Path(__file__).resolve().parents[2] / "campaigns" / "mhaw-2026"
    return Rig(shipped, shipped, tmp_path / "ledger.sqlite3", env or {}, FixedClock(TODAY))
