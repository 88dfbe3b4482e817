"""The rehearsal: a whole week through the real daemon in simulated time (goal: under 60 s).

* the shipped campaign (31 drafts, threads up to 8 parts), every draft approved, rehearsed in
  the week of the autumn clock change;
* a busy week: 60 posts a day for 7 days on 3 accounts (1,260 drafts), every draft approved.

The baseline is loading and rendering the same campaign (what ``scheduler check`` does).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.harness import Row

SHIPPED = Path(__file__).resolve().parent.parent / "campaigns" / "mhaw-2026"
HEADER = """\
id: bench-week
title: Bench week
timezone: Europe/London
language: en
week_start: 2026-05-11
accounts:
  masto: {platform: mastodon, instance: "https://mastodon.example"}
  sky: {platform: bluesky, handle: bench.bsky.social}
  sand: {platform: sandbox}
team:
  - {name: Author, email: author@example.org, roles: [writer]}
  - {name: Reviewer, email: rev@example.org, roles: [reviewer]}
approval: {required: 1, approvers: [reviewer]}
defaults: {max_lateness: 1h, min_gap: 5m}
posts:
"""


def _busy_week(folder: Path, per_day: int) -> Path:
    lines = [HEADER]
    for day in range(1, 8):
        for i in range(per_day):
            minutes = 6 * 60 + i * 15
            lines.append(
                f"  - id: d{day}-p{i:03d}\n"
                f"    day: {day}\n"
                f'    time: "{minutes // 60:02d}:{minutes % 60:02d}"\n'
                f"    author: author@example.org\n"
                f"    text: Post {i} of day {day}. You are not alone; talking helps.\n"
            )
    path = folder / "campaign.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _approve_all(path: Path, ledger_path: Path) -> None:
    from scheduler.approval import Policy
    from scheduler.campaign import load_campaign
    from scheduler.clock import FixedClock
    from scheduler.ledger import open_ledger
    from scheduler.render import render_campaign

    campaign = load_campaign(path)
    policy = Policy.from_campaign(campaign)
    clock = FixedClock(datetime(2026, 5, 1, tzinfo=UTC))
    ledger = open_ledger(str(ledger_path), clock=clock)
    drafts = render_campaign(campaign)
    ledger.sync(campaign.id, drafts, now=clock.now(), rule=policy.rule())
    approvers = [m.email for m in policy.team if policy.may_approve(m.email)]
    for draft in drafts:
        for actor in [a for a in approvers if a != draft.author][: policy.required]:
            ledger.decide(
                draft.key,
                kind="approve",
                actor=actor,
                content_hash=draft.content_hash,
                rule=policy.rule(),
                now=clock.now(),
            )
    ledger.close()


def _rehearse(path: Path, ledger_path: Path, start: date) -> Any:
    from scheduler.clock import SystemClock
    from scheduler.credentials import CredentialStore
    from scheduler.ledger import open_ledger
    from scheduler.rehearsal import Setup, rehearse

    clock = SystemClock()
    real = open_ledger(str(ledger_path), clock=clock)
    try:
        setup = Setup(clock, real, CredentialStore({}, None), ledger_path.parent / "state", {})
        return rehearse(path, setup, start=start)
    finally:
        real.close()


def _load(path: Path) -> None:
    from scheduler.campaign import load_campaign
    from scheduler.render import render_campaign

    render_campaign(load_campaign(path))


def _measure(name: str, path: Path, folder: Path, start: date) -> Row:
    ledger_path = folder / f"{name}.sqlite3"
    _approve_all(path, ledger_path)
    t0 = time.perf_counter()
    result = _rehearse(path, ledger_path, start)
    took = time.perf_counter() - t0
    t0 = time.perf_counter()
    _load(path)
    base = time.perf_counter() - t0
    published = sum(s.outcome == "published" for s in result.slots)
    return Row(
        "rehearse",
        f"{name}: {len(result.slots)} drafts, {published} published",
        took,
        "s",
        baseline=base,
        baseline_name="load and render",
        goal="<= 60 s",
        ok=took <= 60 and published == len(result.slots),
    )


def run(quick: bool) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="bench-rehearse-") as tmp:
        folder = Path(tmp)
        rows = [_measure("shipped week across a clock change", SHIPPED, folder, date(2026, 10, 19))]
        busy = folder / "busy"
        busy.mkdir()
        per_day = 10 if quick else 60
        rows.append(_measure("busy week", _busy_week(busy, per_day), folder, date(2027, 1, 4)))
    return rows
