"""The rehearsal: a campaign's own posts, moved to a chosen week, through the real daemon.

The campaign is loaded and rendered as ``run`` would; its drafts are moved to the chosen
week and synced into a throwaway ledger in a temporary folder. What the real ledger knows
is copied in, never written back: the approvals and care overrides still valid for each
draft's current words, and a pause in force. Then the real daemon (its timers, claims,
worker, retries and closing of windows) runs the week in simulated time against the
simulated platforms, and the throwaway ledger says what happened to each draft.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduler.approval import Policy, unresolved_care_blocks
from scheduler.campaign.schedule import zone
from scheduler.clock import Clock, FixedClock
from scheduler.credentials import CredentialStore
from scheduler.daemon.base import DaemonOptions, Loaded
from scheduler.daemon.gate import LedgerGate, account_quotas
from scheduler.daemon.report import Reporter
from scheduler.daemon.runner import Daemon
from scheduler.draft import Draft
from scheduler.errors import LedgerError
from scheduler.ledger import open_ledger
from scheduler.platforms.base import PlatformContext, Publisher
from scheduler.progress import Progress, Silent
from scheduler.rehearsal.base import Problem, Rehearsal, RehearsalError
from scheduler.rehearsal.clockwork import Clockwork
from scheduler.rehearsal.media import media_problems
from scheduler.rehearsal.moving import clock_changes, default_start, first_day, move, too_close
from scheduler.rehearsal.outcomes import Hold, outcomes
from scheduler.rehearsal.simulate import Platforms, simulated_platform
from scheduler.rehearsal.tokens import token_info, token_problems

OWNER = "rehearsal"


@dataclass(frozen=True)
class Setup:
    """What a rehearsal reads from the world around it (never writes)."""

    clock: Clock  # the real (injected) clock: today's date, and the wall time taken
    real_ledger: Any | None  # the ledger whose approvals and pauses are read; None: none yet
    credentials: CredentialStore
    state_dir: Path
    env: dict[str, str]


class _Quiet:
    """The daemon's events, kept (with the simulated time of each) for the report rather
    than printed."""

    def __init__(self, clock: Clock) -> None:
        self.events: list[tuple[datetime, str, dict[str, Any]]] = []
        self._clock = clock

    def event(self, name: str, /, level: str = "info", **fields: Any) -> None:
        self.events.append((self._clock.now(), name, fields))

    def holds(self) -> list[Hold]:
        """Every time the gate held an account back for a quota."""
        return [
            Hold(str(fields["account"]), at, fields.get("until"), str(fields.get("reason")))
            for at, name, fields in self.events
            if name == "account_paused" and fields.get("source") == "quota"
        ]


class _Source:
    def __init__(self, loaded: Loaded) -> None:
        self._loaded = loaded

    def load(self) -> list[Loaded]:
        return [self._loaded]

    def changed(self) -> bool:
        return False


def rehearse(
    path: Path,
    setup: Setup,
    *,
    start: date | None = None,
    progress: Progress | None = None,
) -> Rehearsal:
    """Rehearse the campaign at ``path`` in the week whose day 1 is ``start`` (default: the
    next such weekday after today). ``progress`` hears how far the simulated week has got,
    in simulated hours of the whole span (known before it starts)."""
    from scheduler.campaign import load_campaign
    from scheduler.care import CarePolicy, Linter, block_rules
    from scheduler.render import render_campaign

    began = setup.clock.monotonic()
    campaign = load_campaign(path)
    drafts = list(render_campaign(campaign))
    if not drafts:
        raise RehearsalError(
            f"campaign {campaign.id} has no posts to rehearse",
            hint="add posts to the campaign files, then rehearse again",
        )
    start = start or default_start(campaign, setup.clock.now())
    moved, problems = move(campaign, drafts, start)
    policy = Policy.from_campaign(campaign)
    loaded = Loaded(
        campaign_id=campaign.id,
        title=campaign.title,
        root=Path(campaign.root),
        timezone=campaign.timezone,
        drafts=moved,
        rule=policy.rule(),
        policy=policy,
        accounts={name: acc.spec(name) for name, acc in campaign.accounts.items()},
    )
    options = replace(
        DaemonOptions.from_env(setup.env), owner=OWNER, exit_when_done=False, metrics_port=None
    )
    first = min(d.due for d in moved)
    last = max(d.due for d in moved)
    # From just before the first reminder of an unapproved draft is due.
    began_at = first - timedelta(seconds=options.remind_ahead + 60)
    clock = FixedClock(began_at)
    sink = _Quiet(clock)
    reporter = Reporter(sink)
    # The daemon's own gate, with the quotas each account's settings pick, as `run` builds
    # it: every simulated create passes it, so a quota holds a post back here exactly as it
    # would in the daemon.
    gate = LedgerGate(None, clock, quotas=account_quotas(loaded.accounts.get), reporter=reporter)
    platforms = Platforms(clock, gate)
    context = PlatformContext(
        clock=clock,
        credentials=setup.credentials,
        state_dir=setup.state_dir,
        outbox=setup.state_dir / "rehearsal-outbox-unused",
    )
    tokens = []
    for name, spec in sorted(loaded.accounts.items()):
        info = token_info(spec, simulated_platform(spec), setup.credentials, context)
        tokens.append(info)
        if info.expires is not None:
            platforms.expiry[name] = info.expires
    problems += clock_changes(campaign, moved)
    problems += too_close(campaign, moved)
    problems += token_problems(tokens, first, last, path)
    problems += media_problems(moved, loaded.accounts, setup.env, path)

    publishers: dict[str, Publisher] = {}

    def publisher_for(draft: Draft) -> Publisher:
        if draft.account not in publishers:
            publishers[draft.account] = platforms.publisher(loaded.accounts[draft.account])
        return publishers[draft.account]

    with tempfile.TemporaryDirectory(prefix="scheduler-rehearsal-") as folder:
        ledger = open_ledger(str(Path(folder) / "rehearsal.sqlite3"), clock=clock)
        try:
            ledger.sync(campaign.id, moved, now=clock.now(), rule=policy.rule())
            _copy_decisions(setup.real_ledger, ledger, moved, policy, clock.now())
            paused = _copy_pause(setup.real_ledger, ledger, campaign.id, clock.now())
            problems += paused
            daemon = Daemon(
                ledger,
                _Source(loaded),
                publisher_for,
                clock=clock,
                options=options,
                reporter=reporter,
                rand=lambda: 0.5,
                gate=gate,  # the daemon points it at its ledger
            )
            wheel = Clockwork(daemon, clock)
            horizon = max((d.latest or d.due) for d in moved)
            until = horizon + timedelta(seconds=options.thread_completion) + timedelta(days=1)
            hours = _Hours(progress or Silent(), began_at, until)
            wheel.run(until, limit=1000 + 100 * len(moved), on_step=hours.reach)
            hours.finish()
            records = ledger.list(campaign=campaign.id)
            linter = Linter(CarePolicy.from_settings(campaign.care))

            def blocks(record: Any) -> list[str]:
                return unresolved_care_blocks(ledger, record, block_rules(record.draft, linter))

            holds = sink.holds() + [
                Hold(r.account, r.at, None, r.message)
                for r in platforms.refusals
                if r.kind == "quota"
            ]
            slots, found = outcomes(
                records, platforms, holds, policy, blocks, path, paused=bool(paused)
            )
        finally:
            ledger.close()
    problems += found
    return Rehearsal(
        campaign=campaign.id,
        title=campaign.title,
        timezone=campaign.timezone,
        original_start=first_day(campaign),
        start=start,
        end=max(d.due for d in moved).astimezone(zone(campaign.timezone)).date(),
        slots=slots,
        problems=problems,
        tokens=tokens,
        simulated_seconds=(clock.now() - began_at).total_seconds(),
        wall_seconds=setup.clock.monotonic() - began,
    )


class _Hours:
    """Progress in simulated hours from ``start`` to ``end``: a determinate bar, since the
    span is known before the week is run."""

    def __init__(self, progress: Progress, start: datetime, end: datetime) -> None:
        self.progress = progress
        self.start = start
        self.total = max(int((end - start).total_seconds() // 3600), 1)
        self.done = 0
        progress.grow(self.total)

    def reach(self, now: datetime) -> None:
        hours = min(int((now - self.start).total_seconds() // 3600), self.total)
        if hours > self.done:
            self.progress.advance(hours - self.done)
            self.done = hours
            self.progress.note(f"{now:%a %d %b %H:00} UTC")

    def finish(self) -> None:
        """The rest of the span, in which nothing was left to happen."""
        if self.done < self.total:
            self.progress.advance(self.total - self.done)
            self.done = self.total


def _copy_decisions(
    real: Any | None, ledger: Any, drafts: list[Draft], policy: Policy, now: datetime
) -> None:
    """The approvals and overrides the real ledger holds for each draft's current words."""
    if real is None:
        return
    for draft in drafts:
        try:
            decisions = real.approvals(draft.key)
        except LedgerError:
            continue
        valid = [
            d
            for d in decisions
            if d.valid
            and d.content_hash == draft.content_hash
            and d.kind in ("override", "approve")
        ]
        # Overrides first: an approval counts only once nothing blocks it.
        for decision in sorted(valid, key=lambda d: (d.kind != "override", d.at)):
            ledger.decide(
                draft.key,
                kind=decision.kind,
                actor=decision.actor,
                content_hash=draft.content_hash,
                comment=decision.comment,
                rule_id=decision.rule,
                rule=policy.rule(),
                now=now,
            )


def _copy_pause(real: Any | None, ledger: Any, campaign: str, now: datetime) -> list[Problem]:
    if real is None:
        return []
    pause = real.paused(campaign)
    if pause is None:
        return []
    ledger.pause(pause.scope, actor=pause.actor, reason=pause.reason, now=now)
    scope = "every campaign" if pause.everything else f"campaign {campaign}"
    return [
        Problem(
            kind="paused",
            at=pause.since,
            cause=(
                f"publishing of {scope} was paused on {pause.since:%Y-%m-%d %H:%M} UTC by "
                f"{pause.actor}: {pause.reason}; nothing would be published while it lasts"
            ),
            fix="when it is safe to publish again, run `scheduler resume` (and choose what "
            "happens to the posts whose time passed)",
        )
    ]
